// Owns the chart view-models of the guest detail view, the same for the TUI and the desktop/browser
// renderer so both draw the same charts with the same numbers: guestCharts() gives one spec per chart
// (per-vCPU CPU, run delay, per counted disk IOPS / bandwidth / latency, per NIC traffic and drops,
// memory per NUMA node), each series naming the history metric it is drawn from (EngineApi.history;
// per-device paths from model/history-metrics.ts) and carrying this snapshot's value (a face appends
// it live), with the configured limits to draw as lines and the section it belongs to. chartHistory()
// aligns the history series of one spec on one time axis (both faces fill their charts from it);
// chartData() turns that into the TUI's scaled, gap-carried arrays. Also the axis/legend formatting
// per unit and the metrics of the comparison view. Pure.

import { allDisks, countedDisks } from '../model/disk-io.js';
import { diskMetric, nicMetric, nodeMemMetric } from '../model/history-metrics.js';
import type { GuestSnap } from '../model/snapshot.js';
import { formatBytes, formatMs, formatOps, formatPct, formatRate } from './format.js';
import { guestRowVM, type GuestRowValues } from './guest-table.js';
import { quotaPct, type DetailSection } from './guest-detail.js';

export type ChartUnit = 'pct' | 'bytes' | 'bytesPerSec' | 'ops' | 'ms';

/** the detail view's sections, in order (the TUI pages through them on a small terminal) */
/** the guest detail's sections, each with its charts */
export type ChartGroup = DetailSection;
export const CHART_GROUPS: readonly ChartGroup[] = ['cpu', 'disk', 'net', 'mem'];

export interface ChartSeriesValue {
  label: string;
  /** the history metric of this line (EngineApi.history) */
  metric: string;
  /** its value in this snapshot (null = unknown) */
  value: number | null;
}
export interface ChartLimit { label: string; value: number }

export interface ChartSpec {
  /** stable id: the same chart in the next snapshot has the same id and series labels */
  id: string;
  group: ChartGroup;
  title: string;
  unit: ChartUnit;
  series: ChartSeriesValue[];
  /** configured limits in the chart's unit, drawn as horizontal lines */
  limits: ChartLimit[];
}

/** A history series as EngineApi.history() returns it (structural: present does not import protocol). */
export interface HistorySeries { metric: string; points: Array<[number, number | null]> }

export function formatUnit(unit: ChartUnit, v: number | null | undefined): string {
  switch (unit) {
    case 'pct': return formatPct(v);
    case 'bytes': return formatBytes(v);
    case 'bytesPerSec': return formatRate(v);
    case 'ops': return v === null || v === undefined ? '-' : `${formatOps(v)}/s`;
    case 'ms': return formatMs(v);
  }
}

const lim = (label: string, v: number | null): ChartLimit[] => (v === null || !Number.isFinite(v) || v <= 0 ? [] : [{ label, value: v }]);
const kbitToBytes = (k: number | null): number | null => (k === null ? null : (k * 1000) / 8);

