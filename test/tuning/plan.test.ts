// Planning and applying on fixture host trees: cgroup v2 writes (no v2 controllers on this machine, so
// these run on a tree and say so), cgroup v1 file names and values, QEMU throttle planning, the
// validation table of the contract (exit code and nothing changed), and the manager paths.
import { describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import type { RawGuest, RawSample } from '../../src/engine/model/sample.js';
import type { TuningChange, TuningRequest } from '../../src/engine/model/tuning.js';
import { planTuning } from '../../src/tuning/plan.js';
import { createTuner } from '../../src/tuning/tuner.js';
import { FlockStateLock } from '../../src/engine/node/state-lock.js';
import { useLab } from '../helpers/lab.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { RecordingRunner } from '../helpers/recording-runner.js';
import { rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';
import { V1_REL, V2_SCOPE, v1Host, v2Host, type Tree } from './tree.js';
import type { QmpConnector } from '../../src/engine/ports/qmp.js';

const noQmp: QmpConnector = { connect: async () => { throw new Error('no QMP in this test'); } };
const noCaps = async (): Promise<never> => { throw new Error('no tc in this test'); };

function v2Sample(over: Partial<RawGuest> = {}): RawSample {
  const g = rawGuest('qemu:web01', { pid: 4242, cgroup: { path: V2_SCOPE, version: 2, own: true }, ...over });
  g.vcpus[0]!.tid = 4250; g.vcpus[1]!.tid = 4251;
  return rawSample(1000, rawHost({ cgroupVersion: 2 }), [g]);
}

function v1Sample(over: Partial<RawGuest> = {}): RawSample {
  const g = rawGuest('qemu:vm1', { pid: 4242, cgroup: { path: V1_REL, version: 1, own: true }, ...over });
  g.cpu.weight = null; g.cpu.shares = 1024;
  return rawSample(1000, rawHost({ cgroupVersion: 1 }), [g]);
}

const plan = (t: Tree, raw: RawSample, changes: TuningChange[], extra: Partial<TuningRequest> = {}) =>
  planTuning({ guest: raw.guests[0]?.id ?? 'host', changes, ...extra }, raw, { fs: t.fs, runner: new RecordingRunner(), libvirtUri: null, tcCaps: noCaps });

async function rejects(p: Promise<unknown>, code: number, re: RegExp): Promise<void> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(VirtuneError);
  expect((e as VirtuneError).exitCode).toBe(code);
  expect((e as VirtuneError).message).toMatch(re);
}

const G2 = `/sys/fs/cgroup${V2_SCOPE}`;
const C1 = (c: string, f: string): string => `/sys/fs/cgroup/${c}${V1_REL}/${f}`;

describe('planning on cgroup v2 (cgroup v2 fixture tree)', () => {
  const lab = useLab();

  it('quota and period become one cpu.max write; weight goes to cpu.weight (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab);
    const p = await plan(t, v2Sample(), [
      { kind: 'cpuWeight', value: 200, flag: 'cpu-weight' },
      { kind: 'cpuQuota', quota: { kind: 'pct', pct: 150 } }, { kind: 'cpuPeriod', usec: 50000 },
    ]);
    expect(p.steps).toEqual([
      { kind: 'cgroup-write', path: `${G2}/cpu.weight`, from: '100', to: '200' },
      { kind: 'cgroup-write', path: `${G2}/cpu.max`, from: 'max 100000', to: '75000 50000' },
    ]);
    expect(p.warnings).toEqual([]);
  });

  it('--cpu-shares on v2 writes cpu.weight with the scale warning; 2cpu and max quotas (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab);
    const p = await plan(t, v2Sample(), [{ kind: 'cpuWeight', value: 512, flag: 'cpu-shares' }, { kind: 'cpuQuota', quota: { kind: 'cpus', cpus: 2 } }]);
    expect(p.steps.map((s) => s.kind === 'cgroup-write' && s.to)).toEqual(['512', '200000 100000']);
    expect(p.warnings[0]).toMatch(/scales differ/);
  });

  it('io.max on a whole disk given as vda, /dev/sdb and 8:16 (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab, { [`${G2}/io.max`]: '8:16 rbps=2097152 wbps=max riops=max wiops=120\n' });
    const p = await plan(t, v2Sample(), [
      { kind: 'io', device: 'vda', limits: { riops: 50 } },
      { kind: 'io', device: '8:16', limits: { wiops: 'max', rbps: 1048576 } },
    ]);
    expect(p.steps).toEqual([
      { kind: 'cgroup-write', path: `${G2}/io.max`, from: '254:0 riops=max', to: '254:0 riops=50', note: 'vda' },
      { kind: 'cgroup-write', path: `${G2}/io.max`, from: '8:16 wiops=120 rbps=2097152', to: '8:16 wiops=max rbps=1048576', note: 'sdb' },
    ]);
  });

  it('memory.max refuses a limit below current use unless --force (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab);
    await rejects(plan(t, v2Sample(), [{ kind: 'memMax', bytes: 512 * 2 ** 20 }]), 2, /below the guest's current use 1\.0 GiB.*--force/);
    const p = await plan(t, v2Sample(), [{ kind: 'memMax', bytes: 512 * 2 ** 20 }], { force: true });
    expect(p.steps).toEqual([{ kind: 'cgroup-write', path: `${G2}/memory.max`, from: 'max', to: String(512 * 2 ** 20) }]);
    expect(p.warnings[0]).toMatch(/OOM/);
  });

  it('nodeset reports the resident memory that will move (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab, { '/sys/devices/system/node/has_memory': '0-1\n' });
    const raw = v2Sample();
    raw.guests[0]!.memory.perNodeBytes = { 0: 3 * 2 ** 20, 1: 5 * 2 ** 20 };
    const p = await plan(t, raw, [{ kind: 'nodeset', nodes: '0' }]);
    expect(p.migrateBytes).toBe(5 * 2 ** 20);
    expect(p.steps).toEqual([{ kind: 'cgroup-write', path: `${G2}/cpuset.mems`, from: '', to: '0' }]);
    expect(p.warnings[0]).toMatch(/5\.0 MiB of resident memory will migrate from node\(s\) 1/);
  });

  it('emulator pinning without an emulator cgroup sets the affinity of every non-vCPU thread (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab);
    const p = await plan(t, v2Sample(), [{ kind: 'emulatorPin', cpus: '0' }]);
    expect(p.steps).toEqual([
      { kind: 'affinity', tid: 4242, from: '0-1', to: '0' },
      { kind: 'affinity', tid: 4260, from: '0-1', to: '0' },
    ]);
  });

  it('--isolate creates virtune.slice/<guest>, enables controllers and moves the process (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab, { '/proc/4242/cgroup': '0::/user.slice/session-3.scope\n' });
    const raw = v2Sample({ cgroup: { path: '/user.slice/session-3.scope', version: 2, own: false } });
    await rejects(plan(t, raw, [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }]), 2, /no cgroup of its own.*--isolate/);
    const p = await plan(t, raw, [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }], { isolate: true });
    expect(p.steps).toEqual([
      { kind: 'cgroup-create', path: '/sys/fs/cgroup/virtune.slice' },
      { kind: 'cgroup-write', path: '/sys/fs/cgroup/virtune.slice/cgroup.subtree_control', from: '', to: '+cpu +cpuset +io +memory', undo: '-cpu -cpuset -io -memory' },
      { kind: 'cgroup-create', path: '/sys/fs/cgroup/virtune.slice/web01' },
      { kind: 'cgroup-move', path: '/sys/fs/cgroup/virtune.slice/web01', pids: [4242], from: '/sys/fs/cgroup/user.slice/session-3.scope' },
      { kind: 'cgroup-write', path: '/sys/fs/cgroup/virtune.slice/web01/cpu.max', from: 'max 100000', to: '50000 100000' },
    ]);
  });

  it('apply writes, reads back, journals; undo from a NEW tuner restores every file (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab);
    const state = lab.tmpdir('state');
    const mk = () => createTuner({ lock: new FlockStateLock(), fs: t.fs, runner: new RecordingRunner(), clock: new ManualClock(), qmp: noQmp,
      stateDir: '/var/lib/virtune', auditLog: '/var/log/virtune/audit.log' });
    void state;
    const req: TuningRequest = { guest: 'web01', changes: [
      { kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }, { kind: 'cpuset', cpus: '1' }, { kind: 'io', device: '/dev/vda', limits: { rbps: 10 * 2 ** 20 } },
    ] };
    const caller = { uid: 0, user: 'root', pid: 77, via: 'test' };
    const applied = await mk().apply(req, v2Sample(), caller);
    expect(applied.applied).toBe(true);
    expect(applied.changeId).toMatch(/^\d{8}T\d{6}-[a-z0-9]+$/);
    expect(t.read(`${G2}/cpu.max`)).toBe('50000 100000');
    expect(t.read(`${G2}/cpuset.cpus`)).toBe('1');
    expect(t.read(`${G2}/io.max`)).toBe('254:0 rbps=10485760');
    const audit = t.read('/var/log/virtune/audit.log').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toHaveLength(3);
    expect(audit[0]).toMatchObject({ uid: 0, user: 'root', peerPid: 77, guest: 'qemu:web01', changeId: applied.changeId, action: 'apply', old: 'max 100000', new: '50000 100000', result: 'ok' });
    const undone = await mk().undo(applied.changeId, caller);
    expect(undone.steps.map((s) => s.kind === 'cgroup-write' ? s.path.split('/').pop() : s.kind)).toEqual(['io.max', 'cpuset.cpus', 'cpu.max']);
    expect(t.read(`${G2}/cpu.max`)).toBe('max 100000');
    expect(t.read(`${G2}/cpuset.cpus`)).toBe('');
    expect(t.read(`${G2}/io.max`)).toBe('254:0 rbps=max');
    const recs = await mk().changes();
    expect(recs.map((r) => r.state)).toEqual(['undone']);
    await rejects(mk().undo(applied.changeId, caller), 2, /already undone/);
    await rejects(mk().undo(null, caller), 3, /no applied change/);
  });

  it('--revert-after: revertDue reverts an expired change; keep stops the timer (cgroup v2 fixture tree)', async () => {
    const t = v2Host(lab);
    const clock = new ManualClock();
    const tuner = createTuner({ lock: new FlockStateLock(), fs: t.fs, runner: new RecordingRunner(), clock, qmp: noQmp, stateDir: '/var/lib/virtune', auditLog: '/var/log/virtune/audit.log' });
    const caller = { uid: 0, user: 'root', pid: 1, via: 'test' };
    const a = await tuner.apply({ guest: 'web01', changes: [{ kind: 'cpuWeight', value: 300, flag: 'cpu-weight' }], revertAfterSec: 30 }, v2Sample(), caller);
    expect(a.revertAt).toBe(new Date(clock.wallMs() + 30000).toISOString());
    expect(await tuner.revertDue(clock.wallMs() + 29000)).toEqual([]);
    expect(t.read(`${G2}/cpu.weight`)).toBe('300');
    expect((await tuner.revertDue(clock.wallMs() + 30000)).map((p) => p.changeId)).toEqual([a.changeId]);
    expect(t.read(`${G2}/cpu.weight`)).toBe('100');
    const b = await tuner.apply({ guest: 'web01', changes: [{ kind: 'cpuWeight', value: 400, flag: 'cpu-weight' }], revertAfterSec: 5 }, v2Sample(), caller);
    const kept = await tuner.keep(b.changeId as string, caller);
    expect(kept.state).toBe('kept');
    expect(await tuner.revertDue(clock.wallMs() + 60000)).toEqual([]);
    expect(t.read(`${G2}/cpu.weight`)).toBe('400');
    const log = await tuner.audit(100);
    expect(log.map((e) => e.action)).toEqual(['apply', 'revert', 'apply', 'keep']);
  });
});

