// Owns the guest table view-model every face draws (`snapshot`/`watch` text, the TUI table, the desktop
// table): one row per guest with raw values (for sorting and highlighting) and display strings, the
// column set, sorting, filtering, and a layout that fits a given width. Pure.
//
// Column meanings (CPU figures are percent of ONE host CPU; a busy 4-vCPU guest shows 400):
//   CPU%     guest CPU use            RUNQ%    run-queue delay of its vCPU threads (waiting for a CPU)
//   THROTTLE share of time the cgroup was throttled by its CPU quota
//   MEM      resident memory, hugepage-backed memory included
//   IOPS, DISK/s  disk I/O counted once (model/disk-io.ts)        RX/s, TX/s  as the guest sees it
//   LIM      limits in force: C cpu quota, M memory max, D disk limit, N network shaping
//   SUFF%    "who suffers most" now (diagnosis.ts sufferingScore, as a percent); shown with room to
//            spare or while the table is sorted by it

import { allDisks, countedDisks, sumCounted } from '../model/disk-io.js';
import { sumKnown as sumOf } from '../model/sum-known.js';
import type { GuestSnap, Snapshot } from '../model/snapshot.js';
import { sufferingScore } from './diagnosis.js';
import { cell, formatBytesShort, formatOps, formatPctShort, UNKNOWN } from './format.js';

export type ColumnKey =
  | 'id' | 'name' | 'manager' | 'vcpus' | 'cpu' | 'runq' | 'throttle' | 'mem' | 'nodes'
  | 'iops' | 'disk' | 'rdBps' | 'wrBps' | 'rx' | 'tx' | 'limits' | 'suffer';

/** Raw figures of a row (null = unknown); what sorting and highlighting use. */
export interface GuestRowValues {
  vcpus: number | null;
  cpu: number | null;
  runq: number | null;
  throttle: number | null;
  mem: number | null;
  iops: number | null;
  disk: number | null;
  rdBps: number | null;
  wrBps: number | null;
  rx: number | null;
  tx: number | null;
  /** sufferingScore × 100 (0..100) */
  suffer: number | null;
}

export interface GuestLimits { cpu: boolean; mem: boolean; disk: boolean; net: boolean }

export interface GuestRowVM {
  id: string;
  name: string;
  manager: string;
  values: GuestRowValues;
  text: Record<ColumnKey, string>;
  limits: GuestLimits;
  /** a limit is being hit now (throttled, memory at its max) */
  hitLimit: boolean;
  /** vCPUs wait for a host CPU a lot (run delay ≥ HIGH_DELAY_PCT per vCPU) */
  highDelay: boolean;
}

export interface ColumnDef {
  key: ColumnKey;
  title: string;
  width: number;
  right: boolean;
  /** what the column shows (help and tooltips) */
  description: string;
  /** kept first when space is short: lower = more important; ≥ 20 = shown only with room to spare */
  priority: number;
}

export const HIGH_DELAY_PCT = 10;
export const THROTTLE_HIT_PCT = 1;

export const GUEST_COLUMNS: readonly ColumnDef[] = [
  { key: 'id', title: 'ID', width: 0, right: false, priority: 0, description: 'guest id (shown when names repeat)' },
  { key: 'name', title: 'NAME', width: 0, right: false, priority: 0, description: 'guest name' },
  { key: 'manager', title: 'MGR', width: 7, right: false, priority: 20, description: 'libvirt, proxmox or qemu' },
  { key: 'vcpus', title: 'VCPU', width: 4, right: true, priority: 5, description: 'number of vCPUs' },
  { key: 'cpu', title: 'CPU%', width: 6, right: true, priority: 0, description: 'CPU use, percent of one host CPU' },
  { key: 'runq', title: 'RUNQ%', width: 5, right: true, priority: 3, description: 'run-queue delay of the vCPUs, percent of one CPU' },
  { key: 'throttle', title: 'THROTTLE', width: 8, right: true, priority: 4, description: 'percent of time throttled by the CPU quota' },
  { key: 'suffer', title: 'SUFF%', width: 6, right: true, priority: 23, description: 'who suffers most now: the largest of its vCPU wait share, throttled share, 100 when not running or at a disk/network limit' },
  { key: 'mem', title: 'MEM', width: 6, right: true, priority: 1, description: 'resident memory incl. hugepages' },
  { key: 'nodes', title: 'NODES', width: 5, right: false, priority: 21, description: 'NUMA nodes holding its memory' },
  { key: 'iops', title: 'IOPS', width: 6, right: true, priority: 2, description: 'disk reads + writes per second' },
  { key: 'disk', title: 'DISK/s', width: 6, right: true, priority: 2, description: 'disk bytes read + written per second' },
  { key: 'rdBps', title: 'RD/s', width: 6, right: true, priority: 22, description: 'disk bytes read per second' },
  { key: 'wrBps', title: 'WR/s', width: 6, right: true, priority: 22, description: 'disk bytes written per second' },
  { key: 'rx', title: 'RX/s', width: 6, right: true, priority: 2, description: 'network bytes received by the guest per second' },
  { key: 'tx', title: 'TX/s', width: 6, right: true, priority: 2, description: 'network bytes sent by the guest per second' },
  { key: 'limits', title: 'LIM', width: 4, right: false, priority: 6, description: 'limits in force: C cpu quota, M memory, D disk, N network' },
];

