// Owns history: fixed time windows of derived series in ring buffers (preallocated Float32Arrays,
// never growing arrays), one per (guest, metric), queryable by guest, metric path and window.
//
// Metrics recorded (paths inside the snapshot; host metrics have guest = null and start with `host.`):
//   guest: cpu.usagePct cpu.stealPct cpu.throttledPct memory.currentBytes memory.rssBytes
//          disks.readIops disks.writeIops disks.readBytesPerSec disks.writeBytesPerSec   (sum over disks, each I/O once: model/disk-io.ts)
//          nics.rxBytesPerSec nics.txBytesPerSec                                        (sum over NICs)
//          psi.cpuSomePct psi.ioSomePct psi.memSomePct vcpus.N.usagePct vcpus.N.runDelayPct
//          for the diagnosis (only for guests that have the thing): disks.limitUsePct (max over disks
//          with a limit of rate / limit × 100), disks.latencyMs (max mean latency over disks),
//          nics.droppedPerSec (sum rx + tx), nics.shapingUsePct (max over shaped taps of rate /
//          shaping rate × 100), state.paused (1 not running, 0 running; only when the state is known)
//   host:  host.cpuUsagePct host.memAvailableBytes host.psi.cpuSomePct host.psi.ioSomePct
//          host.psi.memSomePct host.ksm.savedBytes host.numaNodes.N.cpuUsagePct
//          host.numaNodes.N.memFreeBytes host.perCpuUsagePct.N
//   per device (device-history.ts; the last 15 minutes): disks.<name>.readIops … latencyMs.write.p99,
//          blockDevices.<name>.…, nics.<ifname>.rxBytesPerSec … txDroppedPerSec, memory.perNodeBytes.<node>
// A sum is null when any part is null (absent is not zero). Series of a guest that vanished are
// dropped once a whole window has passed without it.

import { allDisks, countedDisks, diskHasLimit } from '../model/disk-io.js';
import { sumKnown as sum } from '../model/sum-known.js';
import { DeviceHistory } from './device-history.js';
import { VirtuneError } from '../model/errors.js';
import type { HistoryWindow, SeriesStats } from '../model/diagnosis.js';
import type { DiskSnap, GuestSnap, NicSnap, Snapshot } from '../model/snapshot.js';
import type { HistoryQuery, HistorySeries } from '../protocol/api.js';
import { BlockSums } from './window-sums.js';

type Emit = (metric: string, value: number | null) => void;


const ratio = (v: number | null, lim: number | null): number => (v === null || lim === null || lim <= 0 ? -1 : v / lim);

/** How close a disk is to its tightest configured limit, percent; null without a limit or rates. */
export function diskLimitUsePct(d: DiskSnap): number | null {
  const l = d.limits;
  const ri = d.readIops, wi = d.writeIops, rb = d.readBytesPerSec, wb = d.writeBytesPerSec;
  const r = Math.max(
    ratio(ri, l.readIops), ratio(wi, l.writeIops), ratio(rb, l.readBytesPerSec), ratio(wb, l.writeBytesPerSec),
    ratio(ri === null || wi === null ? null : ri + wi, l.totalIops),
    ratio(rb === null || wb === null ? null : rb + wb, l.totalBytesPerSec),
  );
  return r < 0 ? null : r * 100;
}

/** How close a tap is to its tc shaping rate (either direction), percent; null without shaping. */
export function nicShapingUsePct(n: NicSnap): number | null {
  const r = Math.max(
    ratio(n.rxBytesPerSec === null ? null : (n.rxBytesPerSec * 8) / 1000, n.shaping.inKbitPerSec),
    ratio(n.txBytesPerSec === null ? null : (n.txBytesPerSec * 8) / 1000, n.shaping.outKbitPerSec),
  );
  return r < 0 ? null : r * 100;
}

function maxKnown<T>(items: readonly T[], get: (x: T) => number | null): number | null {
  let m: number | null = null;
  for (const x of items) {
    const v = get(x);
    if (v !== null && (m === null || v > m)) m = v;
  }
  return m;
}

