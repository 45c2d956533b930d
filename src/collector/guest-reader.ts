// Owns reading one discovered guest into a RawGuest every tick: cgroup CPU/memory/disks/PSI (PSI also
// from the unified tree of hybrid hosts; libvirt's vcpuN/emulator CPU groups' quota and throttling, a
// group without a quota read only on settings ticks as its counters cannot move) (counters
// only from the guest's own cgroup; a shared cgroup's counters belong to others, so /proc/<pid>/stat is
// used instead), /proc status (RSS, hugetlb, allowed nodes), KSM per process, vCPU schedstat/last CPU/
// allowed CPUs, NIC counters flipped to the guest's view (macvtap not flipped), and at the slow 'numa'
// cadence per-node memory (numa_maps, else memory.numa_stat + hugetlb numa_stat), carried forward between.

import type { RawCpuGroup, RawDisk, RawDiskLimits, RawGuest, RawNic, RawVcpu } from '../engine/model/sample.js';
import { readCpuGroup, readGuestCpu, readGuestDisks, readGuestMemory, readGuestNumaStat, readGuestThp, readPsiTotals } from './cgroup/read.js';
import type { DiscoveredGuest } from './discovery/types.js';
import { statusField, statusKbToBytes, type NetDevCounters } from './procfs/parse.js';
import {
  readKsmMergingPages, readKsmStat, readNumaMaps, readPidStat, readSchedstat, readSmapsRollup, readStatmRss, readStatus, readTaskProcessor,
} from './procfs/read.js';
import { newGuestFiles, type GuestFiles, type ReadCtx } from './read-ctx.js';
import { readNetStats } from './sysfs/read.js';

/** Values read at the slow cadence and carried forward between reads. */
export interface GuestSlowState {
  perNodeBytes: Record<string, number> | null;
  perNodeReadAtMs: number | null;
  anonHugeBytes: number | null;
  /** /proc/<pid>/status figures that change rarely (HugetlbPages, Mems_allowed_list) */
  hugetlbStatusBytes: number | null;
  /** hugetlb.<size>.current summed: hugetlb pools are set up at guest start, so read at the slow cadence */
  hugetlbCgroupBytes: number | null;
  memsAllowed: string | null;
  /** Cpus_allowed_list per vCPU tid, re-read on slow ticks and whenever the guest's cpuset changes */
  cpusAllowed: Map<number, string | null>;
  cpusetKey: string | null;
  /** CPU groups (`vcpuN`, `emulator`) last read, frozen: reused while their numbers stay the same */
  cpuGroups: Map<string, RawCpuGroup>;
  /** cgroup throttle limits per device last read, frozen: reused while they stay the same */
  diskLimits: Map<string, RawDiskLimits>;
  /** the guest's cgroup description last built, frozen: reused while discovery reports the same */
  cgroup: RawGuest['cgroup'];
  /** the files the guest reads (ReadCtx.forGuest), made again after every discovery task */
  files: GuestFiles;
}

export function newSlowState(): GuestSlowState {
  return {
    perNodeBytes: null, perNodeReadAtMs: null, anonHugeBytes: null, hugetlbStatusBytes: null, hugetlbCgroupBytes: null, memsAllowed: null,
    cpusAllowed: new Map(), cpusetKey: null, cpuGroups: new Map(), diskLimits: new Map(), cgroup: null,
    files: newGuestFiles(),
  };
}

export interface GuestReadOptions {
  numa: boolean;
  monoMs: number;
  hugeSizesKb: readonly number[];
  pageSize: number;
  clkTck: number;
  devName: (majmin: string) => string | null;
  /** /proc/net/dev of this tick (one read for every NIC), null when the tree has none */
  netDev: Map<string, NetDevCounters> | null;
}

/**
 * Parts read every tick that rarely change (a CPU group's quota and throttling, per-node memory) are
 * carried over as the same frozen object while their content is equal, so the recorder's encoder skips
 * them (record/codec); frozen, so nothing downstream writes into an object another sample shares.
 */
function sameFlat(a: object, b: object): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in y) { if (x[k] !== y[k]) return false; n++; }
  for (const _ in x) n--;
  return n === 0;
}

