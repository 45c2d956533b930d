// Owns the capacity report's view-model: the report as titled tables of display strings (one place
// decides labels, units and formatting), drawn by the text output and the HTML report alike.

import type { CapacityReport, Percentiles } from '../model/report.js';
import { formatBytes, formatMs, formatOps, formatPct, formatRate, UNKNOWN } from './format.js';

export interface ReportTable {
  title: string;
  head: string[];
  rows: string[][];
}

const LABEL: Record<string, string> = {
  cpuPct: 'CPU', runDelayPct: 'run delay', throttledPct: 'throttled', iops: 'disk IOPS',
  bytesPerSec: 'disk bandwidth', latencyMs: 'disk latency', netBytesPerSec: 'network', memoryBytes: 'memory',
  memUsedBytes: 'memory used',
};

const ORDER = Object.keys(LABEL);
/** metrics in the order the tables list them (known ones first, in LABEL's order) */
export function orderedMetrics<T>(metrics: Record<string, T>): Array<[string, T]> {
  const rank = (m: string): number => { const i = ORDER.indexOf(m); return i < 0 ? ORDER.length : i; };
  return Object.entries(metrics).sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

export function metricLabel(m: string): string {
  const h = /^hugepagesFree\.(\d+)$/.exec(m);
  if (h) return `free ${formatBytes(Number(h[1]) * 1024)} hugepages`;
  return LABEL[m] ?? m;
}

export function formatMetric(m: string, v: number | null): string {
  if (v === null) return UNKNOWN;
  if (m.endsWith('Pct')) return formatPct(v);
  if (m === 'iops') return formatOps(v);
  if (/bytesPerSec$/i.test(m)) return formatRate(v);
  if (m === 'latencyMs') return formatMs(v);
  if (m.endsWith('Bytes')) return formatBytes(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

const PCT_HEAD = ['p50', 'p95', 'p99', 'max'];

function pctCells(m: string, p: Percentiles): string[] {
  return [formatMetric(m, p.p50), formatMetric(m, p.p95), formatMetric(m, p.p99), formatMetric(m, p.max)];
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function reportSummary(r: CapacityReport): string[] {
  const o = r.overcommit;
  const lines = [
    `recording ${r.file}${r.demo ? ' (demo host)' : ''}${r.hostname ? ` of ${r.hostname}` : ''}: ${when(r.startWallMs)} to ${when(r.endWallMs)}, ${r.samples} samples` +
      (r.downsampledMinutes > 0 ? ` + ${r.downsampledMinutes} per-minute aggregates` : '') +
      (r.resolution === 'minute' ? ' (too long to hold every value: percentiles over per-minute means, max exact)' : ''),
    `overcommit: ${o.vcpus} vCPUs on ${o.cpus ?? UNKNOWN} CPUs (${o.vcpuPerCpu === null ? UNKNOWN : o.vcpuPerCpu.toFixed(2)}:1), ` +
      `guest memory ${formatBytes(o.guestMemoryBytes)} of ${formatBytes(o.hostMemoryBytes)} (${o.memoryRatio === null ? UNKNOWN : o.memoryRatio.toFixed(2)}:1)`,
  ];
  if (r.fit) {
    lines.push(`fit ${r.fit.need.vcpus} vCPUs / ${r.fit.need.memMiB} MiB at the busiest moment (${when(r.fit.atWallMs)}): ` +
      `${r.fit.fits ? 'fits' : 'does not fit'}${r.fit.nodeset !== null ? ` on node(s) ${r.fit.nodeset}${r.fit.cpus ? ` (CPUs ${r.fit.cpus})` : ''}` : ''} — ${r.fit.reason}`);
  }
  return lines;
}

export function reportTables(r: CapacityReport): ReportTable[] {
  const tables: ReportTable[] = [];
  const guestRows: string[][] = [];
  for (const g of r.guests) {
    for (const [m, p] of orderedMetrics(g.metrics)) {
      if (p.n === 0) continue;
      guestRows.push([g.name, metricLabel(m), ...pctCells(m, p)]);
    }
  }
  tables.push({ title: 'Guests', head: ['guest', 'metric', ...PCT_HEAD], rows: guestRows });
  const nodeRows: string[][] = [];
  for (const n of r.nodes) {
    for (const [m, p] of orderedMetrics(n.metrics)) {
      if (p.n === 0) continue;
      nodeRows.push([`node ${n.node}`, metricLabel(m), ...pctCells(m, p)]);
    }
  }
  tables.push({ title: 'NUMA nodes', head: ['node', 'metric', ...PCT_HEAD], rows: nodeRows });
  tables.push({
    title: 'Headroom at the p95 load',
    head: ['node', 'CPUs', 'free CPU', 'free memory', 'fewest free hugepages'],
    rows: r.nodes.map((n) => [
      `node ${n.node}`, n.cpus, formatPct(n.headroom.cpuPct), formatBytes(n.headroom.memBytes),
      Object.entries(n.headroom.hugepagesFree).map(([k, v]) => `${formatBytes(Number(k) * 1024)}: ${v ?? UNKNOWN}`).join(', ') || UNKNOWN,
    ]),
  });
  if (r.fit) {
    tables.push({
      title: `Fit ${r.fit.need.vcpus} vCPUs / ${r.fit.need.memMiB} MiB`,
      head: ['node', 'free memory', 'free CPU', 'score', 'chosen'],
      rows: r.fit.nodes.map((n) => [`node ${n.node}`, `${n.freeMemMiB} MiB`, formatPct(n.freeCpuPct), String(n.score), n.chosen ? 'yes' : '']),
    });
  }
  for (const c of r.changes) {
    const rows: string[][] = [];
    for (const [m] of orderedMetrics(c.before)) {
      const b = c.before[m] as Percentiles;
      const a = c.after[m];
      if (b.n === 0 && (!a || a.n === 0)) continue;
      rows.push([metricLabel(m), formatMetric(m, b.p50), formatMetric(m, a?.p50 ?? null), formatMetric(m, b.p95), formatMetric(m, a?.p95 ?? null)]);
    }
    tables.push({
      title: `Change ${c.changeId} on ${c.guest} at ${when(c.wallMs)} (${c.windowSec.toFixed(0)} s before / after): ${c.summary}`,
      head: ['metric', 'p50 before', 'p50 after', 'p95 before', 'p95 after'],
      rows,
    });
  }
  if (r.events.length > 0) {
    tables.push({ title: 'Events', head: ['time', 'kind', 'event'], rows: r.events.map((e) => [when(e.wallMs), e.kind, e.summary]) });
  }
  return tables;
}
