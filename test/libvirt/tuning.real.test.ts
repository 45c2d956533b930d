// Real libvirtd (lab.md section 5) with two TCG domains (spin, ioloop with cache='none'): the libvirt
// planner's virsh steps applied through the real ExecRunner change what the kernel and QEMU do, undo
// restores the previous values, --persist reaches the inactive XML, and a domiftune that this kernel
// cannot do (no sfq/police) fails with one clean line and leaves nothing half-applied.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import type { RawGuest, RawSample } from '../../src/engine/model/sample.js';
import type { TuningChange } from '../../src/engine/model/tuning.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { createLibvirtEnricher } from '../../src/collector/libvirt/enricher.js';
import { applyExecSteps, undoExecSteps, type ExecStep } from '../../src/tuning/libvirt/exec.js';
import { planLibvirt } from '../../src/tuning/libvirt/plan.js';
import { useLibvirt, virsh, type LibvirtDomain } from '../helpers/libvirt.js';
import { cpuSeconds } from '../helpers/qemu.js';
import { sampleWith } from './raw.js';

const lv = useLibvirt();
const runner = new ExecRunner();
let spin: LibvirtDomain;
let io: LibvirtDomain;
let raw: RawSample;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const guestOf = (d: LibvirtDomain): RawGuest => {
  const g = raw.guests.find((x) => x.name === d.name);
  if (!g) throw new Error(`enricher did not find ${d.name}`);
  return g;
};
async function plan(d: LibvirtDomain, changes: TuningChange[], persist = false) {
  return planLibvirt({ guest: `libvirt:${d.name}`, changes, persist }, guestOf(d), raw, { runner, uri: lv.uri });
}
const execSteps = (steps: unknown[]): ExecStep[] => steps as ExecStep[];

/** vCPU0's CPU use (percent of one CPU) over `sec` seconds from /proc stat of its thread. */
async function vcpu0Pct(d: LibvirtDomain, sec: number): Promise<number> {
  const tid = guestOf(d).vcpus[0]?.tid as number;
  const path = `/proc/${d.pid}/task/${tid}/stat`;
  const a = cpuSeconds(path);
  const t0 = Date.now();
  await sleep(sec * 1000);
  return ((cpuSeconds(path) - a) / ((Date.now() - t0) / 1000)) * 100;
}

/** read IOPS of the domain's vda from `virsh domblkstat` over `sec` seconds. */
async function readIops(d: LibvirtDomain, sec: number): Promise<number> {
  const rd = (): number => Number(/rd_req (\d+)/.exec(virsh('domblkstat', d.name, 'vda'))?.[1]);
  const a = rd();
  const t0 = Date.now();
  await sleep(sec * 1000);
  return (rd() - a) / ((Date.now() - t0) / 1000);
}

const qdiscs = (tap: string): string[] =>
  (JSON.parse(execFileSync('tc', ['-j', 'qdisc', 'show', 'dev', tap], { encoding: 'utf8' })) as Array<{ kind: string; root?: boolean; parent?: string }>)
    .map((q) => `${q.kind}@${q.root ? 'root' : q.parent ?? '?'}`).sort();

