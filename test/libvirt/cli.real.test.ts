// End to end through the built CLI against a real libvirtd and TCG domain: `virtune --root / tune
// libvirt:NAME --cpu-quota 25% --yes` goes through virsh schedinfo (the plan shows the argv), the
// measured vCPU use drops, `virtune undo` re-applies the previous value, `--persist` reaches the
// inactive XML, and a domiftune this kernel cannot do fails with one line, exit 1, nothing half-applied.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../helpers/lab.js';
import { runCli } from '../helpers/cli.js';
import { useLibvirt, virsh, type LibvirtDomain } from '../helpers/libvirt.js';
import { cpuSeconds } from '../helpers/qemu.js';

const lv = useLibvirt();
let dom: LibvirtDomain;
let state: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function vcpu0Pct(sec: number): Promise<number> {
  const tid = Number(/<vcpu id='0' pid='(\d+)'/.exec(execFileSync('cat', [`/run/libvirt/qemu/${dom.name}.xml`], { encoding: 'utf8' }))?.[1]);
  const path = `/proc/${dom.pid}/task/${tid}/stat`;
  const a = cpuSeconds(path);
  const t0 = Date.now();
  await sleep(sec * 1000);
  return ((cpuSeconds(path) - a) / ((Date.now() - t0) / 1000)) * 100;
}
const qdiscs = (tap: string): string[] =>
  (JSON.parse(execFileSync('tc', ['-j', 'qdisc', 'show', 'dev', tap], { encoding: 'utf8' })) as Array<{ kind: string; root?: boolean; parent?: string }>)
    .map((q) => `${q.kind}@${q.root ? 'root' : q.parent ?? '?'}`).sort();

describe('virtune tune/undo for a libvirt guest (real libvirtd, built CLI)', () => {
  beforeAll(async () => {
    dom = await lv.startDomain({ kind: 'spin' });
    state = lv.lab.tmpdir('virtune-state');
  });
  const g = (): string[] => ['--root', '/', '--state-dir', `${state}/journal`, '--audit-log', `${state}/audit.log`];

  it('tune --cpu-quota 25% --yes goes through virsh schedinfo; the vCPU use drops and the VM cgroup is throttled; undo restores', async () => {
    const before = await vcpu0Pct(3);
    const r = await runCli([...g(), '--json', 'tune', `libvirt:${dom.name}`, '--cpu-quota', '25%', '--yes'], { timeoutMs: 60_000 });
    expect(r.stderr).not.toMatch(/not available yet/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { applied: boolean; changeId: string; steps: Array<{ kind: string; argv: string[] }> };
    try {
      expect(out.applied).toBe(true);
      expect(out.steps).toEqual([expect.objectContaining({ kind: 'exec', argv: ['virsh', 'schedinfo', dom.name, '--live', '--set', 'global_quota=25000'] })]);
      expect(virsh('schedinfo', dom.name)).toMatch(/global_quota\s*: 25000/);
      const vmCgroup = `/sys/fs/cgroup/cpu${path.dirname(/^\d+:cpu:(\S+)$/m.exec(readFileSync(`/proc/${dom.pid}/cgroup`, 'utf8'))?.[1] as string)}`;
      expect(readFileSync(`${vmCgroup}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('25000');
      const throttled = (): number => Number(/nr_throttled (\d+)/.exec(readFileSync(`${vmCgroup}/cpu.stat`, 'utf8'))?.[1]);
      await sleep(300);
      const t0 = throttled();
      const after = await vcpu0Pct(3);
      console.log(`CLI: vCPU0 ${before.toFixed(1)}% before, ${after.toFixed(1)}% after --cpu-quota 25% (throttled ${throttled() - t0} periods)`);
      expect(after).toBeLessThan(30);
      expect(after).toBeLessThan(before);
      expect(throttled()).toBeGreaterThan(t0);
    } finally {
      const u = await runCli([...g(), 'undo', out.changeId], { timeoutMs: 60_000 });
      expect(u.code).toBe(0);
    }
    expect(virsh('schedinfo', dom.name)).toMatch(/global_quota\s*: -1/);
  });

  it('--persist shows up in virsh dumpxml --inactive', async () => {
    const r = await runCli([...g(), '--json', 'tune', `libvirt:${dom.name}`, '--cpu-quota', '25%', '--persist', '--yes'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(virsh('dumpxml', '--inactive', dom.name)).toContain('<global_quota>25000</global_quota>');
    const id = (JSON.parse(r.stdout.trim().split('\n').pop() as string) as { changeId: string }).changeId;
    expect((await runCli([...g(), 'undo', id], { timeoutMs: 60_000 })).code).toBe(0);
    expect(virsh('dumpxml', '--inactive', dom.name)).not.toContain('<global_quota>25000');
  });

  it('--net fails cleanly (no sfq here): exit 1, one line naming the domain, the quota step rolled back, tap qdiscs unchanged', async () => {
    const tap = qdiscs(dom.tap);
    const r = await runCli([...g(), 'tune', `libvirt:${dom.name}`, '--cpu-quota', '50%', '--net', `${dom.tap}:in=1mbit`, '--yes'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    console.log(`CLI stderr: ${r.stderr.trim()}`);
    expect(lines.some((l) => l.includes(`libvirt domain '${dom.name}': virsh domiftune:`) && l.includes('Specified qdisc kind is unknown'))).toBe(true);
    expect(virsh('schedinfo', dom.name)).toMatch(/global_quota\s*: -1/);
    expect(qdiscs(dom.tap)).toEqual(tap);
  });
});
