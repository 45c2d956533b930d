// Real-component tests of CPU tuning: a real QEMU (TCG) guest in cgroup v1 groups made by the test,
// tuned through the Tuner on the real host: quota 25 % caps the measured CPU, undo restores it; a
// cpuset of one CPU moves the vCPU threads; a failing second step rolls the first back; a guest
// without a cgroup of its own is refused and --isolate moves it into /virtune/<guest>.
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { useLab } from '../helpers/lab.js';
import { startQemu, threadsOf } from '../helpers/qemu.js';
import { CALLER, liveGuest, liveSample, measureCpuPct, realTuner } from './live.js';

const CTRL = ['cpu', 'cpuacct', 'cpuset', 'blkio'];

function nrThrottled(dir: string): number {
  const m = /^nr_throttled (\d+)/m.exec(readFileSync(`${dir}/cpu.stat`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

function allowed(tid: number): string {
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'))?.[1] ?? '';
}

describe('CPU tuning on a real QEMU guest (cgroup v1)', () => {
  const lab = useLab();

  it('quota 25% caps the guest at ≤ 35% over 3 s, nr_throttled grows, undo brings it back above 80%', async () => {
    const cg = lab.cgroupV1(CTRL);
    const q = await startQemu(lab, { kind: 'spin' });
    cg.addProcess(q.pid);
    const raw = liveSample([await liveGuest(q, { cgroupRel: cg.rel })]);
    const { tuner } = realTuner(lab);
    const plan = await tuner.apply({ guest: q.name, changes: [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 25 } }] }, raw, CALLER);
    expect(plan.applied).toBe(true);
    expect(plan.steps).toEqual([{ kind: 'cgroup-write', path: `${cg.dir('cpu')}/cpu.cfs_quota_us`, from: '-1', to: '25000' }]);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('25000');
    const thr0 = nrThrottled(cg.dir('cpu'));
    const limited = await measureCpuPct(q.pid, 3000);
    expect(limited).toBeLessThanOrEqual(35);
    expect(nrThrottled(cg.dir('cpu'))).toBeGreaterThan(thr0);
    const undone = await tuner.undo(null, CALLER);
    expect(undone.changeId).toBe(plan.changeId);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('-1');
    const free = await measureCpuPct(q.pid, 3000);
    expect(free).toBeGreaterThan(80);
  });

  it("cpuset to one CPU: every vCPU thread's Cpus_allowed_list follows, undo restores it", async () => {
    const cg = lab.cgroupV1(CTRL);
    const q = await startQemu(lab, { kind: 'spinall', smp: 2 });
    cg.addProcess(q.pid);
    const g = await liveGuest(q, { cgroupRel: cg.rel });
    const before = cg.read('cpuset', 'cpuset.cpus').trim();
    const { tuner } = realTuner(lab);
    const plan = await tuner.apply({ guest: g.id, changes: [{ kind: 'cpuset', cpus: '1' }] }, liveSample([g]), CALLER);
    expect(plan.steps[0]).toMatchObject({ kind: 'cgroup-write', path: `${cg.dir('cpuset')}/cpuset.cpus`, from: before, to: '1' });
    expect(g.vcpus.length).toBe(2);
    for (const v of g.vcpus) expect(allowed(v.tid as number)).toBe('1');
    await tuner.undo(plan.changeId, CALLER);
    for (const v of g.vcpus) expect(allowed(v.tid as number)).toBe(before);
  });

  it('per-vCPU pinning without vcpu cgroups uses taskset on the thread, undo restores it', async () => {
    const cg = lab.cgroupV1(CTRL);
    const q = await startQemu(lab, { kind: 'spin', smp: 2 });
    cg.addProcess(q.pid);
    const g = await liveGuest(q, { cgroupRel: cg.rel });
    const tid = g.vcpus[1]?.tid as number;
    const before = allowed(tid);
    const { tuner } = realTuner(lab);
    const plan = await tuner.apply({ guest: g.id, changes: [{ kind: 'vcpuPin', vcpu: 1, cpus: '0' }] }, liveSample([g]), CALLER);
    expect(plan.steps).toEqual([{ kind: 'affinity', tid, from: before, to: '0' }]);
    expect(allowed(tid)).toBe('0');
    await tuner.undo(plan.changeId, CALLER);
    expect(allowed(tid)).toBe(before);
  });

  it('rollback: when the second step fails, the first step is undone; the journal records it rolled back, nothing to undo', async () => {
    const cg = lab.cgroupV1(CTRL);
    const q = await startQemu(lab, { kind: 'spin' });
    cg.addProcess(q.pid);
    const raw = liveSample([await liveGuest(q, { cgroupRel: cg.rel })]);
    const fs = new FaultyFs(new NodeHostFs('/')).inject({ match: `${cg.dir('cpuset')}/cpuset.cpus`, errno: 'EINVAL', ops: ['write'] });
    const { tuner } = realTuner(lab, fs);
    const err = await tuner.apply({ guest: q.name, changes: [
      { kind: 'cpuQuota', quota: { kind: 'usec', usec: 50000 } }, { kind: 'cpuset', cpus: '0' },
    ] }, raw, CALLER).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirtuneError);
    expect((err as VirtuneError).exitCode).toBe(1);
    expect((err as VirtuneError).message).toMatch(/^step 2 failed: .*cpuset\.cpus.*rolled back: .*cpu\.cfs_quota_us: 50000 -> -1/);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('-1');
    expect(fs.writes.map((w) => [w.path.split('/').pop(), w.data])).toEqual([['cpu.cfs_quota_us', '50000'], ['cpu.cfs_quota_us', '-1']]);
    expect((await tuner.changes()).map((r) => r.state)).toEqual(['rolled-back']);
    expect(((await tuner.undo(null, CALLER).catch((e: unknown) => e)) as VirtuneError).exitCode).toBe(3);
  });

  it('a guest in a shared cgroup is refused (exit 2, offers --isolate); --isolate moves all its threads and undo moves them back', async () => {
    const q = await startQemu(lab, { kind: 'spin' });
    const g = await liveGuest(q, { cgroupRel: '/', own: false });
    const { tuner } = realTuner(lab);
    const req = { guest: g.id, changes: [{ kind: 'cpuQuota' as const, quota: { kind: 'pct' as const, pct: 50 } }] };
    const err = await tuner.preview(req, liveSample([g])).catch((e: unknown) => e);
    expect((err as VirtuneError).exitCode).toBe(2);
    expect((err as VirtuneError).message).toMatch(/--isolate/);
    const dir = `/sys/fs/cgroup/cpu/virtune/${q.name}`;
    lab.defer(() => { // safety net if the test fails half-way: move the guest back, remove the groups
      for (const c of CTRL) {
        const d = `/sys/fs/cgroup/${c}/virtune/${q.name}`;
        if (!existsSync(d)) continue;
        try { writeFileSync(`/sys/fs/cgroup/${c}/cgroup.procs`, String(q.pid)); } catch { /* gone */ }
        try { rmdirSync(d); rmdirSync(`/sys/fs/cgroup/${c}/virtune`); } catch { /* busy or shared */ }
      }
    });
    const plan = await tuner.apply({ ...req, isolate: true }, liveSample([g]), CALLER);
    expect(plan.steps.some((s) => s.kind === 'cgroup-move' && s.path === dir)).toBe(true);
    expect(plan.warnings.join(' ')).toMatch(/memory controller is left alone/);
    const procCg = readFileSync(`/proc/${q.pid}/cgroup`, 'utf8');
    expect(procCg).toMatch(new RegExp(`:cpu:/virtune/${q.name}$`, 'm'));
    for (const t of threadsOf(q.pid)) expect(readFileSync(`${dir}/tasks`, 'utf8').split('\n')).toContain(String(t));
    expect(readFileSync(`${dir}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('50000');
    expect(procCg).not.toMatch(/:memory:\/virtune/);
    await tuner.undo(plan.changeId, CALLER);
    expect(readFileSync(`/proc/${q.pid}/cgroup`, 'utf8')).toMatch(/:cpu:\/$/m);
    expect(existsSync(dir)).toBe(false);
  });
});
