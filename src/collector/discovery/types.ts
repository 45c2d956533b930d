// Owns the shapes discovery hands to the sampler: one DiscoveredGuest per QEMU process (ids, manager,
// where its cgroup files live per controller, its QMP socket, vCPU threads and NICs). Cached between
// 'discovery' tasks; counters are read from it every tick.

import type { Manager } from '../../engine/model/sample.js';
import type { QemuCmdline } from './cmdline.js';

/** Real directories of the guest's cgroup per controller; null when that controller is not the guest's. */
export interface GuestCgroupDirs {
  version: 1 | 2;
  /** v2: the guest dir; v1: the cpu controller dir */
  cpu: string | null;
  /** v1 cpuacct dir (null on v2) */
  cpuacct: string | null;
  cpuset: string | null;
  memory: string | null;
  /** v2 io / v1 blkio */
  io: string | null;
  hugetlb: string | null;
  /** the cgroup2 dir of the guest (pure v2, or the hybrid unified mount where libvirt also creates groups) */
  unified: string | null;
  /** nested libvirt/ group dirs (limits are written there by libvirt ≥ 7.1): same keys */
  nested: { cpu: string | null; cpuset: string | null; memory: string | null; io: string | null } | null;
}

export interface DiscoveredVcpu {
  index: number;
  tid: number;
  source: 'cgroup' | 'comm';
  cgroupPath: string | null;
}

export interface DiscoveredNic {
  ifname: string;
  mac: string | null;
  macvtap: boolean;
}

export interface DiscoveredGuest {
  id: string;
  name: string;
  uuid: string | null;
  manager: Manager;
  pid: number;
  vmid: string | null;
  cmd: QemuCmdline | null;
  cgroup: { path: string; version: 1 | 2; own: boolean; nestedPath: string | null } | null;
  dirs: GuestCgroupDirs | null;
  qmp: { socket: string; dedicated: boolean } | null;
  vcpus: DiscoveredVcpu[];
  nics: DiscoveredNic[];
  /** how the guest was found: proc, cgroup, pidfile */
  routes: string[];
}

export interface DiscoveryResult {
  guests: DiscoveredGuest[];
  /** discovery problems repeated in every sample until the next discovery */
  warnings: Array<{ source: string; guest: string | null; message: string; kind?: string }>;
}