/** `prev` when `next` holds the same fields, else `next` frozen. */
function carry<T extends object>(prev: T | null | undefined, next: T): T {
  return prev && sameFlat(prev, next) ? prev : Object.freeze(next);
}

function keepGroup(slow: GuestSlowState, key: string, g: RawCpuGroup | null): RawCpuGroup | null {
  if (g === null) { slow.cpuGroups.delete(key); return null; }
  const kept = carry(slow.cpuGroups.get(key), g);
  slow.cpuGroups.set(key, kept);
  return kept;
}

/** cgroup disks with their limits carried over (frozen) from the last read while unchanged */
function keepDiskLimits(slow: GuestSlowState, disks: RawDisk[]): RawDisk[] {
  const seen = new Map<string, RawDiskLimits>();
  for (const x of disks) {
    const key = x.device ?? x.name;
    x.limits = carry(slow.diskLimits.get(key), x.limits);
    seen.set(key, x.limits);
  }
  slow.diskLimits = seen;
  return disks;
}

function keepCgroup(slow: GuestSlowState, c: NonNullable<DiscoveredGuest['cgroup']> | null): RawGuest['cgroup'] {
  return (slow.cgroup = c === null ? null : carry(slow.cgroup, { path: c.path, version: c.version, own: c.own, nestedPath: c.nestedPath }));
}

/** Allowed CPUs of a thread (`Cpus_allowed_list` of its status; a ~1.3 KB file, so not every tick). */
export function readCpusAllowed(ctx: ReadCtx, pid: number, tid: number): string | null {
  const st = readStatus(ctx, pid, tid);
  return st === null ? null : statusField(st, 'Cpus_allowed_list');
}

/** Per-vCPU counters of a thread (schedstat run/wait ns → µs, last CPU); allowed CPUs when asked. */
export function readVcpuCounters(ctx: ReadCtx, pid: number, v: RawVcpu, withAllowed = true): void {
  if (v.tid === null) return;
  const ss = readSchedstat(ctx, pid, v.tid);
  v.runUsec = ss?.runUsec ?? null;
  v.waitUsec = ss?.waitUsec ?? null;
  v.timeslices = ss?.timeslices ?? null;
  // last CPU is carried between settings ticks, but never for a thread whose counters are gone
  v.lastCpu = ss === null ? null : readTaskProcessor(ctx, pid, v.tid);
  if (withAllowed) v.cpusAllowed = readCpusAllowed(ctx, pid, v.tid);
}

function nicOf(ctx: ReadCtx, n: DiscoveredGuest['nics'][number], netDev: Map<string, NetDevCounters> | null): RawNic {
  // the same 64-bit counters as sysfs statistics/, one file for all NICs; sysfs when it is not listed
  const s = netDev?.get(n.ifname) ?? readNetStats(ctx, n.ifname);
  // tap: what the guest sends arrives as tap rx; macvtap counters are already the guest's view
  const flip = !n.macvtap;
  return {
    ifname: n.ifname, mac: n.mac, macvtap: n.macvtap,
    rxBytes: flip ? s.txBytes : s.rxBytes, txBytes: flip ? s.rxBytes : s.txBytes,
    rxPackets: flip ? s.txPackets : s.rxPackets, txPackets: flip ? s.rxPackets : s.txPackets,
    rxDropped: flip ? s.txDropped : s.rxDropped, txDropped: flip ? s.rxDropped : s.txDropped,
    // tc state needs `tc -j` (a CommandRunner); sysfs does not show qdiscs, so shaping stays unknown here
    shaping: null,
  };
}

/** `vcpuN`, libvirt's group of vCPU N, made once per N (the same string every tick). */
const vcpuGroupNames: string[] = [];
function vcpuGroupName(index: number): string {
  if (!(Number.isInteger(index) && index >= 0 && index < 65536)) return `vcpu${index}`;
  return (vcpuGroupNames[index] ??= `vcpu${index}`);
}

