// Owns the advisor's view of a Snapshot's topology: the numad node table (free CPU measured from the
// interval, or estimated from pinned vCPUs when no interval was measured), CPU→node maps, where a
// guest's vCPUs may run, and finding a guest by name / UUID / id. Pure.

import { parseCpuList } from '../model/cpulist.js';
import { notFoundError, usageError } from '../model/errors.js';
import type { RawGuest, RawSample } from '../model/sample.js';
import type { GuestSnap, HostNumaNodeSnap, Snapshot } from '../model/snapshot.js';
import type { NodeRow } from './numad.js';

export const MIB = 1024 * 1024;

export type HugepageSize = '2M' | '1G';
export const HUGEPAGE_KB: Record<HugepageSize, number> = { '2M': 2048, '1G': 1048576 };

export interface TableOptions {
  /** the memory must come from free hugepages of this size */
  hugepages?: HugepageSize | null;
  /** SMT: logical CPUs per core (numad reads cpu0/topology/thread_siblings); default 1 */
  threadsPerCore?: number;
  /** numad -t, default 20 */
  httPercent?: number;
}

export interface NodeTable {
  rows: NodeRow[];
  /** 'measured' = from per-CPU idle deltas over the interval; 'vcpus' = from pinned vCPUs of running guests */
  cpuSource: 'measured' | 'vcpus';
  /** MiB per hugepage in hugepage mode, else null */
  pageMiB: number | null;
}

export function safeList(text: string | null | undefined): number[] | null {
  if (text === null || text === undefined) return null;
  try { return parseCpuList(text); } catch { return null; }
}

export function sortedNodes(snap: Snapshot): HostNumaNodeSnap[] {
  return [...snap.host.numaNodes].sort((a, b) => a.node - b.node);
}

/** CPU number → node id. */
export function cpuNodeMap(snap: Snapshot): Map<number, number> {
  const m = new Map<number, number>();
  for (const n of snap.host.numaNodes) for (const c of safeList(n.cpus) ?? []) m.set(c, n.node);
  return m;
}

export function allCpus(snap: Snapshot): number[] {
  return [...cpuNodeMap(snap).keys()].sort((a, b) => a - b);
}

/** CPUs of the given nodes, ascending. */
export function cpusOfNodes(snap: Snapshot, nodes: readonly number[]): number[] {
  const out: number[] = [];
  for (const n of snap.host.numaNodes) if (nodes.includes(n.node)) out.push(...(safeList(n.cpus) ?? []));
  return out.sort((a, b) => a - b);
}

/** Is the guest running (or of unknown state, but its process exists)? */
export function isRunning(g: GuestSnap): boolean {
  return g.state === null || g.state === 'running';
}

/** The CPUs each vCPU may run on: its own affinity, else the guest's cpuset, else every CPU. */
export function vcpuAllowed(g: GuestSnap, snap: Snapshot, raw?: RawGuest | null): number[][] {
  const all = allCpus(snap);
  const guestSet = safeList(g.cpu.cpusetEffective) ?? safeList(g.cpu.cpuset) ?? all;
  const count = Math.max(g.vcpus.length, raw?.smp ?? 0, g.vcpus.length === 0 ? 1 : 0);
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const v = g.vcpus[i];
    const own = v ? safeList(v.cpusAllowed) : null;
    out.push(own && own.length > 0 ? own : guestSet);
  }
  return out;
}

/** Union of the CPUs any vCPU may run on. */
export function vcpuCpuUnion(g: GuestSnap, snap: Snapshot, raw?: RawGuest | null): number[] {
  const s = new Set<number>();
  for (const a of vcpuAllowed(g, snap, raw)) for (const c of a) s.add(c);
  return [...s].sort((a, b) => a - b);
}

/** Share (0..1) of the CPUs in `cpus` that belong to each node id. */
export function nodeShares(cpus: readonly number[], map: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  if (cpus.length === 0) return out;
  for (const c of cpus) {
    const n = map.get(c);
    if (n !== undefined) out.set(n, (out.get(n) ?? 0) + 1 / cpus.length);
  }
  return out;
}

/** Nodes whose CPUs the guest's vCPUs may use. */
export function vcpuNodes(g: GuestSnap, snap: Snapshot, raw?: RawGuest | null): number[] {
  return [...nodeShares(vcpuCpuUnion(g, snap, raw), cpuNodeMap(snap)).keys()].sort((a, b) => a - b);
}

/**
 * Load of the running guests' vCPUs per node, hundredths of a CPU: every vCPU counts one CPU (100),
 * spread over the nodes of the CPUs it may run on in proportion to their number.
 */
