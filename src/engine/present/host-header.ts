// Owns the host header view-model: host identity and uptime, badges (demo / replay / read-only / connected-to /
// paused / stale), host CPU and memory overall and per NUMA node (as fractions for bars plus text),
// KSM, hugepage pools per size and node, host PSI and the engine's own sample cost. Pure; every face
// draws it its own way. CPU percent is percent of one host CPU.

import { parseCpuList } from '../model/cpulist.js';
import type { Snapshot } from '../model/snapshot.js';
import { formatBytes, formatDuration, formatPct } from './format.js';

/** The parts of EngineApi's status() the header shows (structural: present does not import protocol). */
export interface HeaderStatus {
  demo: boolean;
  readOnly: boolean;
  startedAt: string;
  lastSampleCostUsec: number | null;
  lastDeriveCostUsec: number | null;
  /** set by replay engines (recording issue); any truthy value shows the REPLAY badge */
  replay?: unknown;
}

export interface Bar {
  label: string;
  /** 0..1 filled, null = unknown */
  frac: number | null;
  text: string;
}

export interface NodeBarsVM { node: number; cpus: string; cpu: Bar; mem: Bar }

export interface HostHeaderVM {
  title: string;
  /** `up 12d03h` from the host's /proc/uptime, `up -` when unknown (also part of the title) */
  uptime: string;
  badges: string[];
  cpu: Bar;
  mem: Bar;
  nodes: NodeBarsVM[];
  ksm: string;
  hugepages: string[];
  psi: string;
  cost: string;
}

