// /metrics content (fixture raw samples: no host needed): cumulative counters in seconds and bytes as
// read, limits as gauges only when set, unknown values and vanished guests left out (never 0), labels
// guest/manager/uuid/device, hugepages per size, node and state.

import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/cli/serve-metrics.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { EngineStatus } from '../../src/engine/protocol/api.js';
import { rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';

function source(raw: () => RawSample | null) {
  const status = { samples: 7, lastSampleCostUsec: 1500, lastDeriveCostUsec: 200, clients: 2, guests: 2 } as EngineStatus;
  return { status: async () => status, latestRaw: raw };
}

const line = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('/metrics content', () => {
  it('exports counters as read, limits when set, and leaves unknowns out', async () => {
    const a = rawGuest('qemu:a', { uuid: '0f0e0d0c-0000-4000-8000-000000000001' });
    a.cpu.usageUsec = 2_500_000;
    a.cpu.throttledUsec = 300_000;
    a.cpu.quotaUsec = 150_000;
    a.vcpus[0]!.waitUsec = 1_250_000;
    a.disks[0]!.readBytes = 4096;
    a.disks[0]!.readOps = 3;
    a.disks[0]!.limits.readIops = 500;
    a.nics[0]!.rxBytes = 1000;
    a.memory.maxBytes = 2 ** 31;
    const b = rawGuest('libvirt:b', { manager: 'libvirt' });
    b.cpu.usageUsec = null; // not known: no series, not 0
    b.memory.currentBytes = null;
    const host = rawHost();
    host.numaNodes[0]!.hugepages = { 2048: { total: 64, free: 10 } };
    let raw: RawSample | null = rawSample(1000, host, [a, b]);
    const m = createMetrics(source(() => raw));
    let text = await m.render();
    expect(line(text, 'virtune_guest_cpu_seconds_total')).toEqual([
      'virtune_guest_cpu_seconds_total{guest="a",manager="qemu",uuid="0f0e0d0c-0000-4000-8000-000000000001"} 2.5',
    ]);
    expect(text).toMatch(/^# TYPE virtune_guest_cpu_seconds_total counter$/m);
    expect(line(text, 'virtune_guest_cpu_throttled_seconds_total')[0]).toMatch(/ 0\.3$/);
    expect(line(text, 'virtune_guest_vcpu_delay_seconds_total')[0]).toBe('virtune_guest_vcpu_delay_seconds_total{guest="a",manager="qemu",uuid="0f0e0d0c-0000-4000-8000-000000000001",vcpu="0"} 1.25');
    expect(line(text, 'virtune_guest_disk_bytes_total')).toContain('virtune_guest_disk_bytes_total{guest="a",manager="qemu",uuid="0f0e0d0c-0000-4000-8000-000000000001",device="virtio-disk0",op="read"} 4096');
    expect(line(text, 'virtune_guest_network_bytes_total')[0]).toMatch(/device="vnet0",direction="rx"\} 1000$/);
    expect(line(text, 'virtune_guest_cpu_quota_cpus')).toEqual(['virtune_guest_cpu_quota_cpus{guest="a",manager="qemu",uuid="0f0e0d0c-0000-4000-8000-000000000001"} 1.5']);
    expect(line(text, 'virtune_guest_memory_limit_bytes')).toHaveLength(1); // b has none ('max')
    expect(line(text, 'virtune_guest_disk_limit_iops')).toEqual([
      'virtune_guest_disk_limit_iops{guest="a",manager="qemu",uuid="0f0e0d0c-0000-4000-8000-000000000001",device="virtio-disk0",op="read"} 500',
    ]);
    expect(line(text, 'virtune_guest_memory_bytes').map((l) => l.split('{')[1]!.split(',')[0])).toEqual(['guest="a"']);
    expect(line(text, 'virtune_numa_node_hugepages')).toEqual([
      'virtune_numa_node_hugepages{node="0",size="2097152",state="total"} 64',
      'virtune_numa_node_hugepages{node="0",size="2097152",state="free"} 10',
    ]);
    expect(line(text, 'virtune_ksm_saved_bytes')).toEqual([`virtune_ksm_saved_bytes ${(100 + 5) * 4096}`]);
    expect(line(text, 'virtune_engine_samples_total')).toEqual(['virtune_engine_samples_total 7']);
    expect(text).not.toMatch(/_pct\b|per_sec\b/);
    // guest a vanished: its series go with it
    raw = rawSample(2000, host, [b]);
    text = await m.render();
    expect(text).not.toContain('guest="a"');
    raw = null;
    text = await m.render();
    expect(line(text, 'virtune_guest_cpu_seconds_total')).toEqual([]);
  });
});
