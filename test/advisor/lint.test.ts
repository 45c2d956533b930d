// Every lint rule on a multi-node fixture host that triggers it and one that does not.

import { describe, expect, it } from 'vitest';
import { lintHost } from '../../src/engine/advisor/lint.js';
import { makeHost, type GuestSpec, type HostSpec } from '../fixtures/advisor/hosts.js';

const nodes: HostSpec['nodes'] = [
  { cpus: '0-3', totalMiB: 16384, freeMiB: 8000, usagePct: 100, distances: [10, 21] },
  { cpus: '4-7', totalMiB: 16384, freeMiB: 8000, usagePct: 100, distances: [21, 10] },
];

function lint(spec: Partial<HostSpec> & { guests?: GuestSpec[] }) {
  const { snap, raw } = makeHost({ nodes, ...spec });
  return lintHost(snap, raw);
}
const rules = (f: ReturnType<typeof lint>) => f.map((x) => x.rule);

describe('advise --lint (multi-node NUMA fixture)', () => {
  it('numa-remote-memory: memory outside the nodes the vCPUs may run on', () => {
    const bad = lint({ guests: [{ id: 'qemu:w', vcpus: 2, cpuset: '0-3', perNodeMiB: { 0: 1024, 1: 1024 } }] });
    expect(bad).toContainEqual(expect.objectContaining({
      rule: 'numa-remote-memory', severity: 'warning', guest: 'qemu:w', suggestion: 'virtune tune qemu:w --nodeset 0',
    }));
    expect(bad.find((f) => f.rule === 'numa-remote-memory')?.message).toMatch(/1024 MiB of 2048 MiB \(50%\)/);
    // 5 % remote is within numad's 90 % locality target; unpinned guests have no "outside"
    expect(rules(lint({ guests: [
      { id: 'qemu:ok', vcpus: 2, cpuset: '0-3', perNodeMiB: { 0: 1900, 1: 100 } },
      { id: 'qemu:free', vcpus: 2, perNodeMiB: { 0: 1000, 1: 1000 } },
    ] }))).not.toContain('numa-remote-memory');
  });

  it('vcpus-exceed-cpuset', () => {
    const bad = lint({ guests: [{ id: 'qemu:c', vcpus: 4, cpuset: '0-1' }] });
    expect(bad).toContainEqual(expect.objectContaining({
      rule: 'vcpus-exceed-cpuset', guest: 'qemu:c', suggestion: 'virtune tune qemu:c --cpuset 0-3',
    }));
    expect(rules(lint({ guests: [{ id: 'qemu:c', vcpus: 4, cpuset: '0-3' }] }))).not.toContain('vcpus-exceed-cpuset');
  });

  it('hugepages-remote: hugepage-backed memory bound to another node than the vCPUs', () => {
    const backends = [{ id: 'ram', sizeBytes: 1 << 30, merge: false, share: false, hugepages: true, pageSizeBytes: 2 << 20, hostNodes: [1], policy: 'bind', type: 'memory-backend-file' }];
    const bad = lint({ guests: [{ id: 'qemu:h', vcpus: 2, cpuset: '0-3', raw: { backends } }] });
    expect(bad).toContainEqual(expect.objectContaining({
      rule: 'hugepages-remote', severity: 'error', guest: 'qemu:h', suggestion: 'virtune tune qemu:h --cpuset 4-7',
    }));
    expect(bad[0]?.rule).toBe('hugepages-remote'); // errors first
    expect(rules(lint({ guests: [{ id: 'qemu:h', vcpus: 2, cpuset: '4-7', raw: { backends } }] }))).not.toContain('hugepages-remote');
  });

  it('hugepages-remote without backend bindings: the pages\' node is where the memory is, not QEMU\'s few MiB elsewhere; the fix is that node\'s CPUs', () => {
    // as the demo's db-04 after `tune --cpuset 0-3`: 4 GiB of hugepages on node 1, 19 MiB of QEMU on node 0
    const g: GuestSpec = { id: 'qemu:db', vcpus: 4, cpuset: '0-3', hugetlbMiB: 4096, perNodeMiB: { 0: 19, 1: 4230 } };
    const f = lint({ guests: [g] }).find((x) => x.rule === 'hugepages-remote');
    expect(f?.message).toMatch(/hugepages on node\(s\) 1 but its vCPUs run on node\(s\) 0:/);
    expect(f?.suggestion).toBe('virtune tune qemu:db --cpuset 4-7'); // the CPUs of node 1
    expect(rules(lint({ guests: [{ ...g, cpuset: '4-7' }] }))).not.toContain('hugepages-remote');
  });

  it('hugepages-remote on a node without CPUs (memory-only node): the finding stays, with no cpuset to suggest', () => {
    const backends = [{ id: 'ram', sizeBytes: 1 << 30, merge: false, share: false, hugepages: true, pageSizeBytes: 2 << 20, hostNodes: [2], policy: 'bind', type: 'memory-backend-file' }];
    const withCxl: HostSpec['nodes'] = [...nodes, { cpus: '', totalMiB: 65536, freeMiB: 60000, usagePct: null, distances: [30, 30, 10] }];
    const f = lint({ nodes: withCxl, guests: [{ id: 'qemu:h', vcpus: 2, cpuset: '0-3', raw: { backends } }] }).find((x) => x.rule === 'hugepages-remote');
    expect(f?.severity).toBe('error');
    expect(f?.suggestion).toBeNull();
  });

  it('ksm-merge-across-nodes with NUMA-pinned guests', () => {
    const pinned: GuestSpec = { id: 'qemu:p', vcpus: 1, cpuset: '0-3', mems: '0' };
    expect(lint({ ksm: { run: 1, mergeAcrossNodes: 1 }, guests: [pinned] })).toContainEqual(expect.objectContaining({
      rule: 'ksm-merge-across-nodes', guest: null, suggestion: 'virtune tune host --ksm merge_across_nodes=0',
    }));
    expect(rules(lint({ ksm: { run: 1, mergeAcrossNodes: 0 }, guests: [pinned] }))).not.toContain('ksm-merge-across-nodes');
    expect(rules(lint({ ksm: { run: 1, mergeAcrossNodes: 1 }, guests: [{ id: 'qemu:u', vcpus: 1 }] }))).not.toContain('ksm-merge-across-nodes');
  });

  it('ksm-off while guests have mergeable memory; ksm-idle when on with nothing to merge', () => {
    const mergeable = (id: string, merge: boolean): GuestSpec => ({
      id, vcpus: 1,
      raw: { backends: [{ id: 'ram', sizeBytes: 1 << 30, merge, share: false, hugepages: false, pageSizeBytes: 4096, hostNodes: null, policy: 'default', type: 'memory-backend-ram' }] },
    });
    expect(lint({ ksm: { run: 0 }, guests: [mergeable('qemu:a', true), mergeable('qemu:b', true)] }))
      .toContainEqual(expect.objectContaining({ rule: 'ksm-off', suggestion: 'virtune tune host --ksm run=1' }));
    expect(rules(lint({ ksm: { run: 0 }, guests: [mergeable('qemu:a', true), mergeable('qemu:b', false)] }))).not.toContain('ksm-off');
    expect(lint({ ksm: { run: 1 }, guests: [mergeable('qemu:a', false)] }))
      .toContainEqual(expect.objectContaining({ rule: 'ksm-idle', suggestion: 'virtune tune host --ksm run=0' }));
    expect(rules(lint({ ksm: { run: 1, fullScans: 5, pagesSharing: 0 }, guests: [] }))).toContain('ksm-idle');
    expect(rules(lint({ ksm: { run: 1, fullScans: 5, pagesSharing: 1000 }, guests: [mergeable('qemu:a', true)] }))).not.toContain('ksm-idle');
  });

  it('cpu-model-generic where the host offers more', () => {
    const g: GuestSpec = { id: 'qemu:old', vcpus: 1, raw: { cpuModel: 'qemu64,+ssse3' } };
    expect(lint({ cpuModel: 'AMD EPYC 7763 64-Core Processor', guests: [g] })).toContainEqual(expect.objectContaining({
      rule: 'cpu-model-generic', guest: 'qemu:old', suggestion: null,
    }));
    expect(rules(lint({ cpuModel: 'AMD EPYC 7763 64-Core Processor', guests: [{ ...g, raw: { cpuModel: 'host' } }] }))).not.toContain('cpu-model-generic');
    expect(rules(lint({ cpuModel: 'QEMU Virtual CPU version 2.5+', guests: [g] }))).not.toContain('cpu-model-generic');
  });

  it('cpu-quota-below-one for a multi-vCPU guest', () => {
    expect(lint({ guests: [{ id: 'qemu:q', vcpus: 4, quotaUsec: 50000, periodUsec: 100000 }] })).toContainEqual(expect.objectContaining({
      rule: 'cpu-quota-below-one', guest: 'qemu:q', suggestion: 'virtune tune qemu:q --cpu-quota 100%',
    }));
    expect(rules(lint({ guests: [{ id: 'qemu:q', vcpus: 1, quotaUsec: 50000, periodUsec: 100000 }] }))).not.toContain('cpu-quota-below-one');
    expect(rules(lint({ guests: [{ id: 'qemu:q', vcpus: 4, quotaUsec: 150000, periodUsec: 100000 }] }))).not.toContain('cpu-quota-below-one');
  });

  it('emulator-on-vcpu-cores', () => {
    const g: GuestSpec = { id: 'qemu:e', vcpus: 2, cpuset: '0-3', vcpuCpus: ['0', '1'], raw: { emulatorCpus: '0-3' } };
    expect(lint({ guests: [g] })).toContainEqual(expect.objectContaining({
      rule: 'emulator-on-vcpu-cores', guest: 'qemu:e', suggestion: 'virtune tune qemu:e --emulator-pin 2-3',
    }));
    expect(rules(lint({ guests: [{ ...g, raw: { emulatorCpus: '2-3' } }] }))).not.toContain('emulator-on-vcpu-cores');
    // vCPUs floating over every CPU are not "pinned": no finding
    expect(rules(lint({ guests: [{ ...g, vcpuCpus: ['0-7', '0-7'], raw: { emulatorCpus: '0-7' } }] }))).not.toContain('emulator-on-vcpu-cores');
  });

  it('hugepages-pool-exhausted per node', () => {
    const withPools = (free0: number): HostSpec['nodes'] => [
      { ...(nodes[0] as HostSpec['nodes'][0]), hugepages: { 2048: { total: 512, free: free0 }, 1048576: { total: 0, free: 0 } } },
      nodes[1] as HostSpec['nodes'][0],
    ];
    expect(lint({ nodes: withPools(0) })).toContainEqual(expect.objectContaining({
      rule: 'hugepages-pool-exhausted', guest: null, suggestion: 'virtune tune host --hugepages 2M@0=640',
    }));
    expect(rules(lint({ nodes: withPools(3) }))).not.toContain('hugepages-pool-exhausted');
  });

  it('a clean host has no findings', () => {
    expect(lint({ ksm: { run: 0, mergeAcrossNodes: 0 }, cpuModel: 'AMD EPYC', guests: [
      { id: 'qemu:good', vcpus: 2, cpuset: '4-7', mems: '1', perNodeMiB: { 1: 2048 }, raw: { cpuModel: 'host' } },
    ] })).toEqual([]);
  });
});
