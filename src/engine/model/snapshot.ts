// Owns the Snapshot: the derived, per-second view of the host that every face shows and that
// `snapshot --json` prints. Field names and meanings follow the public contract exactly; fields may be
// added, never renamed. `null` = not known (missing file, no previous sample), never 0.

export interface HostNumaNodeSnap {
  node: number;
  cpus: string;
  memTotalBytes: number | null;
  memFreeBytes: number | null;
  /** numad's free: MemFree + Inactive(file) (extra field) */
  inactiveFileBytes: number | null;
  /** percent of one CPU, summed over the node's CPUs */
  cpuUsagePct: number | null;
  hugepages: Record<string, { total: number | null; free: number | null }>;
  distances: number[] | null;
}

export interface HostPsiSnap {
  cpuSomePct: number | null;
  ioSomePct: number | null;
  ioFullPct: number | null;
  memSomePct: number | null;
  memFullPct: number | null;
}

export interface HostSnap {
  hostname: string | null;
  kernel: string | null;
  cgroupVersion: 1 | 2 | null;
  cpuCount: number | null;
  /** host uptime (extra field, /proc/uptime), seconds with two decimals; null when unreadable */
  uptimeSec: number | null;
  cpuUsagePct: number | null;
  /** per host CPU (extra): percent busy of that CPU, keyed by CPU number */
  perCpuUsagePct: Record<string, number> | null;
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  numaNodes: HostNumaNodeSnap[];
  hugepages: Record<string, { total: number | null; free: number | null; reserved: number | null; surplus: number | null }>;
  thp: { enabled: string | null; defrag: string | null } | null;
  ksm: {
    run: number | null; pagesToScan: number | null; sleepMillisecs: number | null;
    pagesShared: number | null; pagesSharing: number | null; pagesUnshared: number | null;
    pagesVolatile: number | null; fullScans: number | null; mergeAcrossNodes: number | null;
    savedBytes: number | null;
  } | null;
  psi: HostPsiSnap | null;
  inventory: { cpuModel: string | null; sockets: number | null; cores: number | null } | null;
}

export interface VcpuSnap {
  index: number;
  tid: number | null;
  usagePct: number | null;
  runDelayPct: number | null;
  lastCpu: number | null;
  cpusAllowed: string | null;
  /** the vCPU's own cgroup limit (libvirt vcpuN); null when it has no group of its own (see quotaUnlimited) */
  quotaUsec: number | null;
  periodUsec: number | null;
  /** true = its group has no quota, false = a quota, null = no per-vCPU group / unknown */
  quotaUnlimited: boolean | null;
  throttledPct: number | null;
  nrThrottled: number | null;
}

/** Limit and throttling of one CPU sub-group (libvirt's emulator group). */
export interface CpuGroupSnap {
  quotaUsec: number | null;
  periodUsec: number | null;
  quotaUnlimited: boolean | null;
  throttledPct: number | null;
  nrThrottled: number | null;
}

export interface DiskLimitsSnap {
  readIops: number | null; writeIops: number | null;
  readBytesPerSec: number | null; writeBytesPerSec: number | null;
  totalIops: number | null; totalBytesPerSec: number | null;
}

export interface DiskSnap {
  name: string;
  /** the guest config's name for the disk (vda); null when unknown (and for blockDevices) */
  target: string | null;
  source: 'qmp' | 'cgroup' | 'libvirt';
  device: string | null;
  readIops: number | null; writeIops: number | null;
  readBytesPerSec: number | null; writeBytesPerSec: number | null;
  readLatencyMs: number | null; writeLatencyMs: number | null;
  flushLatencyMs: number | null;
  /** percentiles over the interval from QEMU's block latency histograms; null per kind when none are enabled (never estimated) */
  latencyMs: DiskLatencySnap;
  limits: DiskLimitsSnap;
}

export interface LatencyPercentilesMs { p50: number | null; p90: number | null; p99: number | null }
export interface DiskLatencySnap { read: LatencyPercentilesMs | null; write: LatencyPercentilesMs | null; flush: LatencyPercentilesMs | null }

export interface NicSnap {
  ifname: string;
  mac: string | null;
  rxBytesPerSec: number | null; txBytesPerSec: number | null;
  rxPacketsPerSec: number | null; txPacketsPerSec: number | null;
  rxDroppedPerSec: number | null; txDroppedPerSec: number | null;
  /** tc shaping on the tap; `active` is false when tc shows none, null when tc could not be asked */
  shaping: { inKbitPerSec: number | null; outKbitPerSec: number | null; active: boolean | null };
}

export interface GuestSnap {
  id: string;
  name: string;
  uuid: string | null;
  manager: 'libvirt' | 'proxmox' | 'qemu';
  pid: number;
  state: string | null;
  cgroup: { path: string; version: 1 | 2 } | null;
  vcpus: VcpuSnap[];
  cpu: {
    usagePct: number | null; stealPct: number | null;
    weight: number | null; shares: number | null;
    /** the guest group's own quota; null = unlimited or unknown (see quotaUnlimited) */
    quotaUsec: number | null; periodUsec: number | null;
    /** true = no quota on the guest or any of its vCPU/emulator groups, false = a quota somewhere, null = unknown */
    quotaUnlimited: boolean | null;
    /** the most throttled of the guest's group and its vCPU/emulator groups, % of CFS periods */
    throttledPct: number | null; nrThrottled: number | null;
    /** libvirt's emulator group (QEMU's non-vCPU threads); null when there is none */
    emulator: CpuGroupSnap | null;
    cpuset: string | null; cpusetEffective: string | null;
  };
  memory: {
    currentBytes: number | null; rssBytes: number | null;
    /** null = unlimited or unknown; see maxUnlimited */
    maxBytes: number | null;
    maxUnlimited: boolean | null;
    hugetlbBytes: number | null; anonHugeBytes: number | null;
    ksmMergingPages: number | null;
    mems: string | null;
    perNodeBytes: Record<string, number> | null;
    balloonActualBytes: number | null;
  };
  /** the guest's virtual disks (QMP or libvirt), one entry each */
  disks: DiskSnap[];
  /** host block devices the guest's cgroup did I/O on (source 'cgroup'); never mixed into disks */
  blockDevices: DiskSnap[];
  nics: NicSnap[];
  psi: { cpuSomePct: number | null; ioSomePct: number | null; memSomePct: number | null };
}

export interface Snapshot {
  schemaVersion: 1;
  timestamp: string;
  /** seconds between the two raw samples; null on the first sample */
  intervalSec: number | null;
  demo: boolean;
  host: HostSnap;
  guests: GuestSnap[];
  errors: Array<{ source: string; guest: string | null; message: string }>;
}

