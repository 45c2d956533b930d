// Real: a real QEMU (TCG, spinning vCPU) burns CPU inside a real cgroup v1 group (cpu + cpuacct); the
// sampler's cgroup usage over an interval must be within 15 % of what /proc/<pid>/stat says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { useLab } from '../helpers/lab.js';
import { cpuSeconds, startQemu } from '../helpers/qemu.js';

describe('sampler CPU usage on a real cgroup v1 group', () => {
  const lab = useLab();

  it('usage from cpuacct.usage matches /proc/<pid>/stat within 15 %', async () => {
    const group = lab.cgroupV1(['cpu', 'cpuacct']);
    const q = await startQemu(lab, { kind: 'spin', smp: 1 });
    group.addProcess(q.pid);
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const sampler = createHostSampler({ fs, clock: new SystemClock() });
    lab.defer(() => sampler.close());

    const first = await sampler.sample({ tasks: new Set<SampleTask>(['discovery', 'counters']) });
    const g0 = first.guests.find((g) => g.pid === q.pid);
    expect(g0, `guest ${q.pid} discovered`).toBeDefined();
    expect(g0?.cgroup).toMatchObject({ path: group.rel, version: 1, own: true });
    expect(g0?.id).toBe(`qemu:${q.name}`);
    const stat0 = cpuSeconds(`/proc/${q.pid}/stat`);
    const u0 = g0?.cpu.usageUsec as number;

    await new Promise((r) => setTimeout(r, 3000));
    const second = await sampler.sample({ tasks: new Set<SampleTask>(['counters']) });
    const stat1 = cpuSeconds(`/proc/${q.pid}/stat`);
    const g1 = second.guests.find((g) => g.pid === q.pid);
    const samplerSec = ((g1?.cpu.usageUsec as number) - u0) / 1e6;
    const statSec = stat1 - stat0;
    // the cgroup really holds the QEMU and nothing else
    expect(readFileSync(group.dir('cpuacct') + '/cgroup.procs', 'utf8').trim()).toBe(String(q.pid));
    expect(statSec).toBeGreaterThan(0.5);
    expect(Math.abs(samplerSec - statSec) / statSec).toBeLessThan(0.15);
  });
});
