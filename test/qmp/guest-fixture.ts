// Owns RawGuest builders for QMP tests: a guest as the collector would hand it to an enricher
// (discovered pid, QMP socket from the command line, nothing else filled in).

import type { Manager, RawGuest } from '../../src/engine/model/sample.js';

export function bareGuest(o: { id: string; name: string; pid: number; manager?: Manager; socket?: string | null; dedicated?: boolean }): RawGuest {
  return {
    id: o.id, name: o.name, uuid: null, manager: o.manager ?? 'qemu', pid: o.pid, vmid: null, state: null, cgroup: null,
    qmp: o.socket ? { socket: o.socket, dedicated: o.dedicated ?? false, reachable: null } : null,
    smp: null, cpuModel: null, vcpus: [], emulatorCpus: null,
    cpu: {
      usageUsec: null, userUsec: null, systemUsec: null, nrPeriods: null, nrThrottled: null, throttledUsec: null,
      weight: null, shares: null, quotaUsec: null, periodUsec: null, cpuset: null, cpusetEffective: null,
    },
    memory: {
      currentBytes: null, rssBytes: null, maxBytes: null, hugetlbBytes: null, anonHugeBytes: null, ksmMergingPages: null,
      ksmZeroPages: null, mems: null, memsEffective: null, perNodeBytes: null, perNodeReadAtMs: null,
      balloonActualBytes: null, backends: null,
    },
    disks: [], nics: [], psi: null,
  };
}
