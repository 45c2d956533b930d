// Real: a real QEMU (TCG) started by hand is discovered from /proc: name, uuid, QMP socket from its
// command line, vCPU thread ids from thread names (`CPU N/TCG`), and its (shared) cgroup; a QEMU started
// after the sampler's first discovery is found by the next one (the incremental /proc scan reads new
// pids) and dropped when it exits.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';

function vcpuTids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map(Number)
    .filter((t) => /^CPU \d+\//.test(readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8')))
    .sort((a, b) => a - b);
}

describe('discovery of a real QEMU', () => {
  const lab = useLab();

  it('finds name, uuid, qmp socket, vCPU tids and cgroup from the running process', async () => {
    const q = await startQemu(lab, { kind: 'spin', smp: 2 });
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const sampler = createHostSampler({ fs, clock: new SystemClock() });
    lab.defer(() => sampler.close());
    const s = await sampler.sample({ tasks: new Set<SampleTask>(['discovery', 'counters']) });
    const g = s.guests.find((x) => x.pid === q.pid);
    expect(g).toBeDefined();
    expect(g).toMatchObject({ id: `qemu:${q.name}`, name: q.name, uuid: q.uuid, manager: 'qemu', smp: 2 });
    expect(g?.qmp).toEqual({ socket: q.qmpSocket, dedicated: false, reachable: null });
    const tids = vcpuTids(q.pid);
    expect(tids).toHaveLength(2);
    expect(g?.vcpus.map((v) => v.tid)).toEqual(tids);
    expect(g?.vcpus.map((v) => [v.index, v.source])).toEqual([[0, 'comm'], [1, 'comm']]);
    expect(g?.vcpus[0]?.runUsec).toBeGreaterThan(0);
    // the cgroup is the one /proc/<pid>/cgroup names; QEMU started from the test shares it with the runner
    const lines = readFileSync(`/proc/${q.pid}/cgroup`, 'utf8').split('\n');
    const nonRoot = lines.map((l) => l.split(':')[2]).find((p) => p !== undefined && p !== '/');
    expect(g?.cgroup?.path).toBe(nonRoot ?? '/');
    expect(g?.cgroup?.own).toBe(false);
    expect(g?.cpu.usageUsec).toBeGreaterThan(0);

    // the same socket given with --qmp is dedicated
    const s2 = createHostSampler({ fs, clock: new SystemClock(), extraQmpSockets: [q.qmpSocket] });
    lab.defer(() => s2.close());
    const r2 = await s2.sample({ tasks: new Set<SampleTask>(['discovery', 'counters']) });
    expect(r2.guests.find((x) => x.pid === q.pid)?.qmp).toEqual({ socket: q.qmpSocket, dedicated: true, reachable: null });
  });

  it('a QEMU started after the first discovery is found by the next one, and dropped when it exits', async () => {
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const sampler = createHostSampler({ fs, clock: new SystemClock() });
    lab.defer(() => sampler.close());
    const tasks = new Set<SampleTask>(['discovery', 'counters']);
    const before = await sampler.sample({ tasks });
    const q = await startQemu(lab, { kind: 'spin' });
    expect(before.guests.some((g) => g.pid === q.pid)).toBe(false);
    const seen = await sampler.sample({ tasks });
    expect(seen.guests.find((g) => g.pid === q.pid)).toMatchObject({ id: `qemu:${q.name}`, name: q.name, uuid: q.uuid });
    process.kill(q.pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (existsSync(`/proc/${q.pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const after = await sampler.sample({ tasks });
    expect(after.guests.some((g) => g.pid === q.pid)).toBe(false);
  });
});
