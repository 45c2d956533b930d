// Owns the two small host reads the libvirt enricher needs for guests the collector did not fully
// know: an empty RawGuest for an active domain the collector missed, and the per-thread counters of
// a vCPU thread libvirt named (/proc/<pid>/task/<tid>/schedstat and field 39 of stat).

import type { RawGuest, RawVcpu } from '../../engine/model/sample.js';
import type { HostFs } from '../../engine/ports/host-fs.js';
import { readThreadCounters } from '../procfs/read.js';

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

/** schedstat `run_ns wait_ns slices` → µs, and the last CPU (procfs's one reader); missing files leave nulls. */
export function readVcpuThread(fs: HostFs, pid: number, v: RawVcpu): void {
  if (v.tid === null) return;
  const t = readThreadCounters(fs, pid, v.tid);
  if (t?.sched) { v.runUsec = t.sched.runUsec; v.waitUsec = t.sched.waitUsec; v.timeslices = t.sched.timeslices; }
  if (t) v.lastCpu = t.lastCpu;
}