const COLUMN_BY_KEY = new Map(GUEST_COLUMNS.map((c) => [c.key, c]));
export const columnDef = (k: ColumnKey): ColumnDef => COLUMN_BY_KEY.get(k) as ColumnDef;

const add = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

/** Resident memory with hugepage-backed memory (which RSS and the memory cgroup leave out). */
export function guestMemBytes(g: GuestSnap): number | null {
  const base = g.memory.rssBytes ?? g.memory.currentBytes;
  if (base === null) return null;
  return base + (g.memory.hugetlbBytes ?? 0);
}

export function guestLimits(g: GuestSnap): GuestLimits {
  const anyDiskLimit = allDisks(g).some((d) => Object.values(d.limits).some((v) => v !== null && v > 0));
  return {
    cpu: g.cpu.quotaUsec !== null,
    mem: g.memory.maxBytes !== null,
    disk: anyDiskLimit,
    net: g.nics.some((n) => n.shaping.active === true || n.shaping.inKbitPerSec !== null || n.shaping.outKbitPerSec !== null),
  };
}

export function limitsText(l: GuestLimits): string {
  return `${l.cpu ? 'C' : ''}${l.mem ? 'M' : ''}${l.disk ? 'D' : ''}${l.net ? 'N' : ''}`;
}

function memNodesText(g: GuestSnap): string {
  const per = g.memory.perNodeBytes;
  if (per) {
    const total = Object.values(per).reduce((a, b) => a + b, 0);
    // nodes holding at least 5 % of the guest's memory
    const nodes = Object.entries(per).filter(([, b]) => total > 0 && b / total >= 0.05).map(([n]) => n);
    if (nodes.length > 0) return nodes.join(',');
  }
  return g.memory.mems ?? UNKNOWN;
}

const scorePct = (s: number | null): number | null => (s === null ? null : Math.round(s * 1000) / 10);

export function guestRowVM(g: GuestSnap): GuestRowVM {
  const disks = countedDisks(allDisks(g));
  const rIops = sumCounted(disks, (d) => d.readIops);
  const wIops = sumCounted(disks, (d) => d.writeIops);
  const rdBps = sumCounted(disks, (d) => d.readBytesPerSec);
  const wrBps = sumCounted(disks, (d) => d.writeBytesPerSec);
  const values: GuestRowValues = {
    vcpus: g.vcpus.length > 0 ? g.vcpus.length : null,
    cpu: g.cpu.usagePct,
    runq: g.cpu.stealPct,
    throttle: g.cpu.throttledPct,
    mem: guestMemBytes(g),
    iops: add(rIops, wIops),
    disk: add(rdBps, wrBps),
    rdBps, wrBps,
    rx: sumOf(g.nics, (n) => n.rxBytesPerSec),
    tx: sumOf(g.nics, (n) => n.txBytesPerSec),
    suffer: scorePct(sufferingScore(g)),
  };
  const limits = guestLimits(g);
  const memMax = g.memory.maxBytes;
  const cur = g.memory.currentBytes;
  const hitLimit = (values.throttle !== null && values.throttle >= THROTTLE_HIT_PCT)
    || (memMax !== null && cur !== null && cur >= memMax * 0.95);
  const perVcpuDelay = values.runq === null ? null : values.runq / Math.max(1, g.vcpus.length);
  return {
    id: g.id, name: g.name, manager: g.manager,
    values, limits, hitLimit,
    highDelay: perVcpuDelay !== null && perVcpuDelay >= HIGH_DELAY_PCT,
    text: {
      id: g.id, name: g.name, manager: g.manager,
      vcpus: values.vcpus === null ? UNKNOWN : String(values.vcpus),
      cpu: formatPctShort(values.cpu), runq: formatPctShort(values.runq), throttle: formatPctShort(values.throttle),
      mem: formatBytesShort(values.mem), nodes: memNodesText(g),
      iops: formatOps(values.iops), disk: formatBytesShort(values.disk),
      rdBps: formatBytesShort(rdBps), wrBps: formatBytesShort(wrBps),
      rx: formatBytesShort(values.rx), tx: formatBytesShort(values.tx),
      limits: limitsText(limits),
      suffer: formatPctShort(values.suffer),
    },
  };
}

