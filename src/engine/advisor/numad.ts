// Owns numad's placement algorithm (numad.c 20150602, `pick_numa_nodes` and
// `combined_value_of_weighted_resources`) as pure functions over a node table. Units are numad's:
// CPU in hundredths of a CPU (100 = one CPU), memory in MiB, all arithmetic in integers with C's
// truncating division. Node positions (0..n-1, ascending node id) index distances and per-node arrays,
// as numad assumes node index == node id.

/** One NUMA node as numad sees it after `update_nodes`. */
export interface NodeRow {
  node: number;
  cpus: number[];
  /** hundredths of a CPU */
  cpusTotal: number;
  cpusFree: number;
  /** MiB */
  mbsTotal: number;
  mbsFree: number;
  /** SLIT row of this node: distances[j] = distance from this node to the node at position j */
  distances: number[];
}

/** An existing process (a running guest) whose own resources are added back (numad step 1). */
export interface ExistingProcess {
  /** its resident MiB per node position */
  mbsPerNode: number[];
  /** RSS MiB (numad's MBs_used) */
  mbsUsed: number;
  /** hundredths of a CPU (numad's CPUs_used) */
  cpusUsed: number;
  /** node positions it may allocate memory on (Mems_allowed_list) */
  nodeList: number[];
}

export interface PickOptions {
  /** numad -u, default 85 */
  targetUtilization?: number;
  /** numad -m, default 90 */
  targetMemlocality?: number;
  /** manage_loads passes sum(CPUs_used of candidates) <= sum(CPUs_total); -w passes false */
  assumeEnoughCpus?: boolean;
  /** MBS_MARGIN, 100 MiB per node in numad */
  marginMbs?: number;
}

export interface PickRow {
  node: number;
  mbsFree: number;
  cpusFree: number;
  magnitude: number;
  totmag: number;
}

export interface PickResult {
  /** chosen node ids, ascending (numad prints them in list syntax) */
  nodes: number[];
  /** node ids in the order they were taken */
  taken: number[];
  /** node ids ordered by distance from the start node (ties: higher score) */
  order: number[];
  startNode: number;
  minReqNodes: number;
  cpuFlex: number;
  assumeEnoughCpus: boolean;
  /** per node position, after the add-back, before consumption */
  rows: PickRow[];
  /** the request that remains after consuming every chosen node (≤ 0 = satisfied) */
  unmetMbs: number;
  unmetCpus: number;
  /** numad step 6: an existing process already bound here with enough local memory is left alone */
  leaveAlone: boolean;
  nonlocalPct: number | null;
}

export const MBS_MARGIN = 100;
export const CPUS_MARGIN = 0;

const idiv = (a: number, b: number): number => Math.trunc(a / b);

/** numad's weighted magnitude: (needed_mem×10 + excess_mem×4) × (needed_cpu×6 + excess_cpu×1). */
export function combinedValue(mbs: number, cpus: number, mbsFree: number, cpusFree: number): number {
  const neededMem = mbsFree > mbs ? mbs : mbsFree;
  const excessMem = mbsFree > mbs ? mbsFree - mbs : 0;
  const neededCpu = cpusFree > cpus ? cpus : cpusFree;
  const excessCpu = cpusFree > cpus ? cpusFree - cpus : 0;
  return (neededMem * 10 + excessMem * 4) * (neededCpu * 6 + excessCpu * 1);
}

function dist(rows: readonly NodeRow[], from: number, to: number): number {
  const d = rows[from]?.distances[to];
  if (d !== undefined && Number.isFinite(d) && d > 0) return d;
  return from === to ? 10 : 20;
}

/**
 * numad's selection sort (unstable, with swaps) of node positions by distance from position `ix`,
 * reading `tmp_node[candidate].distance[ix]`; ties go to the strictly higher magnitude.
 */
export function orderByDistance(rows: readonly NodeRow[], magnitude: readonly number[], ix: number): number[] {
  const n = rows.length;
  const index = Array.from({ length: n }, (_, i) => i);
  for (let ij = 0; ij < n; ij++) {
    let best = ij;
    for (let ik = ij + 1; ik < n; ik++) {
      const ikDist = dist(rows, index[ik] as number, ix);
      const bestDist = dist(rows, index[best] as number, ix);
      if (bestDist > ikDist) best = ik;
      else if (bestDist === ikDist && (magnitude[index[best] as number] as number) < (magnitude[index[ik] as number] as number)) best = ik;
    }
    if (best !== ij) {
      const t = index[ij] as number;
      index[ij] = index[best] as number;
      index[best] = t;
    }
  }
  return index;
}

