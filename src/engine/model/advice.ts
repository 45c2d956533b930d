// Owns the placement-advice and lint shapes (the contract's advice JSON). Pure types.
// Contract fields (need, nodeset, cpus, nodes[] {node, freeMemMiB, freeCpuPct, score, chosen}, fits,
// reason, migrateBytes) keep their names; the rest are additions that explain the answer.
// Units: freeCpuPct is percent of one CPU (= numad's hundredths of a CPU); memory in MiB.

export interface AdviceNode {
  node: number;
  /** numad's free memory: MemFree + Inactive(file) (or free hugepages), after adding back a guest's own */
  freeMemMiB: number;
  /** free CPU, percent of one CPU (numad's hundredths of a CPU), after add-back, at least 1 */
  freeCpuPct: number;
  /** numad's weighted magnitude: (needed_mem×10 + excess_mem×4) × (needed_cpu×6 + excess_cpu×1) */
  score: number;
  chosen: boolean;
  /** distance from the start node */
  distance?: number | null;
}

export interface AdviceRequest {
  /** an existing guest, or a need */
  guest?: string;
  need?: { vcpus: number; memMiB: number };
  hugepages?: '2M' | '1G' | null;
  host?: boolean;
}

export interface Advice {
  need: { vcpus: number; memMiB: number };
  nodeset: string | null;
  cpus: string | null;
  nodes: AdviceNode[];
  fits: boolean;
  reason: string;
  migrateBytes: number | null;
  guest?: string | null;
  /** the hugepage size the memory must come from, when asked */
  hugepages?: '2M' | '1G' | null;
  /** where free CPU came from: 'measured' (per-CPU idle deltas) or 'vcpus' (pinned vCPUs of running guests) */
  cpuSource?: 'measured' | 'vcpus';
  /** the node numad starts growing from (highest distance-weighted score) */
  startNode?: number;
  /** numad's minimum node count */
  minNodes?: number;
  /** for a guest: numad's request sizing (CPU in percent of one CPU, memory MiB) */
  request?: { cpuPct: number; memMiB: number };
  /** for a guest: its current cpuset.mems */
  currentNodeset?: string | null;
}

export interface HostMove {
  guest: string;
  fromNodes: string | null;
  toNodes: string;
  /** the CPUs of toNodes (the cpuset the move sets) */
  toCpus?: string;
  migrateBytes: number;
  /** host cost reduction in MiB-equivalents (see src/engine/advisor/host-plan.ts) */
  gain: number;
  loadAfter: Array<{ node: number; memUsedPct: number; cpuUsedPct: number }>;
  reason?: string;
}

export interface LintFinding {
  rule: string;
  severity: 'info' | 'warning' | 'error';
  guest: string | null;
  message: string;
  suggestion: string | null;
}
