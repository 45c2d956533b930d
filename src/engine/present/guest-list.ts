// Owns the sortable, filterable guest list view-model: one row per guest with display strings (the
// same formatters as the CLI table, via guestRow), the raw numbers to sort by (null = unknown, sorted
// last whatever the direction), and the configured limits of each guest as short marks (CPU quota,
// cpuset, memory cap, disk and network limits) so a face can flag limited guests.

import type { GuestSnap, Snapshot } from '../model/snapshot.js';
import { formatBytes, formatOps, formatPct, formatRate } from './format.js';
import { guestRow, type GuestRow } from './snapshot-table.js';

export type GuestSortKey = 'name' | 'cpu' | 'steal' | 'mem' | 'iops' | 'disk' | 'rx' | 'tx';

export interface GuestListRow extends GuestRow {
  state: string;
  vcpus: number;
  /** 'quota 150%', 'cpuset 0-3', 'mem ≤ 4.00 GiB', 'vda riops ≤ 500', 'vnet0 in ≤ 10 Mbit/s' */
  limits: string[];
  /** throttled right now (CPU quota hit this interval) */
  throttled: boolean;
  sort: Record<GuestSortKey, number | string | null>;
}

export interface GuestListColumn { key: GuestSortKey; title: string; numeric: boolean }

export const GUEST_COLUMNS: readonly GuestListColumn[] = [
  { key: 'name', title: 'Name', numeric: false },
  { key: 'cpu', title: 'CPU % (1 CPU = 100)', numeric: true },
  { key: 'steal', title: 'Steal %', numeric: true },
  { key: 'mem', title: 'Memory', numeric: true },
  { key: 'iops', title: 'IOPS', numeric: true },
  { key: 'disk', title: 'Disk', numeric: true },
  { key: 'rx', title: 'Net rx', numeric: true },
  { key: 'tx', title: 'Net tx', numeric: true },
];

const total = <T>(xs: readonly T[], get: (x: T) => number | null): number | null => {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) { const v = get(x); if (v === null) return null; s += v; }
  return s;
};
const plus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

export function formatKbit(kbit: number | null | undefined): string {
  if (kbit === null || kbit === undefined || !Number.isFinite(kbit)) return '-';
  if (kbit >= 1_000_000) return `${+(kbit / 1_000_000).toFixed(2)} Gbit/s`;
  if (kbit >= 1000) return `${+(kbit / 1000).toFixed(2)} Mbit/s`;
  return `${+kbit.toFixed(1)} kbit/s`;
}

/** The configured limits of a guest, as short marks (empty when nothing limits it). */
export function guestLimits(g: GuestSnap): string[] {
  const out: string[] = [];
  const c = g.cpu;
  if (c.quotaUsec !== null && c.periodUsec) out.push(`quota ${formatPct((c.quotaUsec / c.periodUsec) * 100, 0)}`);
  if (c.cpuset !== null && c.cpusetEffective !== null && c.cpuset !== '' && c.cpuset !== c.cpusetEffective) out.push(`cpuset ${c.cpuset}`);
  if (g.memory.maxBytes !== null) out.push(`mem ≤ ${formatBytes(g.memory.maxBytes)}`);
  for (const d of g.disks) {
    const l = d.limits;
    const parts: string[] = [];
    if (l.readIops !== null) parts.push(`riops ≤ ${formatOps(l.readIops)}`);
    if (l.writeIops !== null) parts.push(`wiops ≤ ${formatOps(l.writeIops)}`);
    if (l.totalIops !== null) parts.push(`iops ≤ ${formatOps(l.totalIops)}`);
    if (l.readBytesPerSec !== null) parts.push(`rbps ≤ ${formatRate(l.readBytesPerSec)}`);
    if (l.writeBytesPerSec !== null) parts.push(`wbps ≤ ${formatRate(l.writeBytesPerSec)}`);
    if (l.totalBytesPerSec !== null) parts.push(`bps ≤ ${formatRate(l.totalBytesPerSec)}`);
    if (parts.length) out.push(`${d.name} ${parts.join(' ')}`);
  }
  for (const n of g.nics) {
    if (n.shaping.inKbitPerSec !== null) out.push(`${n.ifname} in ≤ ${formatKbit(n.shaping.inKbitPerSec)}`);
    if (n.shaping.outKbitPerSec !== null) out.push(`${n.ifname} out ≤ ${formatKbit(n.shaping.outKbitPerSec)}`);
  }
  return out;
}

export function guestListRow(g: GuestSnap): GuestListRow {
  const row = guestRow(g);
  const iops = plus(total(g.disks, (d) => d.readIops), total(g.disks, (d) => d.writeIops));
  const disk = plus(total(g.disks, (d) => d.readBytesPerSec), total(g.disks, (d) => d.writeBytesPerSec));
  return {
    ...row,
    state: g.state ?? '-',
    vcpus: g.vcpus.length,
    limits: guestLimits(g),
    throttled: (g.cpu.throttledPct ?? 0) > 0,
    sort: {
      name: g.name.toLowerCase(),
      cpu: g.cpu.usagePct, steal: g.cpu.stealPct,
      mem: g.memory.rssBytes ?? g.memory.currentBytes,
      iops, disk,
      rx: total(g.nics, (n) => n.rxBytesPerSec), tx: total(g.nics, (n) => n.txBytesPerSec),
    },
  };
}

export interface GuestListQuery {
  sortKey: GuestSortKey;
  descending: boolean;
  /** case-insensitive substring of name or id; 'limited' as a word keeps only guests with limits */
  filter: string;
}

export function guestMatches(row: GuestListRow, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  return words.every((w) => (w === 'limited' ? row.limits.length > 0 : row.name.toLowerCase().includes(w) || row.id.toLowerCase().includes(w)));
}

export function compareRows(a: GuestListRow, b: GuestListRow, key: GuestSortKey, descending: boolean): number {
  const x = a.sort[key];
  const y = b.sort[key];
  if (x === null && y === null) return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  if (x === null) return 1;
  if (y === null) return -1;
  const c = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : x - y;
  if (c !== 0) return descending ? -c : c;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Rows of a snapshot, filtered and sorted (unknown values last). */
export function guestList(s: Snapshot, q: GuestListQuery): GuestListRow[] {
  const rows: GuestListRow[] = [];
  for (const g of s.guests) {
    const r = guestListRow(g);
    if (guestMatches(r, q.filter)) rows.push(r);
  }
  return rows.sort((a, b) => compareRows(a, b, q.sortKey, q.descending));
}
