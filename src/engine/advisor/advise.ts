// Owns single-placement advice: `advise --need VCPUS:MIB` (numad -w) and `advise GUEST` (numad's
// evaluation of a running process: its own memory and CPU added back, request sized from its use),
// turned into the contract's Advice JSON with the numbers behind the choice and a reason.

import { formatCpuList } from '../model/cpulist.js';
import type { Advice, AdviceNode } from '../model/advice.js';
import type { RawGuest, RawSample } from '../model/sample.js';
import type { GuestSnap, Snapshot } from '../model/snapshot.js';
import { pickNumaNodes, type ExistingProcess, type PickResult } from './numad.js';
import {
  MIB, buildNodeTable, cpusOfNodes, cpuMeasured, findGuest, isRunning, rawGuestMap, safeList,
  type HugepageSize, type NodeTable, type TableOptions,
} from './topology.js';

export const TARGET_UTILIZATION = 85;
/** numad's candidate thresholds: RSS > 300 MiB and CPU > 50 (half a CPU) */
export const MEMORY_THRESHOLD_MIB = 300;
export const CPU_THRESHOLD = 50;

const cpuStr = (h: number): string => (h / 100).toFixed(2);

function adviceNodes(table: NodeTable, pick: PickResult): AdviceNode[] {
  const start = table.rows.findIndex((r) => r.node === pick.startNode);
  return pick.rows.map((r, ix) => ({
    node: r.node,
    freeMemMiB: r.mbsFree,
    freeCpuPct: r.cpusFree,
    score: r.magnitude,
    chosen: pick.nodes.includes(r.node),
    distance: table.rows[ix]?.distances[start] ?? null,
  }));
}

function describe(table: NodeTable, pick: PickResult, cpus: number, mbs: number, cpuRequired: boolean,
  what: string): { fits: boolean; reason: string; memFits: boolean } {
  const chosen = formatCpuList(pick.nodes);
  const memFits = pick.unmetMbs <= 0;
  const cpuFits = !cpuRequired || pick.unmetCpus <= 0;
  const unit = table.pageMiB === null ? 'MiB free (MemFree + Inactive(file), less a 100 MiB margin per node)'
    : `MiB of free ${table.pageMiB === 1024 ? '1G' : '2M'} hugepages`;
  const cpuNote = table.cpuSource === 'vcpus' ? ' (free CPU estimated from the pinned vCPUs of running guests: no measured interval)' : '';
  if (!memFits) {
    const avail = pick.rows.reduce((a, r) => a + Math.max(0, r.mbsFree - (table.pageMiB === null ? 100 : 0)), 0);
    return { fits: false, memFits, reason: `${what}: memory does not fit: needs ${mbs} MiB, all nodes together have ${avail} ${unit}` };
  }
  if (!cpuFits) {
    const avail = pick.nodes.reduce((a, id) => a + (pick.rows.find((r) => r.node === id)?.cpusFree ?? 0), 0);
    return { fits: false, memFits, reason: `${what}: CPU does not fit: needs ${cpuStr(cpus)} CPUs, node(s) ${chosen} have ${cpuStr(avail)} CPUs free${cpuNote}; least-bad nodeset ${chosen}` };
  }
  const grow = pick.nodes.length > 1 ? `, grown by distance from node ${pick.startNode} (order ${pick.order.join(',')})` : '';
  return {
    fits: true, memFits,
    reason: `${what}: fits on node(s) ${chosen}: start node ${pick.startNode} has the highest distance-weighted score; `
      + `${pick.minReqNodes} node(s) needed at minimum${grow}${cpuNote}`,
  };
}

/** Parse `VCPUS[:MIB]` as numad -w does: VCPUS with up to two decimals (×100), MIB an integer. */
export function parseNeed(text: string): { vcpus: number; memMiB: number; cpus: number } {
  const m = /^(\d+)(?:\.(\d*))?(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`--need: '${text}' is not VCPUS:MIB (e.g. 4:8192 or 1.5:512)`);
  const frac = (m[2] ?? '').slice(0, 2).padEnd(2, '0');
  const cpus = Number(m[1]) * 100 + Number(frac);
  const memMiB = m[3] === undefined ? 0 : Number(m[3]);
  if (!Number.isSafeInteger(cpus) || cpus > 100_000_000 || !Number.isSafeInteger(memMiB) || memMiB > 2 ** 31 - 1) {
    throw new Error(`--need: '${text}' is out of range`);
  }
  return { vcpus: cpus / 100, memMiB, cpus };
}

