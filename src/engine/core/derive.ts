// Owns the pure derivation `derive(prev, cur) -> Snapshot`: rates and percentages from the deltas of
// two RawSamples over the monotonic interval between them. No I/O, no clock, no state.
//
// Rules (design.md §4, contract "Snapshot JSON"):
// - interval = (cur.monoMs - prev.monoMs); no previous sample, or an interval ≤ 0, gives null rates.
// - a counter that went backwards (guest restarted, cgroup recreated, device re-added) gives null, never
//   a negative rate; a counter missing on either side gives null.
// - guests are matched by id AND pid (a restarted guest with a new pid starts over: null rates); a
//   sample holds each id once (the collector's key for a guest);
//   vCPUs by index AND tid; disks by source+name (two of the same pair by position); NICs by ifname.
// - CPU percent is percent of ONE host CPU (4 busy vCPUs = 400 %).
// - host cpuUsagePct = Σ over CPUs of (busy ticks / all ticks of that CPU) from /proc/stat, where busy
//   excludes idle and iowait and guest/guest_nice are not counted twice (they are inside user/nice).
// - guest stealPct ("steal as the guest feels it") = Σ over vCPU threads of Δrun-queue wait
//   (schedstat field 2) / interval × 100: percent of one CPU that the guest's vCPUs were runnable but
//   not running. It is null unless every vCPU has a wait delta.
// - throttledPct = Δnr_throttled / Δnr_periods × 100 (0 when no CFS period elapsed: nothing throttled),
//   for the guest's group and for each per-vCPU / emulator group (libvirt's vcpuN, emulator); the
//   guest's throttledPct is the most throttled of them, and quotaUnlimited is false when any has a quota.
// - a disk whose counters carry their read time (atMonoMs: when the QMP or libvirt reply arrived) is
//   rated over the interval between its two read times, not the samples' start times.
// - disks[] holds the virtual disks (QMP, libvirt); cgroup device figures go to blockDevices[].
// - disk latency ms = Δtime / Δops (null when Δops = 0); PSI pct = Δtotal µs / interval µs × 100.
// - KSM savedBytes = (pages_sharing + ksm_zero_pages) × page size (zero pages count 0 where the
//   kernel has no such file).

import { parseCpuList } from '../model/cpulist.js';
import type {
  RawCpuGroup, RawCpuTimes, RawDisk, RawGuest, RawHost, RawNic, RawPsiTotals, RawSample, RawVcpu,
} from '../model/sample.js';
import { latencyPercentiles, NO_LATENCY } from './latency.js';
import type {
  CpuGroupSnap, DiskSnap, GuestSnap, HostNumaNodeSnap, HostSnap, NicSnap, Snapshot, VcpuSnap,
} from '../model/snapshot.js';

/** Δ(cur - prev) or null when unknown or the counter went backwards. */
export function delta(prev: number | null | undefined, cur: number | null | undefined): number | null {
  if (prev === null || prev === undefined || cur === null || cur === undefined) return null;
  if (!Number.isFinite(prev) || !Number.isFinite(cur) || cur < prev) return null;
  return cur - prev;
}

/** Per-second rate of a cumulative counter, or null. dtSec null means "no previous sample". */
export function rate(prev: number | null | undefined, cur: number | null | undefined, dtSec: number | null): number | null {
  if (dtSec === null) return null;
  const d = delta(prev, cur);
  return d === null ? null : d / dtSec;
}

/** A µs counter as percent of one CPU over dtSec. */
function usecPct(prev: number | null | undefined, cur: number | null | undefined, dtSec: number | null): number | null {
  const r = rate(prev, cur, dtSec);
  return r === null ? null : r / 1e4; // µs per s / 1e6 × 100
}

function ticksTotal(t: RawCpuTimes): number {
  // guest and guestNice are already included in user and nice
  return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal;
}