// ---- sorting and filtering -------------------------------------------------------------------------

const TEXT_KEYS: ReadonlySet<ColumnKey> = new Set(['id', 'name', 'manager', 'nodes', 'limits']);

/** Natural direction of a column: names ascending, figures largest first. */
export const defaultDescending = (k: ColumnKey): boolean => !TEXT_KEYS.has(k);

export interface SortSpec { key: ColumnKey; descending: boolean }
export const DEFAULT_SORT: SortSpec = { key: 'cpu', descending: true };

/** Sorted copy; unknown values always last; ties by name then id (a stable order across frames). */
export function sortRows(rows: readonly GuestRowVM[], sort: SortSpec = DEFAULT_SORT): GuestRowVM[] {
  const dir = sort.descending ? -1 : 1;
  const tie = (a: GuestRowVM, b: GuestRowVM): number => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  if (TEXT_KEYS.has(sort.key)) {
    return [...rows].sort((a, b) => dir * a.text[sort.key].localeCompare(b.text[sort.key]) || tie(a, b));
  }
  const k = sort.key as keyof GuestRowValues;
  return [...rows].sort((a, b) => {
    const x = a.values[k];
    const y = b.values[k];
    if (x === null || y === null) return x === y ? tie(a, b) : x === null ? 1 : -1;
    return dir * (x - y) || tie(a, b);
  });
}

/** Rows whose name or id contains `text` (case-insensitive); empty text keeps all. */
export function filterRows(rows: readonly GuestRowVM[], text: string): GuestRowVM[] {
  const t = text.trim().toLowerCase();
  if (t === '') return [...rows];
  return rows.filter((r) => r.name.toLowerCase().includes(t) || r.id.toLowerCase().includes(t));
}

// ---- layout ----------------------------------------------------------------------------------------

export interface LaidColumn { key: ColumnKey; title: string; width: number; right: boolean }

export interface TableLayout {
  columns: LaidColumn[];
  /** name as displayed per guest id: cut to the column, never two different names to the same text */
  displayName: Map<string, string>;
  width: number;
}

const NAME_MIN = 8;
const NAME_MAX = 24;
const ID_MAX = 28;

/**
 * Cut names to `width` so that two different names never read the same: a name that would collide
 * when cut at the end keeps more of its end instead (`database-…-01`, `database-…-02`).
 */
export function fitNames(names: readonly string[], width: number): Map<string, string> {
  const out = new Map<string, string>();
  const distinct = [...new Set(names)];
  const taken = new Set<string>();
  for (const n of distinct) if (n.length <= width) { out.set(n, n); taken.add(n); }
  const long = distinct.filter((n) => n.length > width);
  const cut = (n: string, tail: number): string => `${n.slice(0, width - 1 - tail)}…${tail > 0 ? n.slice(n.length - tail) : ''}`;
  // all end-cuts first; a collision among them or with a short name moves to keeping the tail
  const ends = new Map<string, number>();
  for (const n of long) { const c = cut(n, 0); ends.set(c, (ends.get(c) ?? 0) + 1); }
  for (const n of long) {
    let tail = 0;
    let c = cut(n, 0);
    while ((ends.get(c) !== 1 || taken.has(c)) && tail < width - 2) { tail++; c = cut(n, tail); }
    if (taken.has(c)) return fitNames(names, width + 1); // width too small to tell them apart: widen
    out.set(n, c);
    taken.add(c);
  }
  return out;
}

export interface LayoutOptions {
  /** add the extra columns (MGR, NODES, RD/s, WR/s) when there is room; default true */
  extras?: boolean;
  /** a column always shown (the sort column), even one shown only with room to spare */
  keep?: ColumnKey;
}

