// Owns the DiagnoseContext: what the diagnosis of any guest of one host needs to know about the
// others and the host, computed once per (snapshot, window) and shared by every guest diagnosed from
// it — the host CPUs each guest's vCPUs may run on, window means of CPU use and I/O, block devices,
// CPU → NUMA node, and per-CPU-set host busy series (cached by set) — and the window statistics the
// causes read: stat()/mean()/fractionAtLeast()/maskedMean() take them from the window's stats() (the
// History's block sums: no walk over the samples) when it has one, else walk the series; both give
// the same figures. Pure: reads only its inputs.

import { formatCpuList, parseCpuList } from '../model/cpulist.js';
import type { HistoryWindow, SeriesStats } from '../model/diagnosis.js';
import type { GuestSnap, Snapshot } from '../model/snapshot.js';
import { fractionAtLeast, maskedMean, mean, type Series } from './stats.js';

export interface GuestFacts {
  g: GuestSnap;
  /** host CPUs the guest's vCPUs may run on (vCPU affinity, else cpuset, else every CPU) */
  cpus: number[];
  cpuKey: string;
  /** block devices (MAJ:MIN) the guest's disks sit on, where known */
  devices: string[];
}

function parseList(text: string): number[] | null {
  try {
    const l = parseCpuList(text);
    return l.length > 0 ? l : null;
  } catch {
    return null;
  }
}

export class DiagnoseContext {
  readonly hostCpus: number[];
  readonly nodeOfCpu = new Map<number, number>();
  private readonly facts = new Map<string, GuestFacts>();
  private readonly busyBySet = new Map<string, Float64Array | null>();
  private readonly memos = new Map<string, unknown>();
  private readonly hostSeries = new Map<string, Series>();
  private readonly guestSeries = new Map<string, Series>();
  private cachedGuest: string | null = null;
  // reused buffers: a diagnosis of 1000 guests allocates almost nothing per guest
  private readonly free: Float32Array[] = [];
  private readonly inUse: Float32Array[] = [];
  private readonly scratchBuf: Float32Array;
  private readonly work: Float64Array[];
  /** per sample, 1 where the guest being diagnosed waited (cpu.ts fills it) */
  readonly waitMask: Uint8Array;
  /** the stretches of waitMask that are 1, as [start, end) pairs, and how many (cpu.ts fills them) */
  readonly waitRuns: Int32Array;
  waitRunCount = 0;
  private readonly st: SeriesStats = { known: 0, sum: 0, min: NaN, max: NaN };
  private readonly busyMeans = new Map<string, number | null>();
  private meanUsage: Map<string, number> | null = null;
  private meanIops: Map<string, number> | null = null;

  /** kernel lists parsed once per text (most guests of a host share a handful of CPU lists) */
  private readonly lists = new Map<string, number[] | null>();
  private readonly keys = new Map<number[], string>();

  private list(text: string | null): number[] | null {
    if (text === null) return null;
    let l = this.lists.get(text);
    if (l === undefined) { l = parseList(text); this.lists.set(text, l); }
    return l;
  }

  constructor(readonly snapshot: Snapshot, readonly window: HistoryWindow) {
    this.scratchBuf = new Float32Array(window.length);
    this.work = [new Float64Array(window.length), new Float64Array(window.length)];
    this.waitMask = new Uint8Array(window.length);
    this.waitRuns = new Int32Array(window.length + 2);
    const h = snapshot.host;
    let cpus: number[] = [];
    if (h.perCpuUsagePct) cpus = Object.keys(h.perCpuUsagePct).map(Number).sort((a, b) => a - b);
    else if (h.cpuCount !== null) cpus = Array.from({ length: h.cpuCount }, (_, i) => i);
    this.hostCpus = cpus;
    for (const n of h.numaNodes) for (const c of this.list(n.cpus) ?? []) this.nodeOfCpu.set(c, n.node);
    for (const g of snapshot.guests) this.facts.set(g.id, this.factsOf(g));
  }