/** Busy share (0..1) of one CPU between two /proc/stat readings, or null. */
function busyFraction(p: RawCpuTimes, c: RawCpuTimes): number | null {
  const total = delta(ticksTotal(p), ticksTotal(c));
  const idle = delta(p.idle + p.iowait, c.idle + c.iowait);
  if (total === null || idle === null || total === 0) return null;
  // every field must be monotonic: a backwards field means the CPU went offline and back
  for (const k of ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const) {
    if (c[k] < p[k]) return null;
  }
  const busy = Math.max(0, total - idle);
  return Math.min(1, busy / total);
}

const round = (x: number | null, digits = 3): number | null => {
  if (x === null) return null;
  const f = digits === 3 ? 1000 : 10 ** digits;
  return Math.round(x * f) / f;
};

function psiPct(p: RawPsiTotals | null | undefined, c: RawPsiTotals | null | undefined,
  key: keyof RawPsiTotals, dtSec: number | null): number | null {
  if (!c) return null;
  return round(usecPct(p?.[key], c[key], dtSec));
}

function deriveHost(p: RawHost | null, c: RawHost, dtSec: number | null): HostSnap {
  let perCpu: Record<string, number> | null = null;
  let cpuUsagePct: number | null = null;
  if (dtSec !== null && p && c.cpuPerCpu && p.cpuPerCpu) {
    perCpu = {};
    for (const [cpu, times] of Object.entries(c.cpuPerCpu)) {
      const prevTimes = p.cpuPerCpu[cpu];
      if (!prevTimes) continue;
      const f = busyFraction(prevTimes, times);
      if (f !== null) perCpu[cpu] = round(f * 100) as number;
    }
  }
  if (dtSec !== null && p?.cpuTotal && c.cpuTotal) {
    const f = busyFraction(p.cpuTotal, c.cpuTotal);
    const n = c.cpuCount ?? (c.cpuPerCpu ? Object.keys(c.cpuPerCpu).length : null);
    if (f !== null && n !== null) cpuUsagePct = round(f * 100 * n);
  } else if (perCpu && Object.keys(perCpu).length > 0) {
    cpuUsagePct = round(Object.values(perCpu).reduce((a, b) => a + b, 0));
  }

  const numaNodes: HostNumaNodeSnap[] = c.numaNodes.map((n) => {
    let nodePct: number | null = null;
    if (perCpu) {
      let cpus: number[] = [];
      try { cpus = parseCpuList(n.cpus); } catch { cpus = []; }
      let sum = 0;
      let known = cpus.length > 0;
      for (const cpu of cpus) {
        const v = perCpu[String(cpu)];
        if (v === undefined) { known = false; break; }
        sum += v;
      }
      nodePct = known ? round(sum) : null;
    }
    return {
      node: n.node, cpus: n.cpus, memTotalBytes: n.memTotalBytes, memFreeBytes: n.memFreeBytes,
      inactiveFileBytes: n.inactiveFileBytes, cpuUsagePct: nodePct,
      hugepages: n.hugepages, distances: n.distances,
    };
  });

  const ksm = c.ksm
    ? {
      run: c.ksm.run, pagesToScan: c.ksm.pagesToScan, sleepMillisecs: c.ksm.sleepMillisecs,
      pagesShared: c.ksm.pagesShared, pagesSharing: c.ksm.pagesSharing, pagesUnshared: c.ksm.pagesUnshared,
      pagesVolatile: c.ksm.pagesVolatile, fullScans: c.ksm.fullScans, mergeAcrossNodes: c.ksm.mergeAcrossNodes,
      savedBytes: c.ksm.pagesSharing === null ? null
        : (c.ksm.pagesSharing + (c.ksm.zeroPages ?? 0)) * (c.ksm.pageSizeBytes || c.pageSizeBytes),
    }
    : null;

  const pp = p?.psi ?? null;
  const psi = c.psi
    ? {
      cpuSomePct: psiPct(pp, c.psi, 'cpuSomeUsec', dtSec),
      ioSomePct: psiPct(pp, c.psi, 'ioSomeUsec', dtSec),
      ioFullPct: psiPct(pp, c.psi, 'ioFullUsec', dtSec),
      memSomePct: psiPct(pp, c.psi, 'memSomeUsec', dtSec),
      memFullPct: psiPct(pp, c.psi, 'memFullUsec', dtSec),
    }
    : null;

  return {
    hostname: c.hostname, kernel: c.kernel, cgroupVersion: c.cgroupVersion, cpuCount: c.cpuCount,
    uptimeSec: typeof c.uptimeMs === 'number' ? c.uptimeMs / 1000 : null,
    cpuUsagePct, perCpuUsagePct: perCpu,
    memTotalBytes: c.memTotalBytes, memAvailableBytes: c.memAvailableBytes,
    numaNodes, hugepages: c.hugepages, thp: c.thp, ksm, psi, inventory: c.inventory,
  };
}

