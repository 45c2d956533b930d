// createAdvisor(): the Advisor port dispatches to the numad advice, the host plan and the linter, and
// rejects bad requests with the contract's exit codes.

import { describe, expect, it } from 'vitest';
import { createAdvisor } from '../../src/engine/advisor/index.js';
import { makeHost } from '../fixtures/advisor/hosts.js';

const host = (intervalSec: number | null = 1, usage: number | null = 100) => makeHost({
  intervalSec,
  nodes: [
    { cpus: '0-3', totalMiB: 16384, freeMiB: 8000, usagePct: usage, distances: [10, 21] },
    { cpus: '4-7', totalMiB: 16384, freeMiB: 8000, usagePct: usage, distances: [21, 10] },
  ],
  guests: [{ id: 'qemu:a', vcpus: 4, cpuset: '0-3', perNodeMiB: { 0: 1024 }, rssMiB: 1024, usagePct: 100 }],
});

describe('createAdvisor (multi-node NUMA fixture)', () => {
  it('advises a need, a guest, the host and lints', async () => {
    const adv = createAdvisor();
    const { snap, raw } = host();
    expect((await adv.advise({ need: { vcpus: 2, memMiB: 512 } }, snap, raw)).fits).toBe(true);
    expect((await adv.advise({ guest: 'a' }, snap, raw)).guest).toBe('qemu:a');
    expect(Array.isArray(await adv.hostPlan(snap, raw))).toBe(true);
    expect(Array.isArray(await adv.lint(snap, raw))).toBe(true);
  });

  it('an interval that saw no clock ticks (captured tree: usage null) falls back to pinned vCPUs', async () => {
    // qemu:a pins 4 vCPUs to node 0 → node0 free 400 − 400 = 0 (shown as numad's minimum 1), node1 400
    const { snap, raw } = host(1, null);
    const a = await createAdvisor().advise({ need: { vcpus: 2, memMiB: 512 } }, snap, raw);
    expect(a.cpuSource).toBe('vcpus');
    expect(a.nodes.map((n) => n.freeCpuPct)).toEqual([1, 400]);
    expect(a.nodeset).toBe('1');
  });

  it('bad requests: exit 2; unknown guest: exit 3', async () => {
    const adv = createAdvisor();
    const { snap, raw } = host();
    await expect(adv.advise({}, snap, raw)).rejects.toMatchObject({ exitCode: 2 });
    await expect(adv.advise({ need: { vcpus: -1, memMiB: 1 } }, snap, raw)).rejects.toMatchObject({ exitCode: 2 });
    await expect(adv.advise({ need: { vcpus: 1, memMiB: 1 }, hugepages: '4M' as never }, snap, raw)).rejects.toMatchObject({ exitCode: 2 });
    await expect(adv.advise({ guest: 'zzz' }, snap, raw)).rejects.toMatchObject({ exitCode: 3 });
  });
});