/**
 * A guest's memory figures. Byte counts start small on a small guest and grow past 2^31 (THP, RSS, a
 * balloon): the object is made with every figure null, then filled, so V8 holds these fields as any
 * value from the first tick on, not as small integers that one large value later changes to another
 * shape — which sends every function that has seen the object (this reader, the bounds check, derive)
 * back to unoptimized code and compiles it again.
 */
function guestMemory(
  currentBytes: number | null, rssBytes: number | null, maxBytes: RawGuest['memory']['maxBytes'], hugetlbBytes: number | null,
  ksmMergingPages: number | null, ksmZeroPages: number | null, mems: string | null, memsEffective: string | null, slow: GuestSlowState,
): RawGuest['memory'] {
  const m: RawGuest['memory'] = {
    currentBytes: null, rssBytes: null, maxBytes: null, hugetlbBytes: null, anonHugeBytes: null,
    ksmMergingPages: null, ksmZeroPages: null, mems, memsEffective, perNodeBytes: slow.perNodeBytes,
    perNodeReadAtMs: null, balloonActualBytes: null, backends: null,
  };
  m.currentBytes = currentBytes;
  m.rssBytes = rssBytes;
  m.maxBytes = maxBytes;
  m.hugetlbBytes = hugetlbBytes;
  m.anonHugeBytes = slow.anonHugeBytes;
  m.ksmMergingPages = ksmMergingPages;
  m.ksmZeroPages = ksmZeroPages;
  m.perNodeReadAtMs = slow.perNodeReadAtMs;
  return m;
}