describe('planning on cgroup v1 (fixture tree)', () => {
  const lab = useLab();

  it('quota/period/shares use the v1 files; --cpu-weight warns about the scales', async () => {
    const t = v1Host(lab);
    const p = await plan(t, v1Sample(), [
      { kind: 'cpuWeight', value: 2048, flag: 'cpu-weight' },
      { kind: 'cpuQuota', quota: { kind: 'pct', pct: 25 } }, { kind: 'cpuPeriod', usec: 200000 },
    ]);
    expect(p.steps).toEqual([
      { kind: 'cgroup-write', path: C1('cpu', 'cpu.shares'), from: '1024', to: '2048' },
      { kind: 'cgroup-write', path: C1('cpu', 'cpu.cfs_period_us'), from: '100000', to: '200000' },
      { kind: 'cgroup-write', path: C1('cpu', 'cpu.cfs_quota_us'), from: '-1', to: '50000' },
    ]);
    expect(p.warnings[0]).toMatch(/cpu\.shares=2048.*scales differ/);
  });

  it('nodeset sets cpuset.memory_migrate=1 first; blkio throttle lines keep the device and 0 removes', async () => {
    const t = v1Host(lab);
    const p = await plan(t, v1Sample(), [
      { kind: 'nodeset', nodes: '0' },
      { kind: 'io', device: 'sdb', limits: { rbps: 'max', riops: 50 } },
    ]);
    expect(p.steps).toEqual([
      { kind: 'cgroup-write', path: C1('cpuset', 'cpuset.memory_migrate'), from: '0', to: '1', note: 'migrate pages when cpuset.mems changes' },
      { kind: 'cgroup-write', path: C1('cpuset', 'cpuset.mems'), from: '0', to: '0' },
      { kind: 'cgroup-write', path: C1('blkio', 'blkio.throttle.read_bps_device'), from: '8:16 1048576', to: '8:16 0', note: 'sdb' },
      { kind: 'cgroup-write', path: C1('blkio', 'blkio.throttle.read_iops_device'), from: '8:16 0', to: '8:16 50', note: 'sdb' },
    ]);
  });

  it('memory.limit_in_bytes: unlimited reads as a huge number and is undone with -1', async () => {
    const t = v1Host(lab);
    const p = await plan(t, v1Sample({ memory: { ...v1Sample().guests[0]!.memory, currentBytes: null } }), [{ kind: 'memMax', bytes: 2 ** 30 }]);
    expect(p.steps).toEqual([{ kind: 'cgroup-write', path: C1('memory', 'memory.limit_in_bytes'), from: '9223372036854771712', to: '1073741824', undo: '-1' }]);
  });
});