/** the larger known one of two figures (maxKnown of the pair, without the pair) */
const max2 = (a: number | null, b: number | null): number | null => (a === null ? b : b !== null && b > a ? b : a);
const diskLatency = (d: DiskSnap): number | null => max2(d.readLatencyMs, d.writeLatencyMs);

function diagnosisMetrics(g: GuestSnap, emit: Emit, disks: readonly DiskSnap[]): void {
  if (disks.length > 0) {
    emit('disks.latencyMs', maxKnown(disks, diskLatency));
    if (disks.some(diskHasLimit)) emit('disks.limitUsePct', maxKnown(disks, diskLimitUsePct));
  }
  if (g.nics.length > 0) {
    emit('nics.droppedPerSec', sum(g.nics, nicDropped));
    if (g.nics.some(nicShaped)) emit('nics.shapingUsePct', maxKnown(g.nics, nicShapingUsePct));
  }
  if (g.state !== null) emit('state.paused', g.state === 'running' ? 0 : 1);
}

// the per-figure getters, made once (not a closure per guest per record)
const nicDropped = (n: NicSnap): number | null => (n.rxDroppedPerSec === null || n.txDroppedPerSec === null ? null : n.rxDroppedPerSec + n.txDroppedPerSec);
const nicShaped = (n: NicSnap): boolean => n.shaping.inKbitPerSec !== null || n.shaping.outKbitPerSec !== null;
const readIops = (d: DiskSnap): number | null => d.readIops;
const writeIops = (d: DiskSnap): number | null => d.writeIops;
const readBps = (d: DiskSnap): number | null => d.readBytesPerSec;
const writeBps = (d: DiskSnap): number | null => d.writeBytesPerSec;
const rxBps = (n: NicSnap): number | null => n.rxBytesPerSec;
const txBps = (n: NicSnap): number | null => n.txBytesPerSec;

/** `vcpus.N.usagePct` (which 0) and `vcpus.N.runDelayPct` (1), made once per N: the same string every tick. */
const vcpuNames: string[][] = [];
function vcpuMetric(index: number, which: 0 | 1): string {
  let n = vcpuNames[index];
  if (n === undefined) {
    if (!(Number.isInteger(index) && index >= 0 && index < 65536)) return which === 0 ? `vcpus.${index}.usagePct` : `vcpus.${index}.runDelayPct`;
    n = [`vcpus.${index}.usagePct`, `vcpus.${index}.runDelayPct`];
    vcpuNames[index] = n;
  }
  return n[which] as string;
}

export function guestMetrics(g: GuestSnap, emit: Emit): void {
  emit('cpu.usagePct', g.cpu.usagePct);
  emit('cpu.stealPct', g.cpu.stealPct);
  emit('cpu.throttledPct', g.cpu.throttledPct);
  emit('memory.currentBytes', g.memory.currentBytes);
  emit('memory.rssBytes', g.memory.rssBytes);
  // each I/O once: virtual-disk figures when the guest has them, else its cgroup per-device figures
  // (sumCounted's rule: sum over countedDisks, null when there are none or any part is unknown)
  const disks = allDisks(g);
  const counted = countedDisks(disks);
  emit('disks.readIops', sum(counted, readIops));
  emit('disks.writeIops', sum(counted, writeIops));
  emit('disks.readBytesPerSec', sum(counted, readBps));
  emit('disks.writeBytesPerSec', sum(counted, writeBps));
  emit('nics.rxBytesPerSec', sum(g.nics, rxBps));
  emit('nics.txBytesPerSec', sum(g.nics, txBps));
  emit('psi.cpuSomePct', g.psi.cpuSomePct);
  emit('psi.ioSomePct', g.psi.ioSomePct);
  emit('psi.memSomePct', g.psi.memSomePct);
  for (const v of g.vcpus) {
    emit(vcpuMetric(v.index, 0), v.usagePct);
    emit(vcpuMetric(v.index, 1), v.runDelayPct);
  }
  diagnosisMetrics(g, emit, disks);
}