function throttled(p: { nrPeriods: number | null; nrThrottled: number | null } | null | undefined,
  c: { nrPeriods: number | null; nrThrottled: number | null }, dtSec: number | null): number | null {
  if (dtSec === null || !p) return null;
  const dPeriods = delta(p.nrPeriods, c.nrPeriods);
  const dThrottled = delta(p.nrThrottled, c.nrThrottled);
  if (dPeriods === null || dThrottled === null) return null;
  return dPeriods === 0 ? 0 : round(Math.min(100, (dThrottled / dPeriods) * 100));
}

const unlimited = (q: RawCpuGroup['quotaUsec'] | undefined): boolean | null => (q === null || q === undefined ? null : q === 'max');

// The per-guest functions below run for every guest of every sample (1000 guests: ~30 000 objects per
// tick), so they allocate only the snapshot's own objects: no closures, no intermediate arrays, no
// objects that are copied again (all-null parts — no latency percentiles, unknown shaping, no limits — are one
// shared frozen object each). Counters that cannot have changed (frozen parts the collector carries
// over as the same object) are not compared. Same arithmetic, same order of fields as the contract.

/** A per-second rate with 3 decimals, or null. */
const rate3 = (prev: number | null | undefined, cur: number | null | undefined, dtSec: number | null): number | null =>
  round(rate(prev, cur, dtSec));

/** A µs counter as percent of one CPU, 3 decimals, or null. */
const usecPct3 = (prev: number | null | undefined, cur: number | null | undefined, dtSec: number | null): number | null =>
  round(usecPct(prev, cur, dtSec));

function deriveCpuGroup(p: RawCpuGroup | null | undefined, c: RawCpuGroup, dtSec: number | null): CpuGroupSnap {
  return {
    quotaUsec: c.quotaUsec === 'max' ? null : c.quotaUsec, periodUsec: c.periodUsec, quotaUnlimited: unlimited(c.quotaUsec),
    throttledPct: throttled(p, c, dtSec), nrThrottled: c.nrThrottled,
  };
}

function deriveVcpu(p: RawVcpu | undefined, c: RawVcpu, dtSec: number | null): VcpuSnap {
  const same = p !== undefined && p.tid === c.tid;
  const g = c.cpuGroup;
  return {
    index: c.index, tid: c.tid,
    usagePct: same ? usecPct3(p.runUsec, c.runUsec, dtSec) : null,
    runDelayPct: same ? usecPct3(p.waitUsec, c.waitUsec, dtSec) : null,
    lastCpu: c.lastCpu, cpusAllowed: c.cpusAllowed,
    quotaUsec: g ? (g.quotaUsec === 'max' ? null : g.quotaUsec ?? null) : null,
    periodUsec: g ? g.periodUsec ?? null : null,
    quotaUnlimited: g ? unlimited(g.quotaUsec) : null,
    throttledPct: g ? throttled(same ? p.cpuGroup : null, g, dtSec) : null,
    nrThrottled: g ? g.nrThrottled ?? null : null,
  };
}

/** Mean latency ms of the requests finished in the interval (Δtime / Δops, 4 decimals), or null. */
function meanLatency(pt: number | null | undefined, ct: number | null, po: number | null | undefined, co: number | null): number | null {
  const dOps = delta(po, co);
  const dTime = delta(pt, ct);
  if (dOps === null || dTime === null || dOps === 0) return null;
  return Math.round((dTime / dOps / 1000) * 10000) / 10000; // round(…, 4)
}