  private factsOf(g: GuestSnap): GuestFacts {
    const fromVcpus = new Set<number>();
    let allKnown = g.vcpus.length > 0;
    let same: number[] | null = null; // the common case: every vCPU allowed the same list
    for (const v of g.vcpus) {
      const l = this.list(v.cpusAllowed);
      if (l === null) { allKnown = false; break; }
      if (same === null) same = l;
      else if (same !== l) same = [];
      for (const c of l) fromVcpus.add(c);
    }
    const cpus = allKnown
      ? (same !== null && same.length > 0 ? same : [...fromVcpus].sort((a, b) => a - b))
      : (this.list(g.cpu.cpusetEffective) ?? this.list(g.cpu.cpuset) ?? this.hostCpus);
    let cpuKey = this.keys.get(cpus);
    if (cpuKey === undefined) { cpuKey = formatCpuList(cpus); this.keys.set(cpus, cpuKey); }
    const devices: string[] = [];
    for (const d of g.disks) if (d.device !== null && !devices.includes(d.device)) devices.push(d.device);
    const extra = (g as { blockDevices?: Array<{ device: string | null }> }).blockDevices;
    if (Array.isArray(extra)) for (const d of extra) if (d.device && !devices.includes(d.device)) devices.push(d.device);
    return { g, cpus, cpuKey, devices };
  }

  guest(id: string): GuestFacts | undefined { return this.facts.get(id); }
  guests(): IterableIterator<GuestFacts> { return this.facts.values(); }

  /** Per sample: Σ over the CPUs of the set of their busy percent (NaN when a CPU is unknown), or null. */
  setBusy(cpus: readonly number[], key: string): Float64Array | null {
    if (this.busyBySet.has(key)) return this.busyBySet.get(key) as Float64Array | null;
    const len = this.window.length;
    let out: Float64Array | null = new Float64Array(len);
    for (const c of cpus) {
      const s = this.series(null, `host.perCpuUsagePct.${c}`);
      if (s === null) { out = null; break; }
      for (let i = 0; i < len; i++) out[i] = (out[i] as number) + (s[i] as number);
    }
    if (cpus.length === 0) out = null;
    this.busyBySet.set(key, out);
    return out;
  }

  /**
   * Window mean of a CPU set's busy series (setBusy), once per set: the sum of the CPUs' own means
   * when each is known in every sample (no walk), else the mean of setBusy().
   */
  setBusyMean(cpus: readonly number[], key: string): number | null {
    let m = this.busyMeans.get(key);
    if (m === undefined) {
      let sum: number | null = cpus.length > 0 && this.window.stats ? 0 : null;
      for (const c of cpus) {
        if (sum === null) break;
        const st = this.stat(null, `host.perCpuUsagePct.${c}`);
        sum = st !== null && st.known === this.window.length && st.known > 0 ? sum + st.sum : null;
      }
      m = sum !== null ? sum / this.window.length : mean(this.setBusy(cpus, key));
      this.busyMeans.set(key, m);
    }
    return m;
  }

  /** Window mean of every guest's CPU use, percent of one CPU (guests with none known are left out). */
  usageMeans(): Map<string, number> {
    if (this.meanUsage) return this.meanUsage;
    const m = new Map<string, number>();
    for (const id of this.facts.keys()) {
      const v = this.mean(id, 'cpu.usagePct');
      if (v !== null) m.set(id, v);
    }
    this.meanUsage = m;
    return m;
  }

  /** Window mean of every guest's disk operations per second (read + write). */
  iopsMeans(): Map<string, number> {
    if (this.meanIops) return this.meanIops;
    const m = new Map<string, number>();
    for (const id of this.facts.keys()) {
      const r = this.mean(id, 'disks.readIops');
      const w = this.mean(id, 'disks.writeIops');
      if (r !== null && w !== null) m.set(id, r + w);
    }
    this.meanIops = m;
    return m;
  }

  /** Window mean of a host series, once per context (every guest's diagnosis asks for the same ones). */
  hostMean(metric: string): number | null {
    return this.memo(`mean\u0000${metric}`, () => this.mean(null, metric));
  }