export function hostMetrics(s: Snapshot, emit: Emit): void {
  const h = s.host;
  emit('host.cpuUsagePct', h.cpuUsagePct);
  emit('host.memAvailableBytes', h.memAvailableBytes);
  emit('host.psi.cpuSomePct', h.psi?.cpuSomePct ?? null);
  emit('host.psi.ioSomePct', h.psi?.ioSomePct ?? null);
  emit('host.psi.memSomePct', h.psi?.memSomePct ?? null);
  emit('host.ksm.savedBytes', h.ksm?.savedBytes ?? null);
  for (const n of h.numaNodes) {
    emit(`host.numaNodes.${n.node}.cpuUsagePct`, n.cpuUsagePct);
    emit(`host.numaNodes.${n.node}.memFreeBytes`, n.memFreeBytes);
  }
  if (h.perCpuUsagePct) for (const [cpu, v] of Object.entries(h.perCpuUsagePct)) emit(`host.perCpuUsagePct.${cpu}`, v);
}

interface Series {
  /** float32 (7 significant digits — plenty for a chart, half the memory of float64); NaN = null */
  values: Float32Array;
  /** sample number of the first slot written */
  since: number;
  /** last sample number with a value for this series (guest present) */
  lastSeen: number;
  /** per-block count / sum / min / max of the known values (window statistics without a walk), from the first stats() on */
  sums: BlockSums | null;
}

/** Copy vals[a..b) into out from k; returns the next k. Long runs as one memcpy (set of a subarray view). */
function copyRun(vals: Float32Array, a: number, b: number, out: Float32Array, k: number): number {
  if (b - a >= 64) {
    out.set(vals.subarray(a, b), k);
    return k + b - a;
  }
  for (let i = a; i < b; i++) out[k++] = vals[i] as number;
  return k;
}

function emptyStats(into: SeriesStats): SeriesStats {
  into.known = 0;
  into.sum = 0;
  into.min = NaN;
  into.max = NaN;
  return into;
}

export class History {
  readonly capacity: number;
  readonly windowSec: number;
  private readonly mono: Float64Array;
  private readonly wall: Float64Array;
  private count = 0;              // samples recorded so far
  private readonly series = new Map<string, Series>();
  /** per-disk / per-NIC / per-node series: asked for whatever this.series lacks */
  private readonly devices: DeviceHistory;
  /** the same series by guest, then metric: record() finds a series without building its key */
  private readonly byGuest = new Map<string | null, Map<string, Series>>();
  /**
   * per guest, the metrics in the order its last record emitted them and their series: a guest emits
   * the same metrics in the same order tick after tick, so record() finds each series by its position
   * (one string identity check) and looks it up by name only when the order changed
   */
  private readonly cursors = new Map<string | null, { names: string[]; series: Series[] }>();

  constructor(windowSec: number, intervalSec: number, deviceWindowSec?: number) {
    this.windowSec = windowSec;
    this.capacity = Math.max(2, Math.min(1_000_000, Math.ceil(windowSec / intervalSec) + 1));
    this.mono = new Float64Array(this.capacity);
    this.wall = new Float64Array(this.capacity);
    this.devices = new DeviceHistory(this.capacity, intervalSec, deviceWindowSec);
  }

  private key(guest: string | null, metric: string): string {
    return `${guest ?? ''}\u0000${metric}`;
  }

  /** Forget a series (its key is `guest\0metric`, guest '' for the host). */
  private drop(k: string): void {
    this.series.delete(k);
    const cut = k.indexOf('\u0000');
    const guest = cut === 0 ? null : k.slice(0, cut);
    const index = this.byGuest.get(guest);
    index?.delete(k.slice(cut + 1));
    if (index?.size === 0) this.byGuest.delete(guest);
    this.cursors.delete(guest); // it may point at the dropped series
  }