/**
 * The snapshot's copy of a frozen raw part, made once: a part the collector carries over unchanged
 * (the same frozen object, sample after sample) gets the same frozen snapshot object every time.
 * Parts that are not frozen (built per sample) are copied each time.
 */
const frozenCopies = new WeakMap<object, object>();
function copyOnce<R extends object, S extends object>(raw: R, copy: (r: R) => S): S {
  if (!Object.isFrozen(raw)) return copy(raw);
  let s = frozenCopies.get(raw) as S | undefined;
  if (s === undefined) {
    s = Object.freeze(copy(raw));
    frozenCopies.set(raw, s);
  }
  return s;
}

const copyDiskLimits = (l: RawDisk['limits']): DiskSnap['limits'] => ({
  readIops: l.readIops, writeIops: l.writeIops, readBytesPerSec: l.readBytesPerSec,
  writeBytesPerSec: l.writeBytesPerSec, totalIops: l.totalIops, totalBytesPerSec: l.totalBytesPerSec,
});

/** a disk without any limit (most disks): one frozen object shared by every such disk */
const NO_LIMITS: DiskSnap['limits'] = Object.freeze({
  readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null,
});

function diskLimits(l: RawDisk['limits']): DiskSnap['limits'] {
  if (l.readIops === null && l.writeIops === null && l.readBytesPerSec === null && l.writeBytesPerSec === null
    && l.totalIops === null && l.totalBytesPerSec === null) return NO_LIMITS;
  return copyOnce(l, copyDiskLimits);
}

function deriveDisk(p: RawDisk | undefined, c: RawDisk, sampleDtSec: number | null): DiskSnap {
  // counters that carry their own read time (a QMP or libvirt reply) are rated over that interval
  let dtSec = sampleDtSec;
  if (sampleDtSec !== null && p && typeof p.atMonoMs === 'number' && typeof c.atMonoMs === 'number') {
    const own = (c.atMonoMs - p.atMonoMs) / 1000;
    dtSec = Number.isFinite(own) && own > 0 ? own : null;
  }
  const l = c.limits;
  if (!p) {
    return {
      name: c.name, target: c.target ?? null, source: c.source, device: c.device,
      readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null,
      readLatencyMs: null, writeLatencyMs: null, flushLatencyMs: null,
      latencyMs: NO_LATENCY,
      limits: diskLimits(l),
    };
  }
  const timed = dtSec !== null;
  return {
    name: c.name, target: c.target ?? null, source: c.source, device: c.device,
    readIops: rate3(p.readOps, c.readOps, dtSec), writeIops: rate3(p.writeOps, c.writeOps, dtSec),
    readBytesPerSec: rate3(p.readBytes, c.readBytes, dtSec), writeBytesPerSec: rate3(p.writeBytes, c.writeBytes, dtSec),
    readLatencyMs: timed ? meanLatency(p.readTimeUsec, c.readTimeUsec, p.readOps, c.readOps) : null,
    writeLatencyMs: timed ? meanLatency(p.writeTimeUsec, c.writeTimeUsec, p.writeOps, c.writeOps) : null,
    flushLatencyMs: timed ? meanLatency(p.flushTimeUsec, c.flushTimeUsec, p.flushOps, c.flushOps) : null,
    latencyMs: latencyPercentiles(p.latencyHistograms, c.latencyHistograms, dtSec),
    limits: diskLimits(l),
  };
}

/** a tap whose shaping is unknown: one frozen object shared by every such NIC */
const NO_SHAPING: NicSnap['shaping'] = Object.freeze({ inKbitPerSec: null, outKbitPerSec: null, active: null });

function deriveNic(p: RawNic | undefined, c: RawNic, dtSec: number | null): NicSnap {
  const d = p ? dtSec : null;
  return {
    ifname: c.ifname, mac: c.mac,
    rxBytesPerSec: p ? rate3(p.rxBytes, c.rxBytes, d) : null, txBytesPerSec: p ? rate3(p.txBytes, c.txBytes, d) : null,
    rxPacketsPerSec: p ? rate3(p.rxPackets, c.rxPackets, d) : null, txPacketsPerSec: p ? rate3(p.txPackets, c.txPackets, d) : null,
    rxDroppedPerSec: p ? rate3(p.rxDropped, c.rxDropped, d) : null, txDroppedPerSec: p ? rate3(p.txDropped, c.txDropped, d) : null,
    shaping: c.shaping === null
      ? NO_SHAPING
      : { ...c.shaping, active: c.shaping.inKbitPerSec !== null || c.shaping.outKbitPerSec !== null },
  };
}

