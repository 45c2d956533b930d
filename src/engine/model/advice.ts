// Owns the placement-advice and lint shapes (the contract's advice JSON). Pure types.

export interface AdviceNode {
  node: number;
  freeMemMiB: number;
  freeCpuPct: number;
  score: number;
  chosen: boolean;
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
}

export interface HostMove {
  guest: string;
  fromNodes: string | null;
  toNodes: string;
  migrateBytes: number;
  gain: number;
  loadAfter: Array<{ node: number; memUsedPct: number; cpuUsedPct: number }>;
}

export interface LintFinding {
  rule: string;
  severity: 'info' | 'warning' | 'error';
  guest: string | null;
  message: string;
  suggestion: string | null;
}