/** `numad -w`: pre-placement advice for a need. */
export function adviseNeed(snap: Snapshot, raw: RawSample | null, need: { vcpus: number; memMiB: number },
  opts: TableOptions = {}): Advice {
  const table = buildNodeTable(snap, raw, opts);
  const cpus = Math.round(need.vcpus * 100);
  let mbs = Math.trunc(need.memMiB);
  if (table.pageMiB !== null) mbs = Math.ceil(mbs / table.pageMiB) * table.pageMiB;
  const pick = pickNumaNodes(table.rows, cpus, mbs, null, {
    assumeEnoughCpus: false, marginMbs: table.pageMiB === null ? 100 : 0,
  });
  const d = describe(table, pick, cpus, mbs, true, `need ${cpuStr(cpus)} CPUs, ${mbs} MiB${opts.hugepages ? ` of ${opts.hugepages} hugepages` : ''}`);
  const nodeset = d.memFits ? formatCpuList(pick.nodes) : null;
  return {
    need: { vcpus: need.vcpus, memMiB: need.memMiB },
    nodeset,
    cpus: nodeset === null ? null : formatCpuList(cpusOfNodes(snap, pick.nodes)),
    nodes: adviceNodes(table, pick),
    fits: d.fits,
    reason: d.reason,
    migrateBytes: null,
    guest: null,
    hugepages: opts.hugepages ?? null,
    cpuSource: table.cpuSource,
    startNode: pick.startNode,
    minNodes: pick.minReqNodes,
  };
}

/** A running guest as numad's process record: per-node MiB, RSS MiB, CPU used, Mems_allowed. */
export interface GuestModel {
  guest: GuestSnap;
  existing: ExistingProcess;
  vcpus: number;
  /** configured memory MiB when known (numad uses vsize) */
  sizeMiB: number | null;
  /** numad's request sizing */
  cpuRequest: number;
  mbRequest: number;
  bound: boolean;
}

export function guestModel(g: GuestSnap, raw: RawGuest | null, table: NodeTable, snap: Snapshot): GuestModel {
  const ids = table.rows.map((r) => r.node);
  const perNode = ids.map((id) => Math.floor((g.memory.perNodeBytes?.[String(id)] ?? 0) / MIB));
  const perNodeSum = perNode.reduce((a, b) => a + b, 0);
  const rss = g.memory.rssBytes ?? g.memory.currentBytes;
  const mbsUsed = rss !== null ? Math.floor(rss / MIB) : perNodeSum;
  const vcpus = Math.max(1, g.vcpus.length, raw?.smp ?? 0);
  const measured = cpuMeasured(snap) && g.cpu.usagePct !== null;
  const cpusUsed = measured ? Math.trunc(g.cpu.usagePct as number) : vcpus * 100;
  const mems = safeList(g.memory.mems);
  const nodeList = mems && mems.length > 0
    ? ids.map((id, ix) => (mems.includes(id) ? ix : -1)).filter((ix) => ix >= 0)
    : ids.map((_, ix) => ix);
  const backendSum = raw?.memory.backends?.reduce((a, b) => a + (b.sizeBytes ?? 0), 0) ?? 0;
  const sizeMiB = backendSum > 0 ? Math.floor(backendSum / MIB) : null;
  const node0Total = table.rows[0]?.mbsTotal ?? 0;
  const memUtil = Math.min(TARGET_UTILIZATION, 100);
  const mbRequest = sizeMiB !== null && sizeMiB > node0Total && Math.trunc(mbsUsed * 5 / 4) > node0Total
    ? Math.trunc(sizeMiB * 100 / memUtil)
    : Math.trunc(mbsUsed * 100 / memUtil);
  const cpuRequest = Math.min(Math.trunc(cpusUsed * 100 / TARGET_UTILIZATION), vcpus * 100);
  return {
    guest: g, vcpus, sizeMiB, cpuRequest, mbRequest, bound: nodeList.length < ids.length,
    existing: { mbsPerNode: perNode, mbsUsed, cpusUsed, nodeList },
  };
}