/** Every chart of one guest's detail view, with this snapshot's values and limits. */
export function guestCharts(g: GuestSnap): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const c = g.cpu;
  charts.push({
    id: 'cpu', group: 'cpu', title: 'CPU per vCPU (% of one host CPU)', unit: 'pct',
    series: [{ label: 'guest total', metric: 'cpu.usagePct', value: c.usagePct },
      ...g.vcpus.map((v) => ({ label: `vCPU ${v.index}`, metric: `vcpus.${v.index}.usagePct`, value: v.usagePct }))],
    limits: lim('quota', quotaPct(g)),
  });
  charts.push({
    id: 'rundelay', group: 'cpu', title: 'Run delay / throttling (% of time)', unit: 'pct',
    series: [{ label: 'steal', metric: 'cpu.stealPct', value: c.stealPct }, { label: 'throttled', metric: 'cpu.throttledPct', value: c.throttledPct },
      ...g.vcpus.map((v) => ({ label: `vCPU ${v.index} delay`, metric: `vcpus.${v.index}.runDelayPct`, value: v.runDelayPct }))],
    limits: [],
  });
  // each I/O once: the guest's virtual disks when it has them, else its cgroup block devices
  for (const d of countedDisks(allDisks(g))) {
    const l = d.limits;
    charts.push({
      id: `disk:${d.name}:iops`, group: 'disk', title: `${d.name}: IOPS`, unit: 'ops',
      series: [{ label: 'read', metric: diskMetric(d, 'readIops'), value: d.readIops }, { label: 'write', metric: diskMetric(d, 'writeIops'), value: d.writeIops }],
      limits: [...lim('read limit', l.readIops), ...lim('write limit', l.writeIops), ...lim('total limit', l.totalIops)],
    });
    charts.push({
      id: `disk:${d.name}:bw`, group: 'disk', title: `${d.name}: bandwidth`, unit: 'bytesPerSec',
      series: [{ label: 'read', metric: diskMetric(d, 'readBytesPerSec'), value: d.readBytesPerSec },
        { label: 'write', metric: diskMetric(d, 'writeBytesPerSec'), value: d.writeBytesPerSec }],
      limits: [...lim('read limit', l.readBytesPerSec), ...lim('write limit', l.writeBytesPerSec), ...lim('total limit', l.totalBytesPerSec)],
    });
    const lat = d.latencyMs ?? { read: null, write: null, flush: null };
    const p99 = lat.read !== null || lat.write !== null;
    charts.push({
      id: `disk:${d.name}:lat`, group: 'disk', title: `${d.name}: latency (mean${p99 ? ', p99' : ''})`, unit: 'ms',
      series: [
        { label: 'read', metric: diskMetric(d, 'readLatencyMs'), value: d.readLatencyMs },
        { label: 'write', metric: diskMetric(d, 'writeLatencyMs'), value: d.writeLatencyMs },
        { label: 'flush', metric: diskMetric(d, 'flushLatencyMs'), value: d.flushLatencyMs },
        ...(p99 ? [{ label: 'read p99', metric: diskMetric(d, 'latencyMs.read.p99'), value: lat.read?.p99 ?? null },
          { label: 'write p99', metric: diskMetric(d, 'latencyMs.write.p99'), value: lat.write?.p99 ?? null }] : []),
      ],
      limits: [],
    });
  }
  for (const n of g.nics) {
    const s = n.shaping;
    charts.push({
      id: `nic:${n.ifname}`, group: 'net', title: `${n.ifname}: traffic (rx = to the guest)`, unit: 'bytesPerSec',
      series: [{ label: 'rx', metric: nicMetric(n.ifname, 'rxBytesPerSec'), value: n.rxBytesPerSec },
        { label: 'tx', metric: nicMetric(n.ifname, 'txBytesPerSec'), value: n.txBytesPerSec }],
      limits: [...lim('in (rx) limit', kbitToBytes(s.inKbitPerSec)), ...lim('out (tx) limit', kbitToBytes(s.outKbitPerSec))],
    });
    charts.push({
      id: `nic:${n.ifname}:drops`, group: 'net', title: `${n.ifname}: dropped packets`, unit: 'ops',
      series: [{ label: 'rx drops', metric: nicMetric(n.ifname, 'rxDroppedPerSec'), value: n.rxDroppedPerSec },
        { label: 'tx drops', metric: nicMetric(n.ifname, 'txDroppedPerSec'), value: n.txDroppedPerSec }],
      limits: [],
    });
  }
  const per = g.memory.perNodeBytes;
  charts.push({
    id: 'mem', group: 'mem', title: 'Memory (resident per NUMA node)', unit: 'bytes',
    series: [{ label: 'resident', metric: 'memory.rssBytes', value: g.memory.rssBytes }, { label: 'cgroup', metric: 'memory.currentBytes', value: g.memory.currentBytes },
      ...Object.keys(per ?? {}).sort((a, b) => Number(a) - Number(b)).map((k) => ({ label: `node ${k}`, metric: nodeMemMetric(k), value: per?.[k] ?? null }))],
    limits: lim('memory max', g.memory.maxBytes),
  });
  return charts;
}

/** One chart's history on one time axis: t (wall ms, ascending) and one column per spec series (null = unknown). */
export interface ChartHistory { t: number[]; y: Array<Array<number | null>> }

/**
 * The history series of a spec aligned on the union of their sample times (series that started later,
 * or keep a shorter window, are null before their first point; a missing series is all null).
 */
export function chartHistory(spec: ChartSpec, series: readonly HistorySeries[]): ChartHistory {
  const byMetric = new Map(series.map((s) => [s.metric, s.points]));
  const times = new Set<number>();
  for (const s of spec.series) for (const [t] of byMetric.get(s.metric) ?? []) times.add(t);
  const t = [...times].sort((a, b) => a - b);
  const index = new Map(t.map((x, i) => [x, i]));
  const y = spec.series.map((s) => {
    const col = new Array<number | null>(t.length).fill(null);
    for (const [ti, v] of byMetric.get(s.metric) ?? []) col[index.get(ti) as number] = v;
    return col;
  });
  return { t, y };
}

