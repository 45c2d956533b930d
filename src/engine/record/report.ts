// Owns the capacity report computed from a recording: every sample derived by the same `derive` as
// live data; nearest-rank p50/p95/p99/max per guest and per NUMA node (per-minute aggregates of
// downsampled spans count as their mean, weighted by their sample count); headroom at the p95 load;
// vCPU and memory overcommit; `--fit` through the advisor on the busiest sample; before/after
// percentiles over equal windows around each recorded tuning change; chart series for the HTML. Pure.

import { adviseNeed } from '../advisor/advise.js';
import { derive } from '../core/derive.js';
import { parseCpuList } from '../model/cpulist.js';
import type { RecordedEvent } from '../model/recording.js';
import type {
  CapacityReport, Percentiles, ReportChange, ReportChart, ReportGuest, ReportNode,
} from '../model/report.js';
import type { RawSample } from '../model/sample.js';
import type { Snapshot } from '../model/snapshot.js';
import type { RecordingReader } from '../ports/recording.js';
import { decodeBlock } from './codec.js';
import { eventMark } from './events.js';
import { GUEST_METRICS, emitSnapshot, guestScope, nodeScope } from './series.js';

export interface ReportOptions {
  fit?: { vcpus: number; memMiB: number } | null;
  /** longest before/after window around a change, seconds (default 300) */
  maxChangeWindowSec?: number;
  /** most points per chart series (default 600) */
  chartPoints?: number;
  /** values kept at full resolution before the report switches to per-minute buckets (default 8 million) */
  budgetValues?: number;
}