  /** Record one snapshot (monoMs: the monotonic time of the raw sample it came from). */
  record(s: Snapshot, monoMs: number, wallMs: number): void {
    const steps = this.recordSteps(s, monoMs, wallMs, Infinity);
    while (steps.next().done !== true) { /* all at once */ }
  }

  /**
   * record() in steps: pauses after every `guestsPerStep` guests (and as many series swept). Until
   * the generator is done the history must not be queried (the new slot is half written).
   */
  *recordSteps(s: Snapshot, monoMs: number, wallMs: number, guestsPerStep: number): Generator<void, void, void> {
    const n = this.count;
    const slot = n % this.capacity;
    this.mono[slot] = monoMs;
    this.wall[slot] = wallMs;
    // one emit for the whole record; begin() points it at a guest's series (null: the host's)
    let known = new Map<string, Series>();
    let guest: string | null = null;
    let cursor: { names: string[]; series: Series[] } = { names: [], series: [] };
    let pos = 0;
    /** distinct series written in this record: all of them (the steady state) leaves nothing to sweep */
    let written = 0;
    const begin = (g: string | null): void => {
      let index = this.byGuest.get(g);
      if (!index) { index = new Map(); this.byGuest.set(g, index); }
      known = index;
      guest = g;
      let c = this.cursors.get(g);
      if (!c) { c = { names: [], series: [] }; this.cursors.set(g, c); }
      cursor = c;
      pos = 0;
    };
    const emit: Emit = (metric, value) => {
      const at = pos++;
      let ser: Series | undefined;
      if (cursor.names[at] === metric) ser = cursor.series[at] as Series;
      else {
        ser = known.get(metric);
        if (!ser) {
          const k = this.key(guest, metric);
          ser = this.series.get(k);
          if (!ser) {
            ser = { values: new Float32Array(this.capacity).fill(NaN), since: n, lastSeen: n - 1, sums: null };
            this.series.set(k, ser);
          }
          known.set(metric, ser);
        }
        cursor.names[at] = metric;
        cursor.series[at] = ser;
      }
      ser.values[slot] = value === null ? NaN : value;
      if (ser.sums !== null && value !== null && value === value) ser.sums.put(n, ser.values[slot] as number);
      if (ser.lastSeen !== n) { ser.lastSeen = n; written++; } // also marks the series as written in this record
    };
    begin(null);
    hostMetrics(s, emit);
    let done = 0;
    for (const g of s.guests) {
      if (++done % guestsPerStep === 0) yield;
      begin(g.id);
      guestMetrics(g, emit);
    }
    this.devices.record(s, n);
    const perSweep = guestsPerStep * 20;
    let swept = 0;
    // series not written in this record (a guest or a figure gone) get an unknown value, or are dropped
    // once a whole window has passed without them; when every series was written there are none
    if (written !== this.series.size) for (const [k, ser] of this.series) {
      if (++swept % perSweep === 0) yield;
      if (ser.lastSeen === n) continue;
      if (n - ser.lastSeen >= this.capacity) this.drop(k);
      else ser.values[slot] = NaN;
    }
    this.count = n + 1;
  }

  /** Metric paths known for a guest (null: host). */
  metrics(guest: string | null): string[] {
    const prefix = `${guest ?? ''}\u0000`;
    const out: string[] = [];
    for (const k of this.series.keys()) if (k.startsWith(prefix)) out.push(k.slice(prefix.length));
    out.push(...this.devices.metrics(guest, this.count));
    return out.sort();
  }