/** What the TUI's line chart draws: x labels, scaled y per series and per limit. */
export interface ChartData {
  /** x labels: seconds before now ('-60s' … '0s') */
  x: string[];
  series: Array<{ label: string; y: number[]; last: string }>;
  /** one line per configured limit, repeated along x */
  limits: Array<{ label: string; y: number[] }>;
  /** largest y, limits included (for scales), in the scaled unit */
  max: number;
  /** what y is measured in after scaling ('%', 'MiB', 'KiB/s', '/s', 'ms') */
  unitLabel: string;
}

const BYTE_STEPS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Divisor and label so the largest value reads below 1024 (bytes units); others unscaled. */
export function chartScale(unit: ChartUnit, max: number): { div: number; label: string } {
  if (unit === 'pct') return { div: 1, label: '%' };
  if (unit === 'ops') return { div: 1, label: '/s' };
  if (unit === 'ms') return { div: 1, label: 'ms' };
  let i = 0;
  let div = 1;
  while (max / div >= 1024 && i < BYTE_STEPS.length - 1) { div *= 1024; i++; }
  return { div, label: `${BYTE_STEPS[i]}${unit === 'bytesPerSec' ? '/s' : ''}` };
}

/**
 * A chart's aligned history → arrays for a text line chart. Unknown points are carried as the previous
 * value (0 before the first known one) so lines stay continuous; `last` is the newest known value,
 * formatted (formatUnit), or '-'. More than `maxPoints` samples (a chart a few dozen characters wide
 * cannot show more) are drawn as maxPoints buckets of consecutive samples, each at its newest time
 * with the largest value in it, so a short peak still shows.
 */
export function chartData(spec: ChartSpec, h: ChartHistory, nowMs: number, maxPoints = Infinity): ChartData {
  const n = h.t.length;
  const per = n > maxPoints && maxPoints >= 1 ? Math.ceil(n / Math.floor(maxPoints)) : 1;
  const buckets = Math.ceil(n / per);
  // bucket b holds samples b*per … min(n, (b+1)*per) - 1 and is drawn at its last one's time
  const x = Array.from({ length: buckets }, (_, b) => `${Math.round(((h.t[Math.min(n, (b + 1) * per) - 1] as number) - nowMs) / 1000)}s`);
  let max = 0;
  for (const l of spec.limits) if (l.value > max) max = l.value;
  const series = spec.series.map((s, k) => {
    const col = h.y[k] ?? [];
    let prev = 0;
    let lastKnown: number | null = null;
    const y = new Array<number>(buckets).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const v = col[i] ?? null;
      if (v !== null) { prev = v; lastKnown = v; }
      if (prev > max) max = prev;
      const b = Math.floor(i / per);
      if (prev > (y[b] as number)) y[b] = prev;
    }
    return { label: s.label, y, last: formatUnit(spec.unit, lastKnown) };
  });
  const { div, label } = chartScale(spec.unit, max);
  if (div !== 1) for (const s of series) for (let i = 0; i < s.y.length; i++) s.y[i] = (s.y[i] as number) / div;
  return {
    x, series, limits: spec.limits.map((l) => ({ label: `${l.label} ${formatUnit(spec.unit, l.value)}`, y: x.map(() => l.value / div) })),
    max: max / div, unitLabel: label,
  };
}

/** Every history metric the specs draw (each once, in order): what a face asks EngineApi.history for. */
export function chartMetrics(specs: readonly ChartSpec[]): string[] {
  const seen = new Set<string>();
  for (const s of specs) for (const x of s.series) seen.add(x.metric);
  return [...seen];
}

export interface CompareMetric { key: keyof GuestRowValues; title: string; unit: ChartUnit }

/** Metrics offered when several guests are compared on one chart: the guest table's own values. */
export const COMPARE_METRICS: readonly CompareMetric[] = [
  { key: 'cpu', title: 'CPU (% of one host CPU)', unit: 'pct' },
  { key: 'runq', title: 'Run-queue delay (%)', unit: 'pct' },
  { key: 'throttle', title: 'Throttled (%)', unit: 'pct' },
  { key: 'mem', title: 'Memory (resident, hugepages included)', unit: 'bytes' },
  { key: 'iops', title: 'Disk IOPS', unit: 'ops' },
  { key: 'disk', title: 'Disk bandwidth', unit: 'bytesPerSec' },
  { key: 'rx', title: 'Network rx', unit: 'bytesPerSec' },
  { key: 'tx', title: 'Network tx', unit: 'bytesPerSec' },
];

export function compareValue(g: GuestSnap, m: CompareMetric): number | null {
  return guestRowVM(g).values[m.key];
}
