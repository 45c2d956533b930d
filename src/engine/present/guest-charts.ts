// Owns the chart view-models of the guest detail and comparison views: which charts a guest has
// (per-vCPU CPU and run delay, per-disk IOPS / bandwidth / latency, per NIC, memory per NUMA node),
// the value of every series in one snapshot (a face appends them to its own time window), the
// configured limits to draw as lines, and the axis/legend formatting per unit. Pure.

import type { GuestSnap } from '../model/snapshot.js';
import { formatBytes, formatMs, formatOps, formatPct, formatRate } from './format.js';

export type ChartUnit = 'pct' | 'bytes' | 'bytesPerSec' | 'ops' | 'ms';

export interface ChartSeriesValue { label: string; value: number | null }
export interface ChartLimit { label: string; value: number }

export interface ChartSpec {
  /** stable id: the same chart in the next snapshot has the same id and series labels */
  id: string;
  title: string;
  unit: ChartUnit;
  series: ChartSeriesValue[];
  limits: ChartLimit[];
}

export function formatUnit(unit: ChartUnit, v: number | null | undefined): string {
  switch (unit) {
    case 'pct': return formatPct(v);
    case 'bytes': return formatBytes(v);
    case 'bytesPerSec': return formatRate(v);
    case 'ops': return v === null || v === undefined ? '-' : `${formatOps(v)}/s`;
    case 'ms': return formatMs(v);
  }
}

const lim = (label: string, v: number | null): ChartLimit[] => (v === null || !Number.isFinite(v) ? [] : [{ label, value: v }]);

/** Every chart of one guest with this snapshot's values. */
export function guestCharts(g: GuestSnap): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const c = g.cpu;
  const quotaPct = c.quotaUsec !== null && c.periodUsec ? (c.quotaUsec / c.periodUsec) * 100 : null;
  charts.push({
    id: 'cpu', title: 'CPU per vCPU (% of one host CPU)', unit: 'pct',
    series: [{ label: 'guest total', value: c.usagePct }, ...g.vcpus.map((v) => ({ label: `vCPU ${v.index}`, value: v.usagePct }))],
    limits: lim('quota', quotaPct),
  });
  charts.push({
    id: 'rundelay', title: 'Run delay / steal (% of time waiting for a CPU)', unit: 'pct',
    series: [{ label: 'steal', value: c.stealPct }, { label: 'throttled', value: c.throttledPct },
      ...g.vcpus.map((v) => ({ label: `vCPU ${v.index} delay`, value: v.runDelayPct }))],
    limits: [],
  });
  for (const d of g.disks) {
    const l = d.limits;
    charts.push({
      id: `disk:${d.name}:iops`, title: `${d.name}: IOPS`, unit: 'ops',
      series: [{ label: 'read', value: d.readIops }, { label: 'write', value: d.writeIops }],
      limits: [...lim('read limit', l.readIops), ...lim('write limit', l.writeIops), ...lim('total limit', l.totalIops)],
    });
    charts.push({
      id: `disk:${d.name}:bw`, title: `${d.name}: bandwidth`, unit: 'bytesPerSec',
      series: [{ label: 'read', value: d.readBytesPerSec }, { label: 'write', value: d.writeBytesPerSec }],
      limits: [...lim('read limit', l.readBytesPerSec), ...lim('write limit', l.writeBytesPerSec), ...lim('total limit', l.totalBytesPerSec)],
    });
    charts.push({
      id: `disk:${d.name}:lat`, title: `${d.name}: latency (mean)`, unit: 'ms',
      series: [{ label: 'read', value: d.readLatencyMs }, { label: 'write', value: d.writeLatencyMs }, { label: 'flush', value: d.flushLatencyMs }],
      limits: [],
    });
  }
  for (const n of g.nics) {
    const s = n.shaping;
    charts.push({
      id: `nic:${n.ifname}`, title: `${n.ifname}: traffic (rx = to the guest)`, unit: 'bytesPerSec',
      series: [{ label: 'rx', value: n.rxBytesPerSec }, { label: 'tx', value: n.txBytesPerSec }],
      limits: [...lim('in limit', s.inKbitPerSec === null ? null : (s.inKbitPerSec * 1000) / 8),
        ...lim('out limit', s.outKbitPerSec === null ? null : (s.outKbitPerSec * 1000) / 8)],
    });
  }
  const per = g.memory.perNodeBytes;
  charts.push({
    id: 'mem', title: 'Memory (resident per NUMA node)', unit: 'bytes',
    series: [{ label: 'current', value: g.memory.currentBytes },
      ...Object.keys(per ?? {}).sort((a, b) => Number(a) - Number(b)).map((k) => ({ label: `node ${k}`, value: per?.[k] ?? null }))],
    limits: lim('memory max', g.memory.maxBytes),
  });
  return charts;
}

export interface CompareMetric { key: string; title: string; unit: ChartUnit; value(g: GuestSnap): number | null }

const sum = <T>(xs: readonly T[], get: (x: T) => number | null): number | null => {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) { const v = get(x); if (v === null) return null; s += v; }
  return s;
};

/** Metrics offered when several guests are compared on one chart. */
export const COMPARE_METRICS: readonly CompareMetric[] = [
  { key: 'cpu', title: 'CPU (% of one host CPU)', unit: 'pct', value: (g) => g.cpu.usagePct },
  { key: 'steal', title: 'Steal (%)', unit: 'pct', value: (g) => g.cpu.stealPct },
  { key: 'mem', title: 'Memory', unit: 'bytes', value: (g) => g.memory.rssBytes ?? g.memory.currentBytes },
  { key: 'iops', title: 'Disk IOPS', unit: 'ops', value: (g) => { const r = sum(g.disks, (d) => d.readIops); const w = sum(g.disks, (d) => d.writeIops); return r === null || w === null ? null : r + w; } },
  { key: 'disk', title: 'Disk bandwidth', unit: 'bytesPerSec', value: (g) => { const r = sum(g.disks, (d) => d.readBytesPerSec); const w = sum(g.disks, (d) => d.writeBytesPerSec); return r === null || w === null ? null : r + w; } },
  { key: 'rx', title: 'Network rx', unit: 'bytesPerSec', value: (g) => sum(g.nics, (n) => n.rxBytesPerSec) },
  { key: 'tx', title: 'Network tx', unit: 'bytesPerSec', value: (g) => sum(g.nics, (n) => n.txBytesPerSec) },
];