/** `pick_numa_nodes(pid, cpus, mbs, assume_enough_cpus)`; `existing` null = pre-placement advice (-w). */
export function pickNumaNodes(
  table: readonly NodeRow[], cpusReq: number, mbsReq: number,
  existing: ExistingProcess | null, opts: PickOptions = {},
): PickResult {
  const n = table.length;
  if (n === 0) throw new Error('no NUMA nodes');
  const tu = opts.targetUtilization ?? 85;
  const memlocality = opts.targetMemlocality ?? 90;
  const margin = opts.marginMbs ?? MBS_MARGIN;
  let cpus = Math.trunc(cpusReq);
  let mbs = Math.trunc(mbsReq);
  const tmp = table.map((r) => ({ ...r }));
  const allIds = new Set(table.filter((r) => r.mbsTotal >= 1).map((r) => r.node));

  let bound = false;
  let procAvg = 0;
  if (existing) {
    bound = existing.nodeList.length < n;
    procAvg = existing.cpusUsed;
    for (const ix of existing.nodeList) procAvg += table[ix]?.cpusFree ?? 0;
    procAvg = existing.nodeList.length > 0 ? idiv(procAvg, existing.nodeList.length) : 0;
  }
  let sumCpusFree = 0;
  const magnitude: number[] = [];
  for (let ix = 0; ix < n; ix++) {
    const t = tmp[ix] as NodeRow;
    if (existing) {
      const pm = existing.mbsPerNode[ix] ?? 0;
      if (!bound) {
        t.mbsFree += idiv(pm * 17, 16);
        if (existing.mbsUsed > 0) t.cpusFree += idiv(existing.cpusUsed * pm, existing.mbsUsed);
      } else {
        t.mbsFree += idiv(pm * 5, 4);
        if (existing.nodeList.includes(ix)) t.cpusFree = procAvg;
      }
      sumCpusFree += t.cpusFree;
      if (t.cpusFree > t.cpusTotal) t.cpusFree = t.cpusTotal;
      if (t.mbsFree > t.mbsTotal) t.mbsFree = t.mbsTotal;
    }
    if (t.cpusFree < 1) t.cpusFree = 1;
    magnitude.push(combinedValue(mbs, cpus, t.mbsFree, t.cpusFree));
  }
  const rows: PickRow[] = tmp.map((t, ix) => ({
    node: t.node, mbsFree: t.mbsFree, cpusFree: t.cpusFree, magnitude: magnitude[ix] as number, totmag: 0,
  }));

  let assume = opts.assumeEnoughCpus ?? false;
  if (existing && cpus > sumCpusFree) assume = true;
  const node0 = table[0] as NodeRow;
  const cpuFlex = existing && tu < 100 ? idiv((100 - tu) * node0.cpusTotal, 200) : 0;
  const ceilDiv = (a: number, b: number): number => (b > 0 ? Math.ceil(a / b) : a > 0 ? n : 0);
  let minReq = Math.max(ceilDiv(mbs, node0.mbsTotal), ceilDiv(cpus - cpuFlex, node0.cpusTotal));
  if (minReq > n) minReq = n;
  const minReqNodes = minReq;

  // distance-weighted magnitude of the min_req_nodes closest nodes, for every start node
  let bestIx = 0;
  const totmag: number[] = [];
  for (let ix = 0; ix < n; ix++) {
    const index = orderByDistance(tmp, magnitude, ix);
    let sum = 0;
    for (let ij = 0; ij < minReq; ij++) {
      const d = dist(tmp, index[ij] as number, ix);
      sum += Math.trunc((magnitude[index[ij] as number] as number) / (d * d));
    }
    totmag.push(sum);
    (rows[ix] as PickRow).totmag = sum;
  }
  for (let ix = 0; ix < n; ix++) if ((totmag[bestIx] as number) < (totmag[ix] as number)) bestIx = ix;
  const order = orderByDistance(tmp, magnitude, bestIx);

  // grow from the start node until the request is met
  const target: number[] = [];
  let k = 0;
  while (minReq > 0 || mbs > 0 || (cpus > cpuFlex && !assume)) {
    if (k >= n) break;
    const pos = order[k] as number;
    const t = tmp[pos] as NodeRow;
    target.push(pos);
    minReq -= 1;
    if (target.length === allIds.size && target.every((p) => allIds.has((tmp[p] as NodeRow).node))) break;
    if (t.mbsFree >= mbs + margin) { t.mbsFree -= mbs; mbs = 0; } else { mbs -= t.mbsFree - margin; t.mbsFree = margin; }
    if (t.cpusFree >= cpus + CPUS_MARGIN) { t.cpusFree -= cpus; cpus = 0; } else { cpus -= t.cpusFree - CPUS_MARGIN; t.cpusFree = CPUS_MARGIN; }
    k += 1;
  }
  if (!existing && target.length === 0) target.push(0);

  // what is left of the request after every chosen node gives what it has (for fits / reason)
  let unmetMbs = Math.trunc(mbsReq);
  let unmetCpus = Math.trunc(cpusReq);
  for (const pos of target) {
    const r = rows[pos] as PickRow;
    unmetMbs -= Math.max(0, r.mbsFree - margin);
    unmetCpus -= Math.max(0, r.cpusFree - CPUS_MARGIN);
  }

  let leaveAlone = false;
  let nonlocalPct: number | null = null;
  if (existing) {
    let nonlocal = 0;
    for (let ix = 0; ix < n; ix++) if (!target.includes(ix)) nonlocal += existing.mbsPerNode[ix] ?? 0;
    nonlocalPct = existing.mbsUsed > 0 ? idiv(100 * nonlocal, existing.mbsUsed) : 0;
    const same = target.length === existing.nodeList.length && target.every((p) => existing.nodeList.includes(p));
    leaveAlone = nonlocalPct <= 100 - memlocality && bound && same;
  }
  const ids = (ps: number[]): number[] => ps.map((p) => (tmp[p] as NodeRow).node);
  return {
    nodes: ids(target).sort((a, b) => a - b),
    taken: ids(target),
    order: ids(order),
    startNode: (tmp[bestIx] as NodeRow).node,
    minReqNodes,
    cpuFlex,
    assumeEnoughCpus: assume,
    rows,
    unmetMbs,
    unmetCpus,
    leaveAlone,
    nonlocalPct,
  };
}
