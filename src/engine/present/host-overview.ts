// Owns the host overview view-model of the desktop/browser face (and any face that wants it): host
// CPU and memory, one row per NUMA node (CPU, memory, hugepages), KSM savings and pressure (PSI), all
// as display strings from format.ts plus the raw numbers a face may draw as bars. Unknown stays '-'.

import { parseCpuList } from '../model/cpulist.js';
import type { HostNumaNodeSnap, Snapshot } from '../model/snapshot.js';
import { formatBytes, formatPct, UNKNOWN } from './format.js';

export interface OverviewCell { label: string; text: string; /** 0..1 fill for a bar, null = no bar */ fill: number | null }

export interface NodeRow {
  node: number;
  cpus: string;
  cpu: string;
  cpuFill: number | null;
  mem: string;
  memFill: number | null;
  hugepages: string;
}

export interface HostOverview {
  title: string;
  demo: boolean;
  time: string;
  cells: OverviewCell[];
  nodes: NodeRow[];
  guests: number;
  errors: string[];
}

const frac = (used: number | null, total: number | null): number | null =>
  used === null || total === null || total <= 0 ? null : Math.min(1, Math.max(0, used / total));

/** '2048 kB: 12/64 free' style list for a node's or the host's hugepage pools. */
export function hugepageText(pools: Record<string, { total: number | null; free: number | null }>): string {
  const parts = Object.keys(pools).sort((a, b) => Number(a) - Number(b)).flatMap((k) => {
    const p = pools[k];
    if (!p || p.total === null || p.total === 0) return [];
    const size = Number(k) >= 1024 * 1024 ? `${Number(k) / 1024 / 1024}G` : Number(k) >= 1024 ? `${Number(k) / 1024}M` : `${k}K`;
    return [`${size} ${p.free ?? UNKNOWN}/${p.total} free`];
  });
  return parts.length ? parts.join(', ') : 'none';
}

function nodeRow(n: HostNumaNodeSnap, cpusPerNode: number | null): NodeRow {
  const used = n.memTotalBytes !== null && n.memFreeBytes !== null ? n.memTotalBytes - n.memFreeBytes : null;
  return {
    node: n.node, cpus: n.cpus,
    cpu: formatPct(n.cpuUsagePct),
    cpuFill: n.cpuUsagePct === null || cpusPerNode === null ? null : frac(n.cpuUsagePct, cpusPerNode * 100),
    mem: `${formatBytes(used)} / ${formatBytes(n.memTotalBytes)}`,
    memFill: frac(used, n.memTotalBytes),
    hugepages: hugepageText(n.hugepages),
  };
}

function countCpus(list: string): number | null {
  try { return parseCpuList(list).length || null; } catch { return null; }
}

export function hostOverview(s: Snapshot): HostOverview {
  const h = s.host;
  const memUsed = h.memTotalBytes !== null && h.memAvailableBytes !== null ? h.memTotalBytes - h.memAvailableBytes : null;
  const cells: OverviewCell[] = [
    { label: 'CPU (100% = one CPU)', text: `${formatPct(h.cpuUsagePct)} of ${h.cpuCount ?? UNKNOWN} CPUs`, fill: h.cpuCount ? frac(h.cpuUsagePct, h.cpuCount * 100) : null },
    { label: 'Memory used', text: `${formatBytes(memUsed)} / ${formatBytes(h.memTotalBytes)}`, fill: frac(memUsed, h.memTotalBytes) },
    { label: 'KSM saved', text: h.ksm ? `${formatBytes(h.ksm.savedBytes)}${h.ksm.run === 1 ? '' : h.ksm.run === null ? '' : ' (stopped)'}` : UNKNOWN, fill: null },
    { label: 'Hugepages', text: hugepageText(h.hugepages), fill: null },
    { label: 'PSI cpu some', text: formatPct(h.psi?.cpuSomePct), fill: h.psi?.cpuSomePct == null ? null : frac(h.psi.cpuSomePct, 100) },
    { label: 'PSI io some/full', text: `${formatPct(h.psi?.ioSomePct)} / ${formatPct(h.psi?.ioFullPct)}`, fill: h.psi?.ioSomePct == null ? null : frac(h.psi.ioSomePct, 100) },
    { label: 'PSI mem some/full', text: `${formatPct(h.psi?.memSomePct)} / ${formatPct(h.psi?.memFullPct)}`, fill: h.psi?.memSomePct == null ? null : frac(h.psi.memSomePct, 100) },
  ];
  return {
    title: `${s.demo ? 'DEMO ' : ''}${h.hostname ?? UNKNOWN}`,
    demo: s.demo,
    time: s.timestamp,
    cells,
    nodes: h.numaNodes.map((n) => nodeRow(n, countCpus(n.cpus))),
    guests: s.guests.length,
    errors: s.errors.map((e) => `${e.source}${e.guest ? ` ${e.guest}` : ''}: ${e.message}`),
  };
}
