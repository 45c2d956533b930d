// Owns the guest detail view-model: the guest's current settings (weight, quota, cpuset, nodes, memory,
// disk and network limits), per-vCPU / per-disk / per-NIC / per-node tables, and the chart specs (which
// history metrics to draw, in what unit, with the configured limit as a line). chartData() turns
// HistorySeries into drawable series. Pure: faces fetch history themselves and only draw.

import { allDisks, countedDisks } from '../model/disk-io.js';
import type { GuestSnap } from '../model/snapshot.js';
import { formatBytes, formatMs, formatOps, formatPct, formatRate, UNKNOWN } from './format.js';
import { guestMemBytes } from './guest-table.js';

/** A history series as EngineApi.history() returns it (structural: present does not import protocol). */
export interface HistorySeries { metric: string; points: Array<[number, number | null]> }

export type ChartUnit = 'pct' | 'bytes' | 'bytesPerSec' | 'ops';

export interface ChartSpec {
  id: string;
  title: string;
  unit: ChartUnit;
  series: Array<{ metric: string; label: string }>;
  /** configured limit in the chart's unit (drawn as a line); null = none */
  limit: number | null;
  limitLabel: string | null;
}

export interface DetailTable { title: string; header: string[]; rows: string[][] }

export interface GuestDetailVM {
  title: string;
  settings: Array<[string, string]>;
  tables: DetailTable[];
  charts: ChartSpec[];
}

/** cgroup quota as percent of one CPU (null = none). */
export function quotaPct(g: GuestSnap): number | null {
  const q = g.cpu.quotaUsec;
  const p = g.cpu.periodUsec;
  return q === null || p === null || p <= 0 ? null : (q / p) * 100;
}

const lim = (v: number | null, f: (n: number) => string): string | null => (v === null || v <= 0 ? null : f(v));

function diskLimitText(d: GuestSnap['disks'][number]): string {
  const l = d.limits;
  const parts = [
    lim(l.readIops, (n) => `r ${n} iops`), lim(l.writeIops, (n) => `w ${n} iops`), lim(l.totalIops, (n) => `${n} iops`),
    lim(l.readBytesPerSec, (n) => `r ${formatRate(n)}`), lim(l.writeBytesPerSec, (n) => `w ${formatRate(n)}`),
    lim(l.totalBytesPerSec, (n) => formatRate(n)),
  ].filter((x): x is string => x !== null);
  return parts.length ? parts.join(', ') : 'none';
}

const kbit = (k: number | null): string => (k === null ? 'none' : k >= 1000 ? `${(k / 1000).toFixed(k % 1000 ? 1 : 0)} mbit/s` : `${k} kbit/s`);

export function guestSettings(g: GuestSnap): Array<[string, string]> {
  const qp = quotaPct(g);
  const out: Array<[string, string]> = [
    ['id', g.id],
    ['manager / pid', `${g.manager} / ${g.pid}`],
    ['state', g.state ?? UNKNOWN],
    [g.cpu.weight !== null ? 'cpu.weight' : 'cpu.shares', String(g.cpu.weight ?? g.cpu.shares ?? UNKNOWN)],
    ['cpu quota', qp === null ? 'none' : `${formatPct(qp, 0)} (${g.cpu.quotaUsec} of ${g.cpu.periodUsec} µs)`],
    ['cpuset', g.cpu.cpuset ?? UNKNOWN],
    ['memory nodes', g.memory.mems ?? UNKNOWN],
    ['memory max', g.memory.maxBytes === null ? (g.memory.maxUnlimited === false ? UNKNOWN : 'none') : formatBytes(g.memory.maxBytes)],
  ];
  for (const d of allDisks(g)) if (d.source !== 'cgroup' || Object.values(d.limits).some((v) => v !== null)) {
    out.push([`disk ${d.name}`, diskLimitText(d)]);
  }
  for (const n of g.nics) {
    out.push([`net ${n.ifname}`, n.shaping.active === null && n.shaping.inKbitPerSec === null ? 'unknown'
      : `in ${kbit(n.shaping.inKbitPerSec)}, out ${kbit(n.shaping.outKbitPerSec)}`]);
  }
  return out;
}