  /**
   * Statistics of the known values of samples from..to-1 of a series (null: no such series), in one
   * object reused by the next call (read it at once). From the window's stats() when it has one.
   */
  stat(guest: string | null, metric: string, from = 0, to = this.window.length): SeriesStats | null {
    if (this.window.stats) return this.window.stats(guest, metric, this.st, from, to);
    const a = this.read(guest, metric);
    if (a === null) return null;
    let known = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = from; i < to; i++) {
      const v = a[i] as number;
      if (v === v) { known++; sum += v; if (v < min) min = v; if (v > max) max = v; }
    }
    const st = this.st;
    st.known = known;
    st.sum = sum;
    st.min = known === 0 ? NaN : min;
    st.max = known === 0 ? NaN : max;
    return st;
  }

  /** Window mean of the known values of a series; null when it does not exist or nothing is known. */
  mean(guest: string | null, metric: string): number | null {
    const st = this.stat(guest, metric);
    return st === null || st.known === 0 ? null : st.sum / st.known;
  }

  /** Fraction (0..1) of the known values ≥ threshold; null when none is known. Walks only when the window's range straddles it. */
  fractionAtLeast(guest: string | null, metric: string, threshold: number): number | null {
    const st = this.stat(guest, metric);
    if (st === null || st.known === 0) return null;
    if (st.max < threshold) return 0;
    if (st.min >= threshold) return 1;
    return fractionAtLeast(this.read(guest, metric), threshold);
  }

  /**
   * Mean of a series over the samples where waitMask is 1 (null when none is known there): from the
   * stats of each stretch of the mask when the mask has few of them, else by walking the series.
   */
  maskedMean(guest: string | null, metric: string): number | null {
    const runs = this.waitRunCount;
    if (this.window.stats && runs * 48 <= this.window.length) {
      let known = 0;
      let sum = 0;
      for (let r = 0; r < runs; r++) {
        const st = this.stat(guest, metric, this.waitRuns[2 * r] as number, this.waitRuns[2 * r + 1] as number);
        if (st === null) return null;
        known += st.known;
        sum += st.sum;
      }
      return known === 0 ? null : sum / known;
    }
    return maskedMean(this.read(guest, metric), this.waitMask);
  }

  /** A series to walk at once: the host's and the guest's being diagnosed from the caches, another guest's through the scratch buffer. */
  private read(guest: string | null, metric: string): Series {
    if (guest === null || guest === this.cachedGuest) return this.series(guest, metric);
    return this.scratch(guest, metric);
  }

  /** A value computed once per context and key (rankings shared by guests of the same CPUs, nodes, devices). */
  memo<T>(key: string, make: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = make();
    this.memos.set(key, v);
    return v;
  }

  /**
   * A series of the window. Host series are kept for the whole context (every guest reads them);
   * a guest's are kept while the same guest asks (a diagnosis reads some of them several times).
   */
  series(guest: string | null, metric: string): Series {
    if (guest === null) {
      let v = this.hostSeries.get(metric);
      if (v === undefined) { v = this.window.series(null, metric); this.hostSeries.set(metric, v); }
      return v;
    }
    if (guest !== this.cachedGuest) {
      this.cachedGuest = guest;
      this.guestSeries.clear();
      while (this.inUse.length > 0) this.free.push(this.inUse.pop() as Float32Array);
    }
    let v = this.guestSeries.get(metric);
    if (v === undefined) {
      const buf = this.free.pop() ?? new Float32Array(this.window.length);
      v = this.window.series(guest, metric, buf);
      if (v === null) this.free.push(buf);
      else this.inUse.push(buf);
      this.guestSeries.set(metric, v);
    }
    return v;
  }

  /**
   * Another guest's series, read into one scratch buffer: valid only until the next scratch() call
   * (for a mean or a masked mean taken at once), and it leaves the cached series alone.
   */
  scratch(guest: string, metric: string): Series {
    return this.window.series(guest, metric, this.scratchBuf);
  }

  /** Element-wise sum of one guest's series into work buffer `slot` (0 or 1); NaN where a part is unknown; null when a part is missing. */
  sum(parts: readonly Series[], slot: 0 | 1): Float64Array | null {
    if (parts.length === 0 || parts.some((p) => p === null)) return null;
    const out = this.work[slot] as Float64Array;
    out.fill(0);
    const len = out.length;
    for (const p of parts as ArrayLike<number>[]) for (let i = 0; i < len; i++) out[i] = (out[i] as number) + (p[i] as number);
    return out;
  }
}
