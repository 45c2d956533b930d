// Owns a minimal RawSample around guests for libvirt planner tests (host: 2 online CPUs, one NUMA node,
// cgroup v1 — this machine).
import type { RawGuest, RawSample } from '../../src/engine/model/sample.js';

export function sampleWith(guests: RawGuest[]): RawSample {
  return {
    schemaVersion: 1, monoMs: 0, wallMs: 0, demo: false, errors: [], guests,
    host: {
      hostname: 'test', kernel: null, cgroupVersion: 1, cpuCount: 2, onlineCpus: '0-1', clkTck: 100, pageSizeBytes: 4096,
      cpuTotal: null, cpuPerCpu: null, memTotalBytes: null, memAvailableBytes: null,
      numaNodes: [{ node: 0, cpus: '0-1', memTotalBytes: null, memFreeBytes: null, inactiveFileBytes: null, hugepages: {}, distances: [10], hasMemory: true }],
      hugepages: {}, thp: null, ksm: null, psi: null, inventory: null,
    },
  };
}