/** manage_loads: assume enough CPUs unless the candidate processes use more CPU than the host has. */
export function assumeEnoughCpus(snap: Snapshot, raw: RawSample | null, table: NodeTable): boolean {
  const raws = rawGuestMap(raw);
  let used = 0;
  for (const g of snap.guests) {
    if (!isRunning(g)) continue;
    const m = guestModel(g, raws.get(g.id) ?? null, table, snap);
    if (m.existing.cpusUsed > CPU_THRESHOLD && m.existing.mbsUsed > MEMORY_THRESHOLD_MIB) used += m.existing.cpusUsed;
  }
  return used <= table.rows.reduce((a, r) => a + r.cpusTotal, 0);
}

/** Resident bytes of the guest on nodes outside `nodes` (what a move there migrates). */
export function migrateBytesTo(g: GuestSnap, nodes: readonly number[]): number | null {
  const per = g.memory.perNodeBytes;
  if (!per) return null;
  let sum = 0;
  for (const [k, v] of Object.entries(per)) if (!nodes.includes(Number(k))) sum += v;
  return sum;
}

/** numad's evaluation of a running guest. */
export function adviseGuest(snap: Snapshot, raw: RawSample | null, key: string,
  opts: { hugepages?: HugepageSize | null } = {}): Advice {
  const g = findGuest(snap, key);
  const rg = rawGuestMap(raw).get(g.id) ?? null;
  const table = buildNodeTable(snap, raw, opts);
  const m = guestModel(g, rg, table, snap);
  const assume = assumeEnoughCpus(snap, raw, table);
  const pick = pickNumaNodes(table.rows, m.cpuRequest, m.mbRequest, m.existing, {
    assumeEnoughCpus: assume, marginMbs: table.pageMiB === null ? 100 : 0,
  });
  const what = `${g.id} (${m.vcpus} vCPUs, ${cpuStr(m.existing.cpusUsed)} CPUs used, ${m.existing.mbsUsed} MiB resident; `
    + `request ${cpuStr(m.cpuRequest)} CPUs, ${m.mbRequest} MiB at ${TARGET_UTILIZATION}% target; `
    + `${m.bound ? 'bound: own memory added back ×5/4' : 'unbound: own memory added back ×17/16, CPU in proportion'})`;
  const d = describe(table, pick, m.cpuRequest, m.mbRequest, !pick.assumeEnoughCpus, what);
  let reason = d.reason;
  let nodes = pick.nodes;
  if (pick.leaveAlone) {
    nodes = m.existing.nodeList.map((ix) => table.rows[ix]?.node ?? ix);
    reason = `${what}: already bound to node(s) ${formatCpuList(nodes)} with ${pick.nonlocalPct}% non-local memory `
      + `(≤ ${100 - 90}%): numad leaves it where it is`;
  }
  if (g.memory.perNodeBytes === null) reason += '; its memory per node is not known (numa_maps not read yet): migrateBytes unknown';
  const nodeset = d.memFits ? formatCpuList(nodes) : null;
  return {
    need: { vcpus: m.vcpus, memMiB: m.existing.mbsUsed },
    nodeset,
    cpus: nodeset === null ? null : formatCpuList(cpusOfNodes(snap, nodes)),
    nodes: adviceNodes(table, pick).map((n) => ({ ...n, chosen: nodes.includes(n.node) })),
    fits: d.fits,
    reason,
    migrateBytes: nodeset === null ? null : pick.leaveAlone ? 0 : migrateBytesTo(g, nodes),
    guest: g.id,
    hugepages: opts.hugepages ?? null,
    cpuSource: table.cpuSource,
    startNode: pick.startNode,
    minNodes: pick.minReqNodes,
    request: { cpuPct: m.cpuRequest, memMiB: m.mbRequest },
    currentNodeset: g.memory.mems,
  };
}