/** The previous reading of vCPU `v` (matched by index; usually at the same position), or undefined. */
function prevVcpu(p: RawGuest, v: RawVcpu, i: number): RawVcpu | undefined {
  const pv = p.vcpus;
  const same = pv[i];
  if (same !== undefined && same.index === v.index) return same;
  for (let j = 0; j < pv.length; j++) if ((pv[j] as RawVcpu).index === v.index) return pv[j];
  return undefined;
}

/**
 * The previous reading of disk `d` at position `i`: the one at the same position when it has the same
 * name and source (the usual case; two disks sharing both pair by position), else the first with them.
 */
function prevDisk(p: RawGuest, d: RawDisk, i: number): RawDisk | undefined {
  const pd = p.disks;
  const same = pd[i];
  if (same !== undefined && same.name === d.name && same.source === d.source) return same;
  for (let j = 0; j < pd.length; j++) {
    const x = pd[j] as RawDisk;
    if (x.name === d.name && x.source === d.source) return x;
  }
  return undefined;
}

function prevNic(p: RawGuest, n: RawNic): RawNic | undefined {
  const pn = p.nics;
  for (let j = 0; j < pn.length; j++) if ((pn[j] as RawNic).ifname === n.ifname) return pn[j];
  return undefined;
}

const guestCgroup = (g: NonNullable<RawGuest['cgroup']>): NonNullable<GuestSnap['cgroup']> => ({ path: g.path, version: g.version });

/** Derive one guest. `p` is the same guest (same id and pid) in the previous sample, or null. */
export function deriveGuest(p: RawGuest | null, c: RawGuest, dtSec: number | null): GuestSnap {
  const dt = p ? dtSec : null;
  const cv = c.vcpus;
  const vcpus: VcpuSnap[] = [];
  // steal: the sum of the vCPUs' run delays, known only when every vCPU's is
  let stealSum = 0;
  let stealKnown = dt !== null && cv.length > 0;
  for (let i = 0; i < cv.length; i++) {
    const v = cv[i] as RawVcpu;
    const s = deriveVcpu(p ? prevVcpu(p, v, i) : undefined, v, dt);
    vcpus.push(s);
    if (s.runDelayPct === null) stealKnown = false;
    else stealSum += s.runDelayPct;
  }
  const stealPct = stealKnown ? round(stealSum) : null;

  const pc = p?.cpu;
  const cc = c.cpu;
  const emulator = c.emulatorCpuGroup ? deriveCpuGroup(p?.emulatorCpuGroup, c.emulatorCpuGroup, dt) : null;
  // the guest's own group, then the most throttled of its vCPU and emulator groups
  let throttledPct = throttled(pc, cc, dt);
  let quotaUnlimited = unlimited(cc.quotaUsec);
  for (let i = 0; i <= vcpus.length; i++) {
    const g = i < vcpus.length ? vcpus[i] as VcpuSnap : emulator;
    if (g === null) break;
    if (g.throttledPct !== null && (throttledPct === null || g.throttledPct > throttledPct)) throttledPct = g.throttledPct;
    if (g.quotaUnlimited === false) quotaUnlimited = false;
  }

  // virtual disks and the cgroup's block devices, each in the order of the raw sample
  const disks: DiskSnap[] = [];
  const blockDevices: DiskSnap[] = [];
  const cd = c.disks;
  for (let i = 0; i < cd.length; i++) {
    const d = cd[i] as RawDisk;
    const s = deriveDisk(p ? prevDisk(p, d, i) : undefined, d, dt);
    if (d.source === 'cgroup') blockDevices.push(s); else disks.push(s);
  }
  const nics: NicSnap[] = [];
  for (const n of c.nics) nics.push(deriveNic(p ? prevNic(p, n) : undefined, n, dt));

  const m = c.memory;
  const cpsi = c.psi;
  const ppsi = p?.psi ?? null;
  return {
    id: c.id, name: c.name, uuid: c.uuid, manager: c.manager, pid: c.pid, state: c.state,
    cgroup: c.cgroup ? copyOnce(c.cgroup, guestCgroup) : null,
    vcpus,
    cpu: {
      usagePct: dt === null ? null : usecPct3(pc?.usageUsec, cc.usageUsec, dt),
      stealPct,
      weight: cc.weight, shares: cc.shares,
      quotaUsec: cc.quotaUsec === 'max' ? null : cc.quotaUsec,
      periodUsec: cc.periodUsec,
      quotaUnlimited,
      throttledPct, nrThrottled: cc.nrThrottled,
      emulator,
      cpuset: cc.cpuset, cpusetEffective: cc.cpusetEffective,
    },
    memory: {
      currentBytes: m.currentBytes, rssBytes: m.rssBytes,
      maxBytes: m.maxBytes === 'max' ? null : m.maxBytes,
      maxUnlimited: m.maxBytes === null ? null : m.maxBytes === 'max',
      hugetlbBytes: m.hugetlbBytes, anonHugeBytes: m.anonHugeBytes,
      ksmMergingPages: m.ksmMergingPages,
      mems: m.mems,
      perNodeBytes: m.perNodeBytes,
      balloonActualBytes: m.balloonActualBytes,
    },
    disks,
    blockDevices,
    nics,
    psi: {
      cpuSomePct: psiPct(ppsi, cpsi, 'cpuSomeUsec', dt),
      ioSomePct: psiPct(ppsi, cpsi, 'ioSomeUsec', dt),
      memSomePct: psiPct(ppsi, cpsi, 'memSomeUsec', dt),
    },
  };
}

