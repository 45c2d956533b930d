// Owns the host-wide rebalancing proposal (`advise --host`): a greedy search over guest moves on a
// model of the host, each move's target being numad's pick for that guest or a single node, taking
// the move with the largest gain until no move gains enough. Pure.
//
// Gain metric (MiB-equivalents; lower host cost is better):
//   cost = Σ_guests remoteMiB + Σ_nodes memOverMiB + Σ_nodes cpuOver × memTotalMiB / cpuTotal
//   - remoteMiB of a guest = Σ_n memMiB[n] × (1 − share[n]), share[n] = fraction of the CPUs its vCPUs
//     may run on that lie on node n: the memory its vCPUs reach remotely, in expectation.
//   - memOverMiB of a node = max(0, used − (total − 100 MiB numad margin)).
//   - cpuOver of a node = max(0, used − 85 % × total) in hundredths of a CPU (numad's target
//     utilization), weighed as the same fraction of the node's memory.
//   gain(move) = cost before − cost after.
// Threshold: a move is proposed only when gain ≥ MIN_GAIN_MIB (256 MiB-equivalent) AND
// gain ≥ migrated MiB / 8 (every 8 MiB copied between nodes must buy at least 1 MiB-equivalent).
// A move may never raise memory or CPU over-commit (locality is not bought with overload).
// Each guest moves at most once, so the search ends.

import { formatCpuList } from '../model/cpulist.js';
import type { HostMove } from '../model/advice.js';
import type { RawSample } from '../model/sample.js';
import type { Snapshot } from '../model/snapshot.js';
import { assumeEnoughCpus, guestModel, type GuestModel } from './advise.js';
import { pickNumaNodes, type NodeRow } from './numad.js';
import {
  MIB, buildNodeTable, cpuNodeMap, cpusOfNodes, isRunning, nodeShares, rawGuestMap, vcpuCpuUnion,
} from './topology.js';

export const MIN_GAIN_MIB = 256;
export const MIGRATE_PER_GAIN = 8;
export const CPU_TARGET = 0.85;
export const MEM_MARGIN_MIB = 100;

interface NodeState { node: number; memTotal: number; memUsed: number; cpuTotal: number; cpuUsed: number; row: NodeRow }
interface GuestState { id: string; mem: Map<number, number>; cpu: number; share: Map<number, number>; model: GuestModel; moved: boolean }
interface HostState { nodes: NodeState[]; guests: GuestState[] }

function clone(s: HostState): HostState {
  return {
    nodes: s.nodes.map((n) => ({ ...n })),
    guests: s.guests.map((g) => ({ ...g, mem: new Map(g.mem), share: new Map(g.share) })),
  };
}

export function guestRemoteMiB(g: { mem: Map<number, number>; share: Map<number, number> }): number {
  let r = 0;
  for (const [n, m] of g.mem) r += m * (1 - (g.share.get(n) ?? 0));
  return r;
}

export function hostCost(s: HostState): { remote: number; memOver: number; cpuOver: number; total: number } {
  let remote = 0;
  for (const g of s.guests) remote += guestRemoteMiB(g);
  let memOver = 0;
  let cpuOver = 0;
  for (const n of s.nodes) {
    memOver += Math.max(0, n.memUsed - (n.memTotal - MEM_MARGIN_MIB));
    if (n.cpuTotal > 0) cpuOver += Math.max(0, n.cpuUsed - CPU_TARGET * n.cpuTotal) * n.memTotal / n.cpuTotal;
  }
  return { remote, memOver, cpuOver, total: remote + memOver + cpuOver };
}

/** Apply "guest → nodes" to a copy of the state; memory outside the target moves in proportion to free memory. */
function applyMove(s: HostState, gi: number, target: readonly number[], map: Map<number, number>, snap: Snapshot): { next: HostState; migrateMiB: number } {
  const next = clone(s);
  const g = next.guests[gi] as GuestState;
  const node = (id: number): NodeState | undefined => next.nodes.find((n) => n.node === id);
  let moving = 0;
  for (const [id, m] of [...g.mem]) {
    if (target.includes(id)) continue;
    moving += m;
    g.mem.delete(id);
    const n = node(id);
    if (n) n.memUsed -= m;
  }
  const free = target.map((id) => Math.max(0, (node(id)?.memTotal ?? 0) - (node(id)?.memUsed ?? 0) - MEM_MARGIN_MIB));
  const freeSum = free.reduce((a, b) => a + b, 0);
  target.forEach((id, i) => {
    const part = freeSum > 0 ? moving * (free[i] as number) / freeSum : moving / target.length;
    g.mem.set(id, (g.mem.get(id) ?? 0) + part);
    const n = node(id);
    if (n) n.memUsed += part;
  });
  for (const [id, sh] of g.share) { const n = node(id); if (n) n.cpuUsed -= g.cpu * sh; }
  g.share = nodeShares(cpusOfNodes(snap, [...target]), map);
  for (const [id, sh] of g.share) { const n = node(id); if (n) n.cpuUsed += g.cpu * sh; }
  g.moved = true;
  return { next, migrateMiB: moving };
}

function rowsOf(s: HostState): NodeRow[] {
  return s.nodes.map((n) => ({
    ...n.row,
    mbsFree: Math.max(0, Math.floor(n.memTotal - n.memUsed)),
    cpusFree: Math.min(n.cpuTotal, Math.max(0, Math.floor(n.cpuTotal - n.cpuUsed))),
  }));
}