describe('tuning libvirt guests through virsh (real libvirtd, TCG domains)', () => {
  beforeAll(async () => {
    spin = await lv.startDomain({ kind: 'spin' });
    io = await lv.startDomain({ kind: 'ioloop', vcpus: 1 });
    const guests: RawGuest[] = [];
    const enricher = createLibvirtEnricher({ runner, fs: new NodeHostFs('/'), uri: lv.uri });
    const errors: RawSample['errors'] = [];
    await enricher.enrich(guests, { tasks: new Set(['discovery', 'counters']), errors, monoMs: 0 });
    raw = sampleWith(guests);
    expect(errors).toEqual([]);
  });

  it('--cpu-quota 25% goes through schedinfo global_quota, the measured vCPU use drops, undo restores -1', async () => {
    const p = await plan(spin, [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 25 } }]);
    expect(p.steps).toEqual([{
      kind: 'exec', argv: ['virsh', '-c', lv.uri, 'schedinfo', spin.name, '--live', '--set', 'global_quota=25000'],
      undo: [['virsh', '-c', lv.uri, 'schedinfo', spin.name, '--live', '--set', 'global_quota=-1']],
      note: 'global_quota -1 -> 25000',
    }]);
    const before = await vcpu0Pct(spin, 3);
    expect(before).toBeGreaterThan(40);
    try {
      const r = await applyExecSteps(runner, execSteps(p.steps));
      expect(r.error).toBeNull();
      expect(virsh('schedinfo', spin.name)).toMatch(/global_quota\s*: 25000/);
      await sleep(300);
      const after = await vcpu0Pct(spin, 3);
      console.log(`vCPU0 of ${spin.name}: ${before.toFixed(1)}% before, ${after.toFixed(1)}% with global_quota=25000/100000`);
      expect(after).toBeLessThan(30);
    } finally {
      // undone even when a measurement fails, so the next tests start from the domain as it was
      await undoExecSteps(runner, execSteps(p.steps));
    }
    expect(virsh('schedinfo', spin.name)).toMatch(/global_quota\s*: -1/);
  });

  it('--persist also writes the domain config (dumpxml --inactive); undo restores both', async () => {
    const p = await plan(spin, [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 25 } }], true);
    const step = p.steps[0] as ExecStep;
    expect(step.argv).toEqual(['virsh', '-c', lv.uri, 'schedinfo', spin.name, '--live', '--config', '--set', 'global_quota=25000']);
    expect(step.undo?.[1]).toEqual(['virsh', '-c', lv.uri, 'schedinfo', spin.name, '--config', '--set', 'global_quota=0']);
    expect(virsh('dumpxml', '--inactive', spin.name)).not.toContain('<global_quota>');
    expect((await applyExecSteps(runner, [step])).error).toBeNull();
    expect(virsh('dumpxml', '--inactive', spin.name)).toContain('<global_quota>25000</global_quota>');
    expect(virsh('dumpxml', spin.name)).toContain('<global_quota>25000</global_quota>');
    const u = await undoExecSteps(runner, [step]);
    expect(u.failed).toEqual([]);
    expect(virsh('dumpxml', '--inactive', spin.name)).not.toContain('<global_quota>25000');
    expect(virsh('schedinfo', spin.name)).toMatch(/global_quota\s*: -1/);
  });

  it('--disk-throttle vda:iops_rd=50 goes through blkdeviotune and limits the measured read IOPS to ~50', async () => {
    const p = await plan(io, [{ kind: 'diskThrottle', disk: 'virtio-disk0', args: { iops_rd: 50 } }]);
    const step = p.steps[0] as ExecStep;
    expect(step.argv).toEqual(['virsh', '-c', lv.uri, 'blkdeviotune', io.name, 'vda', '--live', '--read-iops-sec', '50']);
    expect(step.undo?.[0]).toContain('--read-iops-sec');
    virsh('suspend', spin.name); // the busy spin guest would take the CPU the ioloop guest needs to issue reads
    let before: number;
    let after: number;
    try {
      before = await readIops(io, 3);
      expect((await applyExecSteps(runner, [step])).error).toBeNull();
      await sleep(1000);
      after = await readIops(io, 4);
    } finally {
      virsh('resume', spin.name);
    }
    console.log(`read IOPS of ${io.name}: ${before.toFixed(0)} before, ${after.toFixed(1)} with read_iops_sec=50`);
    expect(before).toBeGreaterThan(100);
    expect(after).toBeGreaterThan(40);
    expect(after).toBeLessThan(60);
    expect((await undoExecSteps(runner, [step])).failed).toEqual([]);
    expect(virsh('blkdeviotune', io.name, 'vda')).toMatch(/read_iops_sec\s*: 0/);
  });

  it('domiftune fails on this kernel (no sfq/police): one clean line with the domain, earlier steps rolled back, tap qdiscs as before', async () => {
    const tapBefore = qdiscs(spin.tap);
    const p = await plan(spin, [
      { kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } },
      { kind: 'net', ifname: spin.tap, in: { rateKbit: 1000, peakKbit: null, burstBytes: null } },
    ]);
    expect(p.steps.map((s) => (s as ExecStep).argv.slice(3, 4)[0])).toEqual(['schedinfo', 'domiftune']);
    expect((p.steps[1] as ExecStep).argv).toEqual(['virsh', '-c', lv.uri, 'domiftune', spin.name, spin.tap, '--live', '--inbound', '125']);
    const r = await applyExecSteps(runner, execSteps(p.steps));
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(new RegExp(`^libvirt domain '${spin.name}': virsh domiftune: .*sfq.*Specified qdisc kind is unknown`));
    expect(r.error).not.toContain('\n');
    expect(r.rollbackFailed).toEqual([]);
    expect(r.rolledBack).toHaveLength(1);
    expect(virsh('schedinfo', spin.name)).toMatch(/global_quota\s*: -1/);
    expect(qdiscs(spin.tap)).toEqual(tapBefore);
    expect(virsh('domiftune', spin.name, spin.tap)).toMatch(/inbound\.average: 0/);

    const out = await applyExecSteps(runner, execSteps((await plan(spin, [
      { kind: 'net', ifname: spin.tap, out: { rateKbit: 1000, peakKbit: null, burstBytes: null } }])).steps));
    expect(out.error).toMatch(/virsh domiftune: .*police.*Failed to load TC action module/);
    expect(out.error).not.toContain('\n');
    expect(qdiscs(spin.tap)).toEqual(tapBefore);
  });

  it('vcpupin, emulatorpin and blkiotune plans apply and undo through virsh', async () => {
    const p = await plan(io, [
      { kind: 'cpuset', cpus: '1' },
      { kind: 'io', device: 'vda', limits: { riops: 40 } },
    ]);
    const subs = p.steps.map((s) => (s as ExecStep).argv[3]);
    expect(subs).toEqual(['vcpupin', 'emulatorpin', 'blkiotune']);
    expect((p.steps[2] as ExecStep).argv).toEqual(['virsh', '-c', lv.uri, 'blkiotune', io.name, '--live', '--device-read-iops-sec', '/dev/vda,40']);
    const r = await applyExecSteps(runner, execSteps(p.steps));
    expect(r.error).toBeNull();
    expect(virsh('vcpupin', io.name)).toMatch(/^\s*0\s+1\s*$/m);
    expect(virsh('emulatorpin', io.name)).toMatch(/\*: 1/);
    expect(virsh('blkiotune', io.name)).toMatch(/device_read_iops_sec: \/dev\/vda,40/);
    expect((await undoExecSteps(runner, execSteps(p.steps))).failed).toEqual([]);
    expect(virsh('vcpupin', io.name)).toMatch(/^\s*0\s+0-1\s*$/m);
    expect(virsh('emulatorpin', io.name)).toMatch(/\*: 0-1/);
    expect(virsh('blkiotune', io.name)).toMatch(/device_read_iops_sec: \n/);
  });

  it('numatune: a live nodeset change that libvirt could not undo (mode not restrictive) is refused before any step, exit 2', async () => {
    const e = await plan(io, [{ kind: 'nodeset', nodes: '0' }]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VirtuneError);
    expect((e as VirtuneError).exitCode).toBe(2);
    expect((e as VirtuneError).message).toMatch(new RegExp(`^--nodeset: libvirt domain '${io.name}' .*restrictive`));
    expect(virsh('dumpxml', io.name)).not.toContain('<numatune>');
  });

  it('memtune: libvirt refuses here (memory controller kept out) and planning fails with one clean line, exit 1', async () => {
    const e = await plan(spin, [{ kind: 'memMax', bytes: 512 * 1024 * 1024 }]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VirtuneError);
    expect((e as VirtuneError).exitCode).toBe(1);
    expect((e as VirtuneError).message).toBe(`libvirt domain '${spin.name}': virsh memtune: Requested operation is not valid: cgroup memory controller is not mounted`);
  });
});