function guestsById(guests: readonly RawGuest[]): Map<string, RawGuest> {
  const m = new Map<string, RawGuest>();
  for (const g of guests) m.set(g.id, g);
  return m;
}

/** The derived snapshot of `cur`, with rates against `prev` (null: first sample, no rates). */
export function derive(prev: RawSample | null, cur: RawSample): Snapshot {
  const steps = deriveSteps(prev, cur, Infinity);
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/**
 * derive() in steps: the generator pauses after every `guestsPerStep` guests and returns the same
 * Snapshot derive() gives (a caller that must not hold its thread long, the daemon, resumes it on a
 * later turn of its event loop). Pure: the steps only split the work.
 */
export function* deriveSteps(prev: RawSample | null, cur: RawSample, guestsPerStep: number): Generator<void, Snapshot, void> {
  let dtSec: number | null = null;
  if (prev !== null) {
    const dtMs = cur.monoMs - prev.monoMs;
    if (Number.isFinite(dtMs) && dtMs > 0) dtSec = dtMs / 1000;
  }
  const usable = dtSec === null ? null : prev;
  const before = usable ? usable.guests : [];
  // a guest is usually where it was in the previous sample (one id comparison); the map of the
  // previous guests by id is made only when one is not
  let prevGuests: Map<string, RawGuest> | null = null;

  const guests: GuestSnap[] = [];
  const all = cur.guests;
  for (let i = 0; i < all.length; i++) {
    if (i > 0 && i % guestsPerStep === 0) yield;
    const g = all[i] as RawGuest;
    let p = before[i];
    if (p === undefined || p.id !== g.id) {
      if (prevGuests === null) prevGuests = guestsById(before);
      p = prevGuests.get(g.id);
    }
    guests.push(deriveGuest(p !== undefined && p.pid === g.pid ? p : null, g, dtSec));
  }

  return {
    schemaVersion: 1,
    timestamp: new Date(cur.wallMs).toISOString(),
    intervalSec: dtSec === null ? null : round(dtSec, 6),
    demo: cur.demo,
    host: deriveHost(usable ? usable.host : null, cur.host, dtSec),
    guests,
    errors: cur.errors.map((e) => ({ source: e.source, guest: e.guest, message: e.message })),
  };
}
