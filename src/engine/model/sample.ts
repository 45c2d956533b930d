// Owns the RawSample: cumulative counters and settings exactly as read from the host, before any
// derivation. Every value is `T | null`; null means "not known" and is never replaced by 0.
//
// Conversion rule for big counters (done once, at the parser edge): the kernel and QMP give some
// counters in nanoseconds that pass 2^53 on long-running hosts. Parsers read them as BigInt and store
// time counters in MICROSECONDS as plain numbers (2^53 µs is 285 years), byte counters as numbers
// (2^53 bytes is 8 PiB). Nothing in a RawSample is a bigint, so it serialises to JSON unchanged
// (recorder, transports).

/** `max` in cgroup v2, -1 / a huge number in v1: a tagged value, never a sentinel number. */
export type Limit = number | 'max';

export type Manager = 'libvirt' | 'proxmox' | 'qemu';

export interface SourceErrorInfo {
  /** Which part of the collector: `cgroup`, `proc`, `sysfs`, `qmp`, `tc`, `libvirt`, `discovery`, … */
  source: string;
  /** Guest id when the error belongs to one guest. */
  guest: string | null;
  message: string;
  /** missing | vanished | permission | parse | timeout | unsupported | io */
  kind?: string;
}

export interface RawCpuTimes {
  /** USER_HZ ticks from /proc/stat. */
  user: number; nice: number; system: number; idle: number; iowait: number;
  irq: number; softirq: number; steal: number; guest: number; guestNice: number;
}

export interface RawHugepagePool {
  total: number | null; free: number | null; reserved: number | null; surplus: number | null;
}

export interface RawNumaNode {
  node: number;
  cpus: string;                     // kernel list syntax
  memTotalBytes: number | null;
  memFreeBytes: number | null;
  /** Inactive(file): numad counts it as free. */
  inactiveFileBytes: number | null;
  /** keyed by page size in KiB; per-node pools only know total/free/surplus. */
  hugepages: Record<string, { total: number | null; free: number | null }>;
  distances: number[] | null;
  hasMemory: boolean | null;
}

export interface RawPsiTotals {
  /** cumulative stall time in µs (`total=`), null when the line/file is absent. */
  cpuSomeUsec: number | null;
  cpuFullUsec: number | null;
  ioSomeUsec: number | null;
  ioFullUsec: number | null;
  memSomeUsec: number | null;
  memFullUsec: number | null;
}

export interface RawKsm {
  run: number | null;
  pagesToScan: number | null;
  sleepMillisecs: number | null;
  pagesShared: number | null;
  pagesSharing: number | null;
  pagesUnshared: number | null;
  pagesVolatile: number | null;
  fullScans: number | null;
  mergeAcrossNodes: number | null;
  zeroPages: number | null;
  pageSizeBytes: number;
}

export interface RawHost {
  hostname: string | null;
  kernel: string | null;
  cgroupVersion: 1 | 2 | null;
  cpuCount: number | null;
  onlineCpus: string | null;
  /** /proc/uptime first field as integer ms; null when unreadable, absent in recordings made before it existed */
  uptimeMs?: number | null;
  clkTck: number;
  pageSizeBytes: number;
  /** /proc/stat aggregate and per-CPU times. */
  cpuTotal: RawCpuTimes | null;
  cpuPerCpu: Record<string, RawCpuTimes> | null;
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  numaNodes: RawNumaNode[];
  /** keyed by page size in KiB */
  hugepages: Record<string, RawHugepagePool>;
  thp: { enabled: string | null; defrag: string | null } | null;
  ksm: RawKsm | null;
  psi: RawPsiTotals | null;
  /** static inventory (CPU model, sockets), filled rarely */
  inventory: { cpuModel: string | null; sockets: number | null; cores: number | null } | null;
}

export interface RawVcpu {
  index: number;
  tid: number | null;
  /** where the index↔tid mapping came from */
  source: 'qmp' | 'cgroup' | 'comm' | 'libvirt' | 'demo';
  /** /proc/<pid>/task/<tid>/schedstat: on-CPU ns and run-queue wait ns, stored as µs */
  runUsec: number | null;
  waitUsec: number | null;
  timeslices: number | null;
  /** field 39 of stat: CPU last run on */
  lastCpu: number | null;
  cpusAllowed: string | null;
  /** per-vCPU cgroup when the manager made one (libvirt vcpuN) */
  cgroupPath: string | null;
  /** CFS limit and throttling of that per-vCPU cgroup (libvirt `<cputune><quota>`); absent/null when none */
  cpuGroup?: RawCpuGroup | null;
}