export function guestDetail(g: GuestSnap): GuestDetailVM {
  const counted = new Set(countedDisks(allDisks(g)));
  const tables: DetailTable[] = [
    {
      title: 'vCPUs (percent of one CPU)', header: ['vCPU', 'CPU%', 'RUNQ%', 'on', 'allowed'],
      rows: g.vcpus.map((v) => [String(v.index), formatPct(v.usagePct), formatPct(v.runDelayPct), v.lastCpu === null ? UNKNOWN : String(v.lastCpu), v.cpusAllowed ?? UNKNOWN]),
    },
    {
      title: 'disks', header: ['disk', 'src', 'r iops', 'w iops', 'read', 'write', 'r lat', 'w lat'],
      rows: allDisks(g).map((d) => [
        counted.has(d) ? d.name : `(${d.name})`, d.source,
        formatOps(d.readIops), formatOps(d.writeIops), formatRate(d.readBytesPerSec), formatRate(d.writeBytesPerSec),
        formatMs(d.readLatencyMs), formatMs(d.writeLatencyMs),
      ]),
    },
    {
      title: 'network (rx = received by the guest)', header: ['if', 'rx', 'tx', 'rx pkt/s', 'tx pkt/s', 'drops/s'],
      rows: g.nics.map((n) => [
        n.ifname, formatRate(n.rxBytesPerSec), formatRate(n.txBytesPerSec), formatOps(n.rxPacketsPerSec), formatOps(n.txPacketsPerSec),
        n.rxDroppedPerSec === null || n.txDroppedPerSec === null ? UNKNOWN : formatOps(n.rxDroppedPerSec + n.txDroppedPerSec),
      ]),
    },
    {
      title: 'memory per node', header: ['node', 'resident'],
      rows: Object.entries(g.memory.perNodeBytes ?? {}).map(([n, b]) => [n, formatBytes(b)]),
    },
  ];
  const qp = quotaPct(g);
  const netIn = g.nics.map((n) => n.shaping.inKbitPerSec).filter((k): k is number => k !== null);
  const charts: ChartSpec[] = [
    {
      id: 'cpu', title: 'CPU % of one CPU', unit: 'pct',
      series: [{ metric: 'cpu.usagePct', label: 'cpu' }, { metric: 'cpu.stealPct', label: 'runq' }, { metric: 'cpu.throttledPct', label: 'throttled' }],
      limit: qp, limitLabel: qp === null ? null : `quota ${formatPct(qp, 0)}`,
    },
    {
      id: 'vcpus', title: 'per vCPU: CPU % and run delay %', unit: 'pct',
      series: g.vcpus.slice(0, 4).flatMap((v) => [{ metric: `vcpus.${v.index}.usagePct`, label: `v${v.index}` }, { metric: `vcpus.${v.index}.runDelayPct`, label: `v${v.index} runq` }]),
      limit: null, limitLabel: null,
    },
    {
      id: 'disk', title: 'disk bytes/s', unit: 'bytesPerSec',
      series: [{ metric: 'disks.readBytesPerSec', label: 'read' }, { metric: 'disks.writeBytesPerSec', label: 'write' }],
      limit: null, limitLabel: null,
    },
    {
      id: 'iops', title: 'disk IOPS', unit: 'ops',
      series: [{ metric: 'disks.readIops', label: 'read' }, { metric: 'disks.writeIops', label: 'write' }],
      limit: null, limitLabel: null,
    },
    {
      id: 'net', title: 'network bytes/s', unit: 'bytesPerSec',
      series: [{ metric: 'nics.rxBytesPerSec', label: 'rx' }, { metric: 'nics.txBytesPerSec', label: 'tx' }],
      limit: netIn.length === 1 ? (netIn[0] as number) * 125 : null,
      limitLabel: netIn.length === 1 ? `shaped ${kbit(netIn[0] as number)}` : null,
    },
    {
      id: 'mem', title: 'memory', unit: 'bytes',
      series: [{ metric: 'memory.rssBytes', label: 'rss' }, { metric: 'memory.currentBytes', label: 'cgroup' }],
      limit: g.memory.maxBytes, limitLabel: g.memory.maxBytes === null ? null : `max ${formatBytes(g.memory.maxBytes)}`,
    },
  ];
  return {
    title: `${g.name}  ${g.vcpus.length} vCPUs  cpu ${formatPct(g.cpu.usagePct)}  mem ${formatBytes(guestMemBytes(g))}`,
    settings: guestSettings(g), tables, charts,
  };
}

export function formatUnit(unit: ChartUnit, v: number | null): string {
  switch (unit) {
    case 'pct': return formatPct(v, 0);
    case 'bytes': return formatBytes(v);
    case 'bytesPerSec': return formatRate(v);
    case 'ops': return formatOps(v);
  }
}

export interface ChartData {
  /** x labels: seconds before now ('-60s' … '0s') */
  x: string[];
  series: Array<{ label: string; y: number[]; last: string }>;
  /** the limit repeated along x (empty when none) */
  limit: number[];
  /** largest y, limit included (for scales), in the scaled unit */
  max: number;
  /** what y is measured in after scaling ('%', 'MiB', 'KiB/s', '/s') */
  unitLabel: string;
}

const BYTE_STEPS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Divisor and label so the largest value reads below 1024 (bytes units); others unscaled. */
export function chartScale(unit: ChartUnit, max: number): { div: number; label: string } {
  if (unit === 'pct') return { div: 1, label: '%' };
  if (unit === 'ops') return { div: 1, label: '/s' };
  let i = 0;
  let div = 1;
  while (max / div >= 1024 && i < BYTE_STEPS.length - 1) { div *= 1024; i++; }
  return { div, label: `${BYTE_STEPS[i]}${unit === 'bytesPerSec' ? '/s' : ''}` };
}

/**
 * History series → aligned arrays for a line chart. Unknown points are carried as the previous value
 * (0 before the first known one) so lines stay continuous; `last` shows the newest known value or '-'.
 */
export function chartData(spec: ChartSpec, series: readonly HistorySeries[], nowMs: number): ChartData {
  const byMetric = new Map(series.map((s) => [s.metric, s]));
  const base = byMetric.get(spec.series[0]?.metric ?? '')?.points ?? [];
  const x = base.map(([t]) => `${Math.round((t - nowMs) / 1000)}s`);
  let max = spec.limit ?? 0;
  const out = spec.series.map((s) => {
    const pts = byMetric.get(s.metric)?.points ?? [];
    let prev = 0;
    let lastKnown: number | null = null;
    const y = base.map((_, i) => {
      const v = pts[i]?.[1] ?? null;
      if (v !== null) { prev = v; lastKnown = v; }
      if (prev > max) max = prev;
      return prev;
    });
    return { label: s.label, y, last: formatUnit(spec.unit, lastKnown) };
  });
  const { div, label } = chartScale(spec.unit, max);
  if (div !== 1) for (const s of out) for (let i = 0; i < s.y.length; i++) s.y[i] = (s.y[i] as number) / div;
  return {
    x, series: out, limit: spec.limit === null ? [] : base.map(() => (spec.limit as number) / div), max: max / div, unitLabel: label,
  };
}