  /**
   * The last windowSec seconds as a HistoryWindow for the diagnosis: each series() call copies one
   * series' values in the window, oldest first (NaN = unknown), or null when the series does not exist;
   * stats() summarises a stretch of it from the block sums (window-sums.ts) without copying.
   */
  window(windowSec: number): HistoryWindow {
    const count = this.count;
    if (count === 0) return { length: 0, coveredSec: 0, series: () => null };
    const last = count - 1;
    const newestMono = this.mono[last % this.capacity] as number;
    const fromMono = newestMono - windowSec * 1000;
    let first = Math.max(0, count - this.capacity);
    while (first < last && (this.mono[first % this.capacity] as number) < fromMono) first++;
    const length = last - first + 1;
    const coveredSec = (newestMono - (this.mono[first % this.capacity] as number)) / 1000;
    const cap = this.capacity;
    return {
      length, coveredSec,
      series: (guest, metric, into) => {
        const ser = this.byGuest.get(guest)?.get(metric);
        if (!ser) return this.devices.window(guest, metric, first, last, into);
        const out = into && into.length === length ? into : new Float32Array(length);
        // samples before the series existed are unknown; the rest is one or two straight runs of the ring
        const from = Math.max(first, ser.since);
        const skip = Math.min(from - first, length);
        const vals = ser.values;
        let k = 0;
        for (; k < skip; k++) out[k] = NaN;
        if (from <= last) {
          const a = from % cap;
          const b = last % cap;
          const end1 = a <= b ? b : cap - 1;
          k = copyRun(vals, a, end1 + 1, out, k);
          if (a > b) copyRun(vals, 0, b + 1, out, k);
        }
        return out;
      },
      stats: (guest, metric, into, fromIdx = 0, toIdx = length) => {
        const ser = this.byGuest.get(guest)?.get(metric);
        if (!ser) return null;
        const lo = Math.max(first + Math.max(0, fromIdx), ser.since);
        const hi = first + Math.min(length, toIdx) - 1;
        if (lo > hi) return emptyStats(into);
        // sums start with the first question: from what the ring still holds of the series
        ser.sums ??= new BlockSums(cap).fill(ser.values, cap, Math.max(ser.since, this.count - cap), this.count - 1);
        return ser.sums.stats(ser.values, cap, lo, hi, this.count - 1, into);
      },
    };
  }

  query(q: HistoryQuery): HistorySeries {
    const ser = this.series.get(this.key(q.guest, q.metric));
    const devicePoints = ser ? null : this.deviceQuery(q);
    if (devicePoints) return { guest: q.guest, metric: q.metric, points: devicePoints };
    if (!ser) {
      const known = this.metrics(q.guest);
      if (known.length === 0 && this.count > 0) {
        throw new VirtuneError(3, `history: no series for guest '${q.guest ?? 'host'}'`);
      }
      throw new VirtuneError(2, `history: unknown metric '${q.metric}'${known.length ? ` (known: ${known.join(', ')})` : ''}`);
    }
    const points: Array<[number, number | null]> = [];
    if (this.count === 0) return { guest: q.guest, metric: q.metric, points };
    const last = this.count - 1;
    const newestMono = this.mono[last % this.capacity] as number;
    const fromMono = newestMono - q.windowSec * 1000;
    const first = Math.max(ser.since, this.count - this.capacity);
    for (let n = first; n <= last; n++) {
      const slot = n % this.capacity;
      if ((this.mono[slot] as number) < fromMono) continue;
      const v = ser.values[slot] as number;
      // fractions back to the 7 significant digits float32 holds (97.2, not 97.19999694824219)
      points.push([this.wall[slot] as number, Number.isNaN(v) ? null : Number.isInteger(v) ? v : Number(v.toPrecision(7))]);
    }
    return { guest: q.guest, metric: q.metric, points };
  }

  /** a per-device series (device-history.ts) in the query's window; null when there is none */
  private deviceQuery(q: HistoryQuery): Array<[number, number | null]> | null {
    if (this.count === 0) return null;
    const newestMono = this.mono[(this.count - 1) % this.capacity] as number;
    return this.devices.points(q.guest, q.metric, { count: this.count, capacity: this.capacity, mono: this.mono, wall: this.wall }, newestMono - q.windowSec * 1000);
  }
}