/** CFS limit and throttling counters of one sub-group (a libvirt vcpuN or emulator group). */
export interface RawCpuGroup {
  quotaUsec: Limit | null;
  periodUsec: number | null;
  nrPeriods: number | null;
  nrThrottled: number | null;
  throttledUsec: number | null;
}

export interface RawGuestCpu {
  usageUsec: number | null;
  userUsec: number | null;
  systemUsec: number | null;
  nrPeriods: number | null;
  nrThrottled: number | null;
  throttledUsec: number | null;
  weight: number | null;      // v2 cpu.weight
  shares: number | null;      // v1 cpu.shares
  quotaUsec: Limit | null;    // 'max' = unlimited
  periodUsec: number | null;
  cpuset: string | null;
  cpusetEffective: string | null;
}

export interface RawGuestMemory {
  currentBytes: number | null;
  rssBytes: number | null;
  maxBytes: Limit | null;
  hugetlbBytes: number | null;
  anonHugeBytes: number | null;
  ksmMergingPages: number | null;
  ksmZeroPages: number | null;
  mems: string | null;
  memsEffective: string | null;
  /** resident bytes per NUMA node (hugetlb included); keys are decimal strings */
  perNodeBytes: Record<string, number> | null;
  /** monotonic ms when perNodeBytes was read (sampled at a slower cadence) */
  perNodeReadAtMs: number | null;
  balloonActualBytes: number | null;
  /** from QMP query-memdev, when known */
  backends: Array<{
    id: string | null; sizeBytes: number | null; merge: boolean | null; share: boolean | null;
    hugepages: boolean | null; pageSizeBytes: number | null;
    hostNodes: number[] | null; policy: string | null; type: string | null;
  }> | null;
}

export interface RawDiskLimits {
  readIops: number | null; writeIops: number | null;
  readBytesPerSec: number | null; writeBytesPerSec: number | null;
  totalIops: number | null; totalBytesPerSec: number | null;
  /** QEMU throttling extras (burst, group, iops_size), verbatim QMP names */
  extra?: Record<string, number | string>;
}

export interface RawDisk {
  /** `qmp`: the virtual disk id (qdev id / device / node name); `cgroup`: host device name (vda) */
  name: string;
  source: 'qmp' | 'cgroup' | 'libvirt';
  /** `MAJ:MIN` for cgroup disks */
  device: string | null;
  /** QMP qdev path or node name, for QMP keyed disks */
  qdev: string | null;
  /** the name the guest config gives the disk (libvirt `<target dev>`: vda); absent/null when unknown */
  target?: string | null;
  /**
   * monotonic ms when these counters were read (QMP/libvirt: when the reply arrived); rates use it when
   * both samples have it, else the samples' own times
   */
  atMonoMs?: number | null;
  readOps: number | null; writeOps: number | null; flushOps: number | null;
  readBytes: number | null; writeBytes: number | null;
  /** summed latency, µs */
  readTimeUsec: number | null; writeTimeUsec: number | null; flushTimeUsec: number | null;
  limits: RawDiskLimits;
  /** QEMU block latency histograms (cumulative bins), when enabled with block-latency-histogram-set */
  latencyHistograms?: RawLatencyHistograms | null;
}

/** One QEMU latency histogram: bins[i] counts requests below boundariesNs[i] (and ≥ the one before); the last bin is open. */
export interface RawLatencyHistogram { boundariesNs: number[]; bins: number[] }
export interface RawLatencyHistograms { read: RawLatencyHistogram | null; write: RawLatencyHistogram | null; flush: RawLatencyHistogram | null }

export interface RawNic {
  ifname: string;
  mac: string | null;
  /** true for macvtap (counters not inverted) */
  macvtap: boolean;
  /** Counters already in the GUEST's direction: rx = received by the guest (tap tx). */
  rxBytes: number | null; txBytes: number | null;
  rxPackets: number | null; txPackets: number | null;
  rxDropped: number | null; txDropped: number | null;
  shaping: { inKbitPerSec: number | null; outKbitPerSec: number | null } | null;
}

/** libvirt's view of a domain (from virsh dumpxml/dominfo/domstats); absent for other managers. */
export interface RawLibvirtCputune {
  shares: number | null;
  /** µs; quota negative = unlimited, as libvirt reports it */
  period: number | null; quota: number | null;
  globalPeriod: number | null; globalQuota: number | null;
  emulatorPeriod: number | null; emulatorQuota: number | null;
  iothreadPeriod: number | null; iothreadQuota: number | null;
  vcpupin: Array<{ vcpu: number; cpuset: string }>;
  emulatorpin: string | null;
  iothreadpin: Array<{ iothread: number; cpuset: string }>;
}