export interface HeaderContext {
  /** where a remote engine lives (`unix:/run/virtune.sock`), null in-process */
  connectedTo?: string | null;
  paused?: boolean;
  /** the daemon connection is down / the engine stalled: seconds since the last snapshot */
  staleSec?: number | null;
  /** this host was chosen because the real one has no guests */
  implicitDemo?: boolean;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Page size key in KiB → '2M', '1G'. */
export function pageSizeLabel(kib: string): string {
  const k = Number(kib);
  if (!Number.isFinite(k)) return kib;
  if (k >= 1048576 && k % 1048576 === 0) return `${k / 1048576}G`;
  if (k >= 1024 && k % 1024 === 0) return `${k / 1024}M`;
  return `${k}K`;
}

export function statusBadges(status: HeaderStatus | null, ctx: HeaderContext = {}): string[] {
  const b: string[] = [];
  if (status?.demo) b.push(ctx.implicitDemo ? 'DEMO (no guests on this host)' : 'DEMO');
  const replay = status?.replay;
  if (replay !== undefined && replay !== null && replay !== false) {
    // a downsampled stretch of a recording plays one snapshot per minute
    b.push((replay as { downsampled?: unknown }).downsampled === true ? 'REPLAY per-minute' : 'REPLAY');
  }
  if (status?.readOnly) b.push('READ-ONLY');
  if (ctx.connectedTo) b.push(`connected to ${ctx.connectedTo}`);
  if (ctx.paused) b.push('PAUSED');
  if (ctx.staleSec !== undefined && ctx.staleSec !== null) b.push(`STALE ${formatDuration(ctx.staleSec)}`);
  return b;
}

export function hostHeader(s: Snapshot, status: HeaderStatus | null, ctx: HeaderContext = {}): HostHeaderVM {
  const h = s.host;
  const cpuFrac = h.cpuUsagePct !== null && h.cpuCount ? clamp01(h.cpuUsagePct / (h.cpuCount * 100)) : null;
  const memUsed = h.memTotalBytes !== null && h.memAvailableBytes !== null ? h.memTotalBytes - h.memAvailableBytes : null;
  const watching = status ? (Date.parse(s.timestamp) - Date.parse(status.startedAt)) / 1000 : null;
  const uptime = hostUptime(h.uptimeSec);
  const title = [
    h.hostname ?? '-',
    h.kernel ? `Linux ${h.kernel}` : null,
    h.cgroupVersion ? `cgroup v${h.cgroupVersion}` : null,
    uptime,
    h.cpuCount !== null ? `${h.cpuCount} CPUs` : null,
    `${s.guests.length} guests`,
    watching !== null && Number.isFinite(watching) ? `watching ${formatDuration(watching)}` : null,
  ].filter((x): x is string => x !== null).join('  ');
  const nodes: NodeBarsVM[] = h.numaNodes.map((n) => {
    const ncpus = n.cpus ? countList(n.cpus) : null;
    const used = n.memTotalBytes !== null && n.memFreeBytes !== null ? n.memTotalBytes - n.memFreeBytes : null;
    return {
      node: n.node, cpus: n.cpus,
      cpu: { label: `n${n.node} cpu`, frac: n.cpuUsagePct !== null && ncpus ? clamp01(n.cpuUsagePct / (ncpus * 100)) : null, text: formatPct(n.cpuUsagePct, 0) },
      mem: { label: `n${n.node} mem`, frac: used !== null && n.memTotalBytes ? clamp01(used / n.memTotalBytes) : null, text: `${formatBytes(used)}/${formatBytes(n.memTotalBytes)}` },
    };
  });
  const ksm = h.ksm === null ? 'KSM -'
    : `KSM ${h.ksm.run === 1 ? 'on' : h.ksm.run === 0 ? 'off' : h.ksm.run === 2 ? 'unmerging' : '-'} saved ${formatBytes(h.ksm.savedBytes)}`;
  const hugepages: string[] = [];
  for (const [size, p] of Object.entries(h.hugepages)) {
    if (p.total === 0 || p.total === null) continue;
    const perNode = h.numaNodes.map((n) => {
      const q = n.hugepages[size];
      return q && q.total ? `n${n.node} ${q.free ?? '-'}/${q.total}` : null;
    }).filter((x): x is string => x !== null);
    hugepages.push(`HP ${pageSizeLabel(size)} ${p.free ?? '-'}/${p.total} free${perNode.length > 1 ? ` (${perNode.join(', ')})` : ''}`);
  }
  const psi = h.psi === null ? 'PSI -'
    : `PSI cpu ${formatPct(h.psi.cpuSomePct)} io ${formatPct(h.psi.ioSomePct)} mem ${formatPct(h.psi.memSomePct)}`;
  const costMs = (us: number | null | undefined): string => (us === null || us === undefined ? '-' : `${(us / 1000).toFixed(1)} ms`);
  return {
    title,
    uptime,
    badges: statusBadges(status, ctx),
    cpu: { label: 'cpu', frac: cpuFrac, text: `${formatPct(h.cpuUsagePct, 0)} of ${h.cpuCount ?? '-'} CPUs` },
    mem: { label: 'mem', frac: memUsed !== null && h.memTotalBytes ? clamp01(memUsed / h.memTotalBytes) : null, text: `${formatBytes(memUsed)}/${formatBytes(h.memTotalBytes)}` },
    nodes, ksm, hugepages, psi,
    cost: `sample ${costMs(status?.lastSampleCostUsec)} derive ${costMs(status?.lastDeriveCostUsec)}`,
  };
}

/** `up 3d04h` from the snapshot's host uptime; `up -` when it is unknown (old recording, no /proc/uptime). */
export function hostUptime(sec: number | null | undefined): string {
  return `up ${formatDuration(sec)}`;
}

/** Number of entries in a kernel list (`0-7,16-23` → 16); null when unparsable. */
function countList(list: string): number | null {
  try { return parseCpuList(list).length; } catch { return null; }
}

/** A text bar `[|||||     ]` of `width` characters (inside the brackets), '?' filled when unknown. */
export function textBar(frac: number | null, width: number): string {
  if (frac === null) return `[${'?'.repeat(Math.max(0, width))}]`;
  const filled = Math.round(clamp01(frac) * width);
  return `[${'|'.repeat(filled)}${' '.repeat(Math.max(0, width - filled))}]`;
}