/** Nearest-rank percentile of weighted values: the smallest value whose cumulative weight reaches p% of the total. */
export function percentiles(values: readonly number[], weights?: readonly number[]): Percentiles {
  const n = values.length;
  if (n === 0) return { n: 0, p50: null, p95: null, p99: null, max: null };
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const w = (i: number): number => (weights ? (weights[i] as number) : 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += w(i);
  const pick = (p: number): number => {
    const rank = Math.ceil((p / 100) * total);
    let acc = 0;
    for (const i of idx) {
      acc += w(i);
      if (acc >= rank) return values[i] as number;
    }
    return values[idx[n - 1] as number] as number;
  };
  return { n: total, p50: pick(50), p95: pick(95), p99: pick(99), max: values[idx[n - 1] as number] as number };
}

interface Bucket { n: number; mean: number; max: number }

/**
 * The values of one series: every value while the report is within its memory budget; past it, one
 * bucket per minute (n, mean, max), so a recording of days still fits in memory. Aggregated values
 * (per-minute rows of the file, buckets) weigh their mean by their sample count and keep their max.
 */
class Series {
  private t: number[] = [];
  private v: number[] = [];
  private w: number[] = [];
  private m: number[] = [];
  private buckets: Map<number, Bucket> | null = null;
  /** the smallest value added (an aggregate's mean stands for its values) */
  private lo = Infinity;

  /** the smallest value, null when there is none */
  min(): number | null { return this.lo === Infinity ? null : this.lo; }

  add(t: number, v: number, w = 1, max = v): void {
    if (v < this.lo) this.lo = v;
    if (this.buckets) { this.merge(Math.floor(t / 60_000) * 60_000, v, w, max); return; }
    this.t.push(t); this.v.push(v); this.w.push(w); this.m.push(max);
  }

  private merge(minute: number, v: number, w: number, max: number): void {
    const b = (this.buckets as Map<number, Bucket>).get(minute);
    if (!b) { (this.buckets as Map<number, Bucket>).set(minute, { n: w, mean: v, max }); return; }
    b.mean += ((v - b.mean) * w) / (b.n + w);
    b.n += w;
    if (max > b.max) b.max = max;
  }

  /** switch to per-minute buckets (the budget is spent) */
  fold(): void {
    if (this.buckets) return;
    this.buckets = new Map();
    for (let i = 0; i < this.t.length; i++) {
      this.merge(Math.floor((this.t[i] as number) / 60_000) * 60_000, this.v[i] as number, this.w[i] as number, this.m[i] as number);
    }
    this.t = []; this.v = []; this.w = []; this.m = [];
  }

  pcts(from = -Infinity, to = Infinity): Percentiles {
    const vs: number[] = [];
    const ws: number[] = [];
    let max = -Infinity;
    const take = (t: number, v: number, w: number, m: number): void => {
      if (t < from || t >= to) return;
      vs.push(v); ws.push(w);
      if (m > max) max = m;
    };
    if (this.buckets) for (const [t, b] of this.buckets) take(t, b.mean, b.n, b.max);
    else for (let i = 0; i < this.t.length; i++) take(this.t[i] as number, this.v[i] as number, this.w[i] as number, this.m[i] as number);
    const p = percentiles(vs, ws);
    if (p.max !== null && max > p.max) p.max = max;
    return p;
  }
}

interface GuestInfo { id: string; name: string; manager: string; vcpus: number | null; configBytes: number | null }

/** Every sample of the recording, oldest first. */
export function* readSamples(reader: RecordingReader): Generator<RawSample> {
  // downsampled stretches (step 60) are counted through their per-minute aggregates
  for (const b of reader.blocks()) if (!b.stepSec) yield* decodeBlock(reader.readBlock(b.id));
}

function chartOf(title: string, unit: string, x: number[], series: Map<string, Array<number | null>>, points: number): ReportChart {
  const step = Math.max(1, Math.ceil(x.length / points));
  const bx: number[] = [];
  for (let i = 0; i < x.length; i += step) bx.push(x[i] as number);
  const out: ReportChart['series'] = [];
  for (const [label, vals] of series) {
    const bv: Array<number | null> = [];
    for (let i = 0; i < x.length; i += step) {
      let s = 0;
      let k = 0;
      for (let j = i; j < Math.min(i + step, x.length); j++) {
        const v = vals[j];
        if (v !== null && v !== undefined) { s += v; k++; }
      }
      bv.push(k > 0 ? s / k : null);
    }
    out.push({ label, values: bv });
  }
  return { title, unit, x: bx, series: out };
}

export function buildReport(reader: RecordingReader, opts: ReportOptions = {}): CapacityReport {
  const meta = reader.meta();
  const series = new Map<string, Series>();
  const get = (scope: string, metric: string): Series => {
    const k = `${scope}|${metric}`;
    let s = series.get(k);
    if (!s) { s = new Series(); series.set(k, s); }
    return s;
  };
  const guests = new Map<string, GuestInfo>();
  const peakMem = new Map<string, number>();
  const nodes = new Map<number, { cpus: string; memTotalBytes: number | null }>();
  let busiest: { snap: Snapshot; raw: RawSample; cpu: number } | null = null;
  const budget = opts.budgetValues ?? 8_000_000;
  let stored = 0;
  let resolution: CapacityReport['resolution'] = 'sample';
  let lastChartT = -Infinity;
  let prev: RawSample | null = null;
  let samples = 0;
  let start = Infinity;
  let end = -Infinity;
  let lastRaw: RawSample | null = null;
  const x: number[] = [];
  const cpuLines = new Map<string, Array<number | null>>();
  const memLines = new Map<string, Array<number | null>>();
  const nodeLines = new Map<string, Array<number | null>>();
  const line = (m: Map<string, Array<number | null>>, label: string, i: number, v: number | null): void => {
    let a = m.get(label);
    if (!a) { a = new Array<number | null>(i).fill(null); m.set(label, a); }
    while (a.length < i) a.push(null);
    a.push(v);
  };

  for (const raw of readSamples(reader)) {
    samples++;
    start = Math.min(start, raw.wallMs);
    end = Math.max(end, raw.wallMs);
    lastRaw = raw;
    for (const g of raw.guests) {
      const configKiB = g.libvirt?.maxMemoryKiB ?? null;
      guests.set(g.id, {
        id: g.id, name: g.name, manager: g.manager,
        vcpus: g.smp ?? (g.vcpus.length > 0 ? g.vcpus.length : null),
        configBytes: configKiB !== null ? configKiB * 1024 : g.memory.balloonActualBytes,
      });
    }
    for (const n of raw.host.numaNodes) nodes.set(n.node, { cpus: n.cpus, memTotalBytes: n.memTotalBytes });
    const snap = derive(prev, raw);
    prev = raw;
    if (snap.intervalSec === null) continue;
    const t = raw.wallMs;
    emitSnapshot(snap, (scope, metric, v) => {
      if (v === null || !Number.isFinite(v)) return;
      get(scope, metric).add(t, v);
      stored++;
      if (metric === 'memoryBytes') peakMem.set(scope, Math.max(peakMem.get(scope) ?? 0, v));
    });
    if (resolution === 'sample' && stored > budget) {
      for (const sr of series.values()) sr.fold();
      resolution = 'minute';
    }
    const hostCpu = snap.host.cpuUsagePct;
    if (hostCpu !== null && (busiest === null || hostCpu > busiest.cpu)) busiest = { snap, raw, cpu: hostCpu };
    // past the budget the charts keep one point per minute too
    if (resolution === 'minute' && t - lastChartT < 60_000) continue;
    lastChartT = t;
    const i = x.length;
    x.push(t);
    for (const g of snap.guests) {
      line(cpuLines, g.name, i, g.cpu.usagePct);
      line(memLines, g.name, i, g.memory.currentBytes ?? g.memory.rssBytes);
    }
    for (const n of snap.host.numaNodes) line(nodeLines, `node ${n.node}`, i, n.cpuUsagePct);
  }

  let downsampledMinutes = 0;
  const minuteSet = new Set<number>();
  for (const r of reader.minutes()) {
    get(r.scope, r.metric).add(r.minuteWallMs, r.mean, r.n, r.max);
    minuteSet.add(r.minuteWallMs);
    start = Math.min(start, r.minuteWallMs);
    end = Math.max(end, r.minuteWallMs + 60_000);
  }
  downsampledMinutes = minuteSet.size;

  const metricsOf = (scope: string, from?: number, to?: number): Record<string, Percentiles> => {
    const out: Record<string, Percentiles> = {};
    const prefix = `${scope}|`;
    for (const [k, s] of series) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = s.pcts(from, to);
    return out;
  };

  const reportGuests: ReportGuest[] = [...guests.values()].map((g) => ({
    id: g.id, name: g.name, manager: g.manager, vcpus: g.vcpus,
    memoryBytes: g.configBytes ?? peakMem.get(guestScope(g.id)) ?? null,
    metrics: metricsOf(guestScope(g.id)),
  }));

  const reportNodes: ReportNode[] = [...nodes.entries()].sort((a, b) => a[0] - b[0]).map(([node, n]) => {
    const metrics = metricsOf(nodeScope(node));
    const cpuCount = parseCpuList(n.cpus).length;
    const cpuP95 = metrics.cpuPct?.p95 ?? null;
    const memP95 = metrics.memUsedBytes?.p95 ?? null;
    const hugepagesFree: Record<string, number | null> = {};
    for (const [k, s] of series) {
      const m = /^node:(\d+)\|hugepagesFree\.(\d+)$/.exec(k);
      if (m && Number(m[1]) === node) hugepagesFree[m[2] as string] = s.min();
    }
    return {
      node, cpus: n.cpus, cpuCount, memTotalBytes: n.memTotalBytes, metrics,
      headroom: {
        cpuPct: cpuP95 === null ? null : cpuCount * 100 - cpuP95,
        memBytes: memP95 === null || n.memTotalBytes === null ? null : n.memTotalBytes - memP95,
        hugepagesFree,
      },
    };
  });

  const vcpus = reportGuests.reduce((s, g) => s + (g.vcpus ?? 0), 0);
  const cpus = lastRaw?.host.cpuCount ?? null;
  const guestMemoryBytes = reportGuests.reduce((s, g) => s + (g.memoryBytes ?? 0), 0);
  const hostMemoryBytes = lastRaw?.host.memTotalBytes ?? null;

  let fit: CapacityReport['fit'] = null;
  if (opts.fit && busiest) {
    fit = { ...adviseNeed(busiest.snap, busiest.raw, opts.fit, { hugepages: null }), atWallMs: busiest.raw.wallMs };
  }

  const events = reader.events();
  const changes = changeWindows(events, start, end, opts.maxChangeWindowSec ?? 300, guests, metricsOf);

  const points = opts.chartPoints ?? 600;
  const charts: ReportChart[] = [
    chartOf('Guest CPU', '% of one host CPU', x, cpuLines, points),
    chartOf('Guest memory', 'bytes', x, memLines, points),
    chartOf('NUMA node CPU', '% of one host CPU', x, nodeLines, points),
  ];

  return {
    schemaVersion: 1,
    file: reader.file,
    hostname: meta.hostname,
    demo: meta.demo,
    startWallMs: Number.isFinite(start) ? start : 0,
    endWallMs: Number.isFinite(end) ? end : 0,
    samples,
    downsampledMinutes,
    resolution,
    guests: reportGuests,
    nodes: reportNodes,
    overcommit: {
      vcpus, cpus, vcpuPerCpu: cpus ? vcpus / cpus : null,
      guestMemoryBytes, hostMemoryBytes, memoryRatio: hostMemoryBytes ? guestMemoryBytes / hostMemoryBytes : null,
    },
    fit,
    changes,
    events: events.map(eventMark),
    charts,
  };
}

/** Before/after percentiles of the changed guest over equal windows around each change event. */
function changeWindows(
  events: readonly RecordedEvent[], start: number, end: number, maxSec: number, guests: Map<string, GuestInfo>,
  metricsOf: (scope: string, from?: number, to?: number) => Record<string, Percentiles>,
): ReportChange[] {
  const out: ReportChange[] = [];
  for (const e of events) {
    if (e.kind !== 'change') continue;
    const c = e.change;
    const T = e.wallMs;
    const w = Math.min(T - start, end - T, maxSec * 1000);
    if (!(w > 0)) continue;
    const g = guests.get(c.guest) ?? [...guests.values()].find((x) => x.name === c.guest || x.id.endsWith(`:${c.guest}`));
    const scope = g ? guestScope(g.id) : 'host';
    const pick = (from: number, to: number): Record<string, Percentiles> => {
      const all = metricsOf(scope, from, to);
      if (!g) return all;
      const out2: Record<string, Percentiles> = {};
      for (const m of GUEST_METRICS) if (all[m]) out2[m] = all[m] as Percentiles;
      return out2;
    };
    out.push({
      changeId: c.changeId, guest: g?.id ?? c.guest, wallMs: T, summary: eventMark(e).summary,
      windowSec: w / 1000, before: pick(T - w, T), after: pick(T + 1, T + w + 1),
    });
  }
  return out;
}