export interface RawLibvirtBandwidth { average: number | null; peak: number | null; burst: number | null; floor: number | null }

export interface RawLibvirt {
  /** the connection URI used (null = virsh's default) */
  uri: string | null;
  domId: number | null;
  uuid: string | null;
  state: string | null;
  persistent: boolean | null;
  autostart: boolean | null;
  vcpuCount: number | null;
  maxMemoryKiB: number | null;
  currentMemoryKiB: number | null;
  /** `<resource><partition>` */
  partition: string | null;
  cputune: RawLibvirtCputune | null;
  numatune: { mode: string | null; nodeset: string | null; placement: string | null } | null;
  blkiotune: {
    weight: number | null;
    devices: Array<{ path: string; weight: number | null; readIopsSec: number | null; writeIopsSec: number | null;
      readBytesSec: number | null; writeBytesSec: number | null }>;
  } | null;
  memtune: { hardLimitKiB: number | null; softLimitKiB: number | null; swapHardLimitKiB: number | null } | null;
  memoryBacking: { hugepages: boolean; pageSizesKiB: number[]; locked: boolean; nosharepages: boolean;
    source: string | null; access: string | null; allocation: string | null } | null;
  disks: Array<{ target: string; alias: string | null; source: string | null; type: string | null; device: string | null;
    bus: string | null; cache: string | null; qomPath: string | null;
    /** `<iotune>` children verbatim (read_iops_sec, group_name, ...) */
    iotune: Record<string, number | string> }>;
  interfaces: Array<{ ifname: string | null; mac: string | null; type: string | null; model: string | null; alias: string | null;
    /** KB/s (tc kbps = 1000 B/s) and KiB, as libvirt stores them */
    inbound: RawLibvirtBandwidth | null; outbound: RawLibvirtBandwidth | null }>;
  /** `virsh domstats` vcpu.N.*: time on CPU, wait (I/O wait) and delay (run-queue wait), µs */
  vcpuStats: Array<{ index: number; state: number | null; timeUsec: number | null; waitUsec: number | null; delayUsec: number | null }>;
  balloon: { currentKiB: number | null; maximumKiB: number | null; rssKiB: number | null; usableKiB: number | null;
    unusedKiB: number | null; availableKiB: number | null } | null;
  cpuTimeUsec: number | null; cpuUserUsec: number | null; cpuSystemUsec: number | null;
}

export interface RawGuest {
  /** libvirt's view when the guest is a libvirt domain and virsh answered */
  libvirt?: RawLibvirt | null;
  id: string;
  name: string;
  uuid: string | null;
  manager: Manager;
  pid: number;
  vmid: string | null;
  state: string | null;
  cgroup: {
    /** path relative to the cgroup mount, e.g. `/machine.slice/machine-qemu\x2d1\x2dweb01.scope` */
    path: string;
    version: 1 | 2;
    /** false when the QEMU process only sits in a shared cgroup (a shell's session scope) */
    own: boolean;
    /** libvirt ≥ 7.1 under systemd: the nested `<scope>/libvirt` group where libvirt writes limits */
    nestedPath?: string | null;
  } | null;
  qmp: { socket: string; dedicated: boolean; reachable: boolean | null } | null;
  /** -smp count and -cpu model from the command line, when known */
  smp: number | null;
  cpuModel: string | null;
  vcpus: RawVcpu[];
  emulatorCpus: string | null;
  /** libvirt's emulator group (`<cputune><emulator_quota>`): absent/null when there is none */
  emulatorCpuGroup?: RawCpuGroup | null;
  cpu: RawGuestCpu;
  memory: RawGuestMemory;
  disks: RawDisk[];
  nics: RawNic[];
  psi: RawPsiTotals | null;
  /** QEMU IOThreads from QMP query-iothreads, with their host thread's schedstat (µs) */
  iothreads?: RawIothread[];
}

export interface RawIothread {
  id: string;
  tid: number | null;
  runUsec: number | null;
  waitUsec: number | null;
}

export interface RawSample {
  schemaVersion: 1;
  /** monotonic ms of the read (interval math uses this only) */
  monoMs: number;
  /** wall-clock ms since the epoch (labels only) */
  wallMs: number;
  demo: boolean;
  host: RawHost;
  guests: RawGuest[];
  errors: SourceErrorInfo[];
  /** what this sample cost to read, µs of wall time */
  costUsec?: number | null;
}