describe('bad input: exit code, one clear line, nothing changed', () => {
  const lab = useLab();

  async function unchanged(t: Tree, fn: () => Promise<unknown>, code: number, re: RegExp): Promise<void> {
    const files = [`${G2}/cpu.max`, `${G2}/cpu.weight`, `${G2}/cpuset.cpus`, `${G2}/cpuset.mems`, `${G2}/io.max`, `${G2}/memory.max`];
    const before = files.map((f) => t.read(f));
    await rejects(fn() as Promise<unknown>, code, re);
    expect(files.map((f) => t.read(f))).toEqual(before);
  }

  const cases: Array<[string, TuningChange[], number, RegExp, Partial<RawGuest>?]> = [
    ['quota under 1000 µs', [{ kind: 'cpuQuota', quota: { kind: 'usec', usec: 999 } }], 2, /999 µs.*at least 1000 µs/],
    ['quota 0.5% of a 100 ms period', [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 0.5 } }], 2, /500 µs.*at least 1000/],
    ['period out of range', [{ kind: 'cpuPeriod', usec: 999 }], 2, /--cpu-period: 999 µs is out of range \(valid: 1000-1000000 µs\)/],
    ['period above range', [{ kind: 'cpuPeriod', usec: 1_000_001 }], 2, /out of range/],
    ['weight 0', [{ kind: 'cpuWeight', value: 0, flag: 'cpu-weight' }], 2, /0 is out of range for cgroup v2 cpu.weight \(valid: 1-10000\)/],
    ['weight above v2 range', [{ kind: 'cpuWeight', value: 10001, flag: 'cpu-weight' }], 2, /valid: 1-10000/],
    ['cpuset not a subset of online CPUs', [{ kind: 'cpuset', cpus: '0-3' }], 2, /0-3 is not a subset of the online CPUs 0-1/],
    ['nodeset with a node without memory', [{ kind: 'nodeset', nodes: '0-1' }], 2, /node\(s\) 1 have no memory \(nodes with memory: 0\)/],
    ['a partition instead of a whole disk', [{ kind: 'io', device: '/dev/vda1', limits: { riops: 5 } }], 2, /vda1.*is a partition.*whole disks only \(use vda\)/],
    ['a partition given as MAJ:MIN', [{ kind: 'io', device: '254:1', limits: { riops: 5 } }], 2, /is a partition/],
    ['an unknown block device', [{ kind: 'io', device: 'sdz', limits: { riops: 5 } }], 3, /block device 'sdz' does not exist/],
    ['mixed total and read/write QEMU limits', [{ kind: 'diskThrottle', disk: 'virtio-disk0', args: { iops: 100, iops_rd: 50 } }], 2, /iops \(total\) and iops_rd\/iops_wr \(read\/write\) cannot be used at the same time/,
      { qmp: { socket: '/run/q.sock', dedicated: true, reachable: true } }],
    ['an unknown QMP disk', [{ kind: 'diskThrottle', disk: 'nope', args: { iops: 1 } }], 3, /has no disk 'nope' \(disks: virtio-disk0\)/],
    ['an unknown vCPU', [{ kind: 'vcpuPin', vcpu: 7, cpus: '0' }], 3, /has no vCPU 7 \(vCPUs: 0-1\)/],
    ['a pin outside the guest cpuset', [{ kind: 'vcpuPin', vcpu: 0, cpus: '1' }], 2, /outside the guest's cpuset 0/, { cpu: { ...v2Sample().guests[0]!.cpu, cpusetEffective: '0' } }],
  ];
  for (const [name, changes, code, re, over] of cases) {
    it(`${name} → exit ${code} (cgroup v2 fixture tree)`, async () => {
      const t = v2Host(lab);
      await unchanged(t, () => plan(t, v2Sample(over ?? {}), changes), code, re);
    });
  }

  it('an unknown guest → exit 3; an ambiguous name → exit 2 listing the candidates', async () => {
    const t = v2Host(lab);
    const raw = rawSample(1, rawHost(), [rawGuest('qemu:a', { name: 'dup' }), rawGuest('pve:101', { name: 'dup', manager: 'proxmox' })]);
    const deps = { fs: t.fs, runner: new RecordingRunner(), libvirtUri: null, tcCaps: noCaps };
    await rejects(planTuning({ guest: 'ghost', changes: [{ kind: 'cpuPeriod', usec: 100000 }] }, raw, deps), 3, /no guest 'ghost' on this host \(guests: qemu:a, pve:101\)/);
    await rejects(planTuning({ guest: 'dup', changes: [{ kind: 'cpuPeriod', usec: 100000 }] }, raw, deps), 2, /ambiguous; candidates: qemu:a, pve:101/);
  });

  it('libvirt guests go through libvirt (virsh), never through cgroup files; Proxmox guests get the config warning', async () => {
    const t = v2Host(lab);
    const runner = new RecordingRunner();
    const raw = v2Sample({ manager: 'libvirt', id: 'libvirt:web01' });
    // a tree under --root is not the local host: without --libvirt-uri the local virsh is never asked
    await rejects(planTuning({ guest: 'libvirt:web01', changes: [{ kind: 'cpuPeriod', usec: 100000 }] }, raw,
      { fs: t.fs, runner, libvirtUri: null, tcCaps: noCaps }), 2, /pass --libvirt-uri/);
    expect(runner.calls).toHaveLength(0);
    await planTuning({ guest: 'libvirt:web01', changes: [{ kind: 'cpuPeriod', usec: 100000 }] }, raw,
      { fs: t.fs, runner, libvirtUri: 'qemu:///system', tcCaps: noCaps }).catch(() => null);
    expect(runner.calls.length).toBeGreaterThan(0);
    expect(runner.calls.every((c) => c.argv[0] === 'virsh')).toBe(true);
    expect(t.read(`${G2}/cpu.max`)).toBe('max 100000\n');
    const p = await plan(t, v2Sample({ manager: 'proxmox', vmid: '101', id: 'pve:101' }), [{ kind: 'cpuPeriod', usec: 100000 }]);
    expect(p.warnings[0]).toMatch(/Proxmox VM config .* is not changed/);
  });

  it('a --mem-max below current use is refused on v1 too (fixture tree)', async () => {
    const t = v1Host(lab);
    await rejects(plan(t, v1Sample({ memory: { ...v1Sample().guests[0]!.memory, currentBytes: null } }), [{ kind: 'memMax', bytes: 2 ** 20 }]), 2, /below the guest's current use 512\.0 MiB/);
    expect(t.read(C1('memory', 'memory.limit_in_bytes'))).toBe('9223372036854771712\n');
  });
});
