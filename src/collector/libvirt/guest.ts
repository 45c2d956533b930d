// Owns the two small host reads the libvirt enricher needs for guests the collector did not fully
// know: an empty RawGuest for an active domain the collector missed, and the per-thread counters of
// a vCPU thread libvirt named (/proc/<pid>/task/<tid>/schedstat and field 39 of stat).

import type { RawGuest, RawVcpu } from '../../engine/model/sample.js';
import type { HostFs } from '../../engine/ports/host-fs.js';

export function blankGuest(id: string, name: string, pid: number): RawGuest {
  return {
    id, name, uuid: null, manager: 'libvirt', pid, vmid: null, state: null, cgroup: null, qmp: null,
    smp: null, cpuModel: null, vcpus: [], emulatorCpus: null,
    cpu: { usageUsec: null, userUsec: null, systemUsec: null, nrPeriods: null, nrThrottled: null, throttledUsec: null,
      weight: null, shares: null, quotaUsec: null, periodUsec: null, cpuset: null, cpusetEffective: null },
    memory: { currentBytes: null, rssBytes: null, maxBytes: null, hugetlbBytes: null, anonHugeBytes: null,
      ksmMergingPages: null, ksmZeroPages: null, mems: null, memsEffective: null, perNodeBytes: null,
      perNodeReadAtMs: null, balloonActualBytes: null, backends: null },
    disks: [], nics: [], psi: null,
  };
}

/** schedstat `run_ns wait_ns slices` → µs, and stat field 39 (last CPU); missing files leave nulls. */
export function parseSchedstat(text: string): { runUsec: number; waitUsec: number; timeslices: number } | null {
  const m = /^(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(text.trim());
  if (!m) return null;
  return { runUsec: Number(BigInt(m[1] as string) / 1000n), waitUsec: Number(BigInt(m[2] as string) / 1000n), timeslices: Number(m[3]) };
}

export function parseStatLastCpu(text: string): number | null {
  const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const v = after[36];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

export function readVcpuThread(fs: HostFs, pid: number, v: RawVcpu): void {
  if (v.tid === null) return;
  const base = `/proc/${pid}/task/${v.tid}`;
  try {
    const s = parseSchedstat(fs.readCached(`${base}/schedstat`));
    if (s) { v.runUsec = s.runUsec; v.waitUsec = s.waitUsec; v.timeslices = s.timeslices; }
  } catch { /* thread gone or not visible under this root */ }
  try { v.lastCpu = parseStatLastCpu(fs.readCached(`${base}/stat`)); } catch { /* same */ }
}