/** Choose columns and widths so a row fits `width` characters (one space between columns). */
export function tableLayout(rows: readonly GuestRowVM[], width: number, opts: LayoutOptions = {}): TableLayout {
  const names = rows.map((r) => r.name);
  const unique = new Set(names).size === names.length;
  const longestName = Math.max(4, ...names.map((n) => n.length));
  const wantName = Math.min(NAME_MAX, Math.max(NAME_MIN, longestName));
  const idWidth = unique ? 0 : Math.min(ID_MAX, Math.max(2, ...rows.map((r) => r.id.length)));
  const keep = opts.keep !== undefined && opts.keep !== 'id' && opts.keep !== 'name' ? opts.keep : null;
  let chosen = GUEST_COLUMNS.filter((c) => (c.priority < 20 || c.key === keep) && c.key !== 'id' && c.key !== 'name');
  const used = (cols: readonly ColumnDef[], nameW: number): number =>
    cols.reduce((s, c) => s + c.width + 1, 0) + nameW + (idWidth > 0 ? idWidth + 1 : 0);
  // drop the least important columns (never the kept one) until the narrowest name fits
  while (used(chosen, NAME_MIN) > width && chosen.length > 1) {
    const droppable = chosen.filter((c) => c.key !== keep);
    if (droppable.length === 0) break;
    const worst = droppable.reduce((a, b) => (b.priority >= a.priority ? b : a));
    chosen = chosen.filter((c) => c !== worst);
  }
  if (opts.extras !== false) {
    for (const extra of GUEST_COLUMNS.filter((c) => c.priority >= 20 && c.key !== keep).sort((a, b) => a.priority - b.priority)) {
      if (used([...chosen, extra], wantName) <= width) chosen = [...chosen, extra];
    }
  }
  const nameW = Math.max(NAME_MIN, Math.min(wantName, width - used(chosen, 0)));
  const displayName = new Map<string, string>();
  const fitted = fitNames(names, nameW);
  for (const r of rows) displayName.set(r.id, fitted.get(r.name) ?? r.name);
  const finalNameW = Math.max(4, ...[...displayName.values()].map((n) => n.length));
  const order = new Map(GUEST_COLUMNS.map((c, i) => [c.key, i]));
  const columns: LaidColumn[] = [];
  if (idWidth > 0) columns.push({ key: 'id', title: 'ID', width: idWidth, right: false });
  columns.push({ key: 'name', title: 'NAME', width: Math.max(nameW, finalNameW), right: false });
  for (const c of [...chosen].sort((a, b) => (order.get(a.key) as number) - (order.get(b.key) as number))) {
    columns.push({ key: c.key, title: c.title, width: c.width, right: c.right });
  }
  return { columns, displayName, width: columns.reduce((s, c) => s + c.width, 0) + columns.length - 1 };
}

/** The header line of a layout; the sorted column is marked with ▼ (descending) or ▲. */
export function headerLine(layout: TableLayout, sort?: SortSpec): string {
  return layout.columns.map((c) => {
    const mark = sort && sort.key === c.key ? (sort.descending ? '▼' : '▲') : '';
    return cell(c.right ? mark + c.title : c.title + mark, c.width, c.right);
  }).join(' ').trimEnd();
}

/** One row as text in a layout. */
export function rowLine(layout: TableLayout, row: GuestRowVM): string {
  return layout.columns.map((c) => {
    const t = c.key === 'name' ? (layout.displayName.get(row.id) ?? row.name) : row.text[c.key];
    return cell(t, c.width, c.right);
  }).join(' ').trimEnd();
}

export interface GuestTableOptions {
  sort?: SortSpec;
  filter?: string;
  width?: number;
  extras?: boolean;
}

export interface GuestTableVM {
  layout: TableLayout;
  header: string;
  rows: GuestRowVM[];
  lines: string[];
  /** guests before filtering */
  total: number;
}

/** Rows of a snapshot, filtered, sorted and laid out for `width` (default 80). */
export function guestTable(s: Snapshot, opts: GuestTableOptions = {}): GuestTableVM {
  const sort = opts.sort ?? DEFAULT_SORT;
  const all = s.guests.map(guestRowVM);
  const rows = sortRows(filterRows(all, opts.filter ?? ''), sort);
  const layout = tableLayout(all, opts.width ?? 80, { extras: opts.extras ?? false, keep: sort.key });
  return { layout, header: headerLine(layout, sort), rows, lines: rows.map((r) => rowLine(layout, r)), total: all.length };
}