export function readGuest(ctx: ReadCtx, g: DiscoveredGuest, slow: GuestSlowState, o: GuestReadOptions): RawGuest {
  const own = g.cgroup?.own ?? false;
  const d = g.dirs;
  const cg = d ? readGuestCpu(ctx, d, own) : null;
  const mem = d ? readGuestMemory(ctx, d, own, o.numa ? o.hugeSizesKb : []) : null;
  if (o.numa) slow.hugetlbCgroupBytes = mem?.hugetlbBytes ?? null;

  let usageUsec = cg?.usageUsec ?? null;
  let userUsec = cg?.userUsec ?? null;
  let systemUsec = cg?.systemUsec ?? null;
  if (usageUsec === null) {
    // no own cgroup accounting: the QEMU process's own CPU time (ticks → µs)
    const ps = readPidStat(ctx, g.pid);
    const tickUsec = 1e6 / o.clkTck;
    if (ps && ps.utimeTicks !== null && ps.stimeTicks !== null) {
      usageUsec = (ps.utimeTicks + ps.stimeTicks) * tickUsec;
      userUsec = ps.utimeTicks * tickUsec;
      systemUsec = ps.stimeTicks * tickUsec;
    }
  }

  // RSS every tick from the small statm (resident pages); the big status file only on slow ticks
  let rss = readStatmRss(ctx, g.pid, o.pageSize);
  if (rss === null) {
    const st = readStatus(ctx, g.pid);
    rss = st === null ? null : statusKbToBytes(statusField(st, 'VmRSS') ?? undefined);
  }
  if (o.numa) {
    const status = readStatus(ctx, g.pid);
    slow.hugetlbStatusBytes = status === null ? null : statusKbToBytes(statusField(status, 'HugetlbPages') ?? undefined);
    slow.memsAllowed = status === null ? null : statusField(status, 'Mems_allowed_list');
  }

  const ksm = readKsmStat(ctx, g.pid);
  const ksmMerging = ksm?.mergingPages ?? readKsmMergingPages(ctx, g.pid);

  if (o.numa) {
    const nm = readNumaMaps(ctx, g.pid);
    const perNode = nm ? nm.perNodeBytes : d && own ? readGuestNumaStat(ctx, d, o.hugeSizesKb, o.pageSize) : null;
    slow.perNodeBytes = perNode ? carry(slow.perNodeBytes, perNode) : null;
    slow.perNodeReadAtMs = perNode ? o.monoMs : null;
    // THP: cgroup memory.stat when the cgroup is the guest's own, else smaps_rollup (walks page tables)
    const cgThp = d && own ? readGuestThp(ctx, d) : null;
    slow.anonHugeBytes = cgThp ?? readSmapsRollup(ctx, g.pid)?.get('AnonHugePages') ?? null;
  }
  const cpusetKey = `${cg?.cpuset ?? ''}|${cg?.cpusetEffective ?? ''}`;
  const rereadAllowed = o.numa || cpusetKey !== slow.cpusetKey || g.vcpus.some((v) => !slow.cpusAllowed.has(v.tid));
  slow.cpusetKey = cpusetKey;

  // libvirt's per-vCPU and emulator groups carry their own CFS quota (`<cputune><quota>` lands in
  // vcpuN/, `<emulator_quota>` in emulator/): read in the cpu controller's tree (v1) or the guest's dir (v2)
  const groupsDir = d && own && g.vcpus.some((v) => v.cgroupPath !== null) ? d.nested?.cpu ?? d.cpu : null;
  const vcpus: RawVcpu[] = g.vcpus.map((v) => {
    const rv: RawVcpu = {
      index: v.index, tid: v.tid, source: v.source, runUsec: null, waitUsec: null, timeslices: null,
      lastCpu: null, cpusAllowed: null, cgroupPath: v.cgroupPath,
    };
    if (groupsDir && d && v.cgroupPath !== null) {
      const key = vcpuGroupName(v.index);
      rv.cpuGroup = keepGroup(slow, key, readCpuGroup(ctx, ctx.at(groupsDir, key), d.version, slow.cpuGroups.get(key) ?? null));
    }
    readVcpuCounters(ctx, g.pid, rv, false);
    if (rereadAllowed) slow.cpusAllowed.set(v.tid, readCpusAllowed(ctx, g.pid, v.tid));
    rv.cpusAllowed = slow.cpusAllowed.get(v.tid) ?? null;
    return rv;
  });

  // PSI from the guest's cgroup v2 dir: pure v2, and on hybrid hosts the unified tree's group
  const psi = d && own && d.unified
    ? readPsiTotals(ctx, d.unified, { cpu: 'cpu.pressure', io: 'io.pressure', mem: 'memory.pressure' })
    : null;

  return {
    id: g.id, name: g.name, uuid: g.uuid, manager: g.manager, pid: g.pid, vmid: g.vmid, state: null,
    cgroup: keepCgroup(slow, g.cgroup),
    qmp: g.qmp ? { socket: g.qmp.socket, dedicated: g.qmp.dedicated, reachable: null } : null,
    smp: g.cmd?.smp ?? null,
    cpuModel: g.cmd?.cpuModel ?? null,
    vcpus,
    emulatorCpus: null,
    emulatorCpuGroup: groupsDir && d
      ? keepGroup(slow, 'emulator', readCpuGroup(ctx, ctx.at(groupsDir, 'emulator'), d.version, slow.cpuGroups.get('emulator') ?? null))
      : null,
    cpu: {
      usageUsec, userUsec, systemUsec,
      nrPeriods: cg?.nrPeriods ?? null, nrThrottled: cg?.nrThrottled ?? null, throttledUsec: cg?.throttledUsec ?? null,
      weight: cg?.weight ?? null, shares: cg?.shares ?? null, quotaUsec: cg?.quotaUsec ?? null, periodUsec: cg?.periodUsec ?? null,
      // an empty cpuset means "inherit": show what the guest actually gets
      cpuset: cg?.cpuset || cg?.cpusetEffective || null, cpusetEffective: cg?.cpusetEffective ?? null,
    },
    memory: guestMemory(
      mem?.currentBytes ?? null, rss, mem?.maxBytes ?? null, slow.hugetlbCgroupBytes ?? slow.hugetlbStatusBytes,
      ksmMerging, ksm?.zeroPages ?? null, cg?.mems || cg?.memsEffective || slow.memsAllowed, cg?.memsEffective ?? null, slow,
    ),
    disks: d ? keepDiskLimits(slow, readGuestDisks(ctx, d, own, o.devName)) : [],
    nics: g.nics.map((n) => nicOf(ctx, n, o.netDev)),
    psi,
  };
}