const sameSet = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function initialHostState(snap: Snapshot, raw: RawSample | null): HostState {
  const table = buildNodeTable(snap, raw);
  const map = cpuNodeMap(snap);
  const raws = rawGuestMap(raw);
  const nodes: NodeState[] = table.rows.map((r) => ({
    node: r.node, memTotal: r.mbsTotal, memUsed: r.mbsTotal - Math.min(r.mbsFree, r.mbsTotal),
    cpuTotal: r.cpusTotal, cpuUsed: r.cpusTotal - r.cpusFree, row: r,
  }));
  const guests: GuestState[] = [];
  for (const g of snap.guests) {
    if (!isRunning(g) || g.memory.perNodeBytes === null) continue;
    const model = guestModel(g, raws.get(g.id) ?? null, table, snap);
    const mem = new Map<number, number>();
    for (const [k, v] of Object.entries(g.memory.perNodeBytes)) if (v > 0) mem.set(Number(k), v / MIB);
    guests.push({
      id: g.id, mem, cpu: model.existing.cpusUsed,
      share: nodeShares(vcpuCpuUnion(g, snap, raws.get(g.id) ?? null), map), model, moved: false,
    });
  }
  return { nodes, guests };
}

export function planHost(snap: Snapshot, raw: RawSample | null): HostMove[] {
  if (snap.host.numaNodes.length < 2) return [];
  const map = cpuNodeMap(snap);
  const assume = assumeEnoughCpus(snap, raw, buildNodeTable(snap, raw));
  let state = initialHostState(snap, raw);
  const moves: HostMove[] = [];
  const ids = state.nodes.map((n) => n.node);
  for (let step = 0; step < state.guests.length; step++) {
    const before = hostCost(state);
    let best: { gi: number; target: number[]; next: HostState; migrateMiB: number; gain: number; how: string } | null = null;
    state.guests.forEach((g, gi) => {
      if (g.moved) return;
      const candidates: Array<{ target: number[]; how: string }> = [];
      // numad's own answer for this guest on the current model
      const rows = rowsOf(state);
      const existing = { ...g.model.existing, mbsPerNode: ids.map((id) => Math.floor(g.mem.get(id) ?? 0)) };
      const pick = pickNumaNodes(rows, g.model.cpuRequest, g.model.mbRequest, existing, { assumeEnoughCpus: assume });
      if (!pick.leaveAlone && pick.unmetMbs <= 0) candidates.push({ target: pick.nodes, how: "numad's pick" });
      for (const id of ids) if (!sameSet([id], pick.nodes)) candidates.push({ target: [id], how: `node ${id}` });
      for (const c of candidates) {
        const cur = [...g.share.keys()].sort((a, b) => a - b);
        const memNodes = [...g.mem.keys()];
        if (sameSet(c.target, cur) && memNodes.every((n) => c.target.includes(n))) continue;
        const { next, migrateMiB } = applyMove(state, gi, c.target, map, snap);
        // never trade over-commit for locality: a move may not raise memory or CPU over-commit
        const nc = hostCost(next);
        if (nc.memOver > before.memOver + 1e-6 || nc.cpuOver > before.cpuOver + 1e-6) continue;
        const gain = before.total - nc.total;
        if (gain < MIN_GAIN_MIB || gain < migrateMiB / MIGRATE_PER_GAIN) continue;
        if (!best || gain > best.gain + 1e-9) best = { gi, target: c.target, next, migrateMiB, gain, how: c.how };
      }
    });
    if (!best) break;
    const b: { gi: number; target: number[]; next: HostState; migrateMiB: number; gain: number; how: string } = best;
    const g = state.guests[b.gi] as GuestState;
    const after = hostCost(b.next);
    const fromMem = [...g.mem.entries()].filter(([, m]) => m > 0).map(([n]) => n);
    const from = [...new Set([...fromMem, ...g.share.keys()])].sort((x, y) => x - y);
    const ng = b.next.guests[b.gi] as GuestState;
    moves.push({
      guest: g.id,
      fromNodes: from.length > 0 ? formatCpuList(from) : null,
      toNodes: formatCpuList(b.target),
      toCpus: formatCpuList(cpusOfNodes(snap, b.target)),
      migrateBytes: Math.round(b.migrateMiB * MIB),
      gain: Math.round(b.gain),
      loadAfter: b.next.nodes.map((n) => ({
        node: n.node,
        memUsedPct: n.memTotal > 0 ? r1(100 * n.memUsed / n.memTotal) : 0,
        cpuUsedPct: n.cpuTotal > 0 ? r1(100 * n.cpuUsed / n.cpuTotal) : 0,
      })),
      reason: `${b.how}: remote memory of ${g.id} ${Math.round(guestRemoteMiB(g))} → ${Math.round(guestRemoteMiB(ng))} MiB; `
        + `host memory over-commit ${Math.round(before.memOver)} → ${Math.round(after.memOver)} MiB; `
        + `CPU over ${CPU_TARGET * 100}% target ${Math.round(before.cpuOver)} → ${Math.round(after.cpuOver)} MiB-eq.`,
    });
    state = b.next;
  }
  return moves;
}