export function vcpuLoadPerNode(snap: Snapshot, raws: ReadonlyMap<string, RawGuest>): Map<number, number> {
  const map = cpuNodeMap(snap);
  const load = new Map<number, number>();
  for (const g of snap.guests) {
    if (!isRunning(g)) continue;
    for (const allowed of vcpuAllowed(g, snap, raws.get(g.id))) {
      for (const [node, share] of nodeShares(allowed, map)) load.set(node, (load.get(node) ?? 0) + 100 * share);
    }
  }
  return load;
}

/** Was CPU measured over an interval? (no interval, or an interval without clock ticks, as on a captured tree) */
export function cpuMeasured(snap: Snapshot): boolean {
  return snap.intervalSec !== null && snap.host.numaNodes.some((n) => n.cpuUsagePct !== null);
}

export function rawGuestMap(raw: RawSample | null | undefined): Map<string, RawGuest> {
  return new Map((raw?.guests ?? []).map((g) => [g.id, g]));
}

/** Build numad's node table (update_nodes) from a Snapshot. */
export function buildNodeTable(snap: Snapshot, raw: RawSample | null, opts: TableOptions = {}): NodeTable {
  const nodes = sortedNodes(snap);
  const threads = Math.max(1, Math.trunc(opts.threadsPerCore ?? 1));
  const htt = opts.httPercent ?? 20;
  const measured = cpuMeasured(snap);
  const est = measured ? null : vcpuLoadPerNode(snap, rawGuestMap(raw));
  const pageKb = opts.hugepages ? HUGEPAGE_KB[opts.hugepages] : null;
  const pageMiB = pageKb === null ? null : pageKb / 1024;
  const ids = nodes.map((n) => n.node);
  const rows: NodeRow[] = nodes.map((n) => {
    const cpus = safeList(n.cpus) ?? [];
    let cpusTotal: number;
    if (threads === 1 || htt >= 100) cpusTotal = cpus.length * 100;
    else {
      const cores = Math.trunc(cpus.length / threads);
      cpusTotal = cores * 100 + cores * (threads - 1) * htt;
    }
    let cpusFree: number;
    if (measured && n.cpuUsagePct !== null) {
      cpusFree = Math.floor(cpus.length * 100 - n.cpuUsagePct);
      if (threads > 1 && htt < 100) {
        const discount = (cpus.length - Math.trunc(cpus.length / threads)) * (100 - htt);
        cpusFree = cpusFree > discount ? cpusFree - discount : 0;
      }
    } else {
      cpusFree = Math.floor(cpusTotal - (est?.get(n.node) ?? 0));
    }
    cpusFree = Math.min(Math.max(cpusFree, 0), cpusTotal);
    let mbsTotal: number;
    let mbsFree: number;
    if (pageKb !== null && pageMiB !== null) {
      const pool = n.hugepages[String(pageKb)];
      mbsTotal = (pool?.total ?? 0) * pageMiB;
      mbsFree = (pool?.free ?? 0) * pageMiB;
    } else {
      mbsTotal = Math.floor((n.memTotalBytes ?? 0) / MIB);
      mbsFree = Math.floor((n.memFreeBytes ?? 0) / MIB) + Math.floor((n.inactiveFileBytes ?? 0) / MIB);
    }
    // the SLIT row, reindexed to node positions (the kernel lists online nodes in id order)
    const distances = ids.map((_, j) => n.distances?.[j] ?? (n.node === ids[j] ? 10 : 20));
    return { node: n.node, cpus, cpusTotal, cpusFree, mbsTotal, mbsFree, distances };
  });
  return { rows, cpuSource: measured ? 'measured' : 'vcpus', pageMiB };
}

/** Find a guest by id, UUID or name. Ambiguous names are a usage error listing the candidates. */
export function findGuest(snap: Snapshot, key: string): GuestSnap {
  const byId = snap.guests.find((g) => g.id === key);
  if (byId) return byId;
  const byUuid = snap.guests.filter((g) => g.uuid !== null && g.uuid.toLowerCase() === key.toLowerCase());
  if (byUuid.length === 1) return byUuid[0] as GuestSnap;
  const byName = snap.guests.filter((g) => g.name === key);
  if (byName.length === 1) return byName[0] as GuestSnap;
  if (byName.length > 1) {
    throw usageError(`guest '${key}' is ambiguous: ${byName.map((g) => g.id).join(', ')}`);
  }
  throw notFoundError(`guest '${key}' not found (${snap.guests.length} guests: ${snap.guests.map((g) => g.id).join(', ') || 'none'})`);
}
