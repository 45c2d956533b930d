// Owns the live chart view-models of the desktop/browser guest detail and comparison views: one chart
// per vCPU set, per disk (IOPS / bandwidth / latency), per NIC and for memory per NUMA node (finer than
// guest-detail.ts's history charts, which sum disks and NICs), the value of every series in one
// snapshot (the renderer appends them to its own time window), the configured limits to draw as lines,
// and the axis/legend formatting per unit (guest-detail.ts's units plus latency in ms). Pure.

import type { GuestSnap } from '../model/snapshot.js';
import { formatBytes, formatMs, formatOps, formatPct, formatRate } from './format.js';
import { guestRowVM, type GuestRowValues } from './guest-table.js';
import { quotaPct } from './guest-detail.js';

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
  const quota = quotaPct(g);
  charts.push({
    id: 'cpu', title: 'CPU per vCPU (% of one host CPU)', unit: 'pct',
    series: [{ label: 'guest total', value: c.usagePct }, ...g.vcpus.map((v) => ({ label: `vCPU ${v.index}`, value: v.usagePct }))],
    limits: lim('quota', quota),
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
