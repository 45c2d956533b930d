// Owns the capacity report's shape (`virtune report FILE --json`, and what the HTML report draws):
// percentiles per guest and per NUMA node, headroom, overcommit, a placement answer, and before/after
// percentiles around each recorded tuning change. Pure types.

import type { Advice } from './advice.js';
import type { ReplayEventMark } from './recording.js';

/** nearest-rank percentiles of the known values (null values are not counted); all null when n = 0 */
export interface Percentiles {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface ReportGuest {
  id: string;
  name: string;
  manager: string;
  vcpus: number | null;
  /** configured memory (libvirt / balloon) when known, else the peak resident memory seen */
  memoryBytes: number | null;
  metrics: Record<string, Percentiles>;
}

export interface ReportNode {
  node: number;
  cpus: string;
  cpuCount: number;
  memTotalBytes: number | null;
  metrics: Record<string, Percentiles>;
  /** what is left at the p95 load: CPU in percent of one CPU, memory in bytes; hugepages: fewest free per size (KiB) */
  headroom: { cpuPct: number | null; memBytes: number | null; hugepagesFree: Record<string, number | null> };
}

export interface ReportChange {
  changeId: string;
  guest: string;
  wallMs: number;
  summary: string;
  /** length of each window, seconds (equal before and after) */
  windowSec: number;
  before: Record<string, Percentiles>;
  after: Record<string, Percentiles>;
}

export interface ReportChart {
  title: string;
  unit: string;
  /** wall ms */
  x: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
}

export interface CapacityReport {
  schemaVersion: 1;
  file: string;
  hostname: string | null;
  demo: boolean;
  startWallMs: number;
  endWallMs: number;
  samples: number;
  /** minutes kept only as per-minute aggregates (their percentiles weigh each minute's mean by its samples) */
  downsampledMinutes: number;
  /**
   * `sample`: percentiles over every sample; `minute`: the recording was too long to hold every value,
   * so percentiles are over per-minute means weighted by their sample count (max stays exact)
   */
  resolution: 'sample' | 'minute';
  guests: ReportGuest[];
  nodes: ReportNode[];
  overcommit: {
    vcpus: number; cpus: number | null; vcpuPerCpu: number | null;
    guestMemoryBytes: number; hostMemoryBytes: number | null; memoryRatio: number | null;
  };
  /** `--fit VCPUS:MIB` through the advisor, on the busiest sample of the recording */
  fit: (Advice & { atWallMs: number }) | null;
  changes: ReportChange[];
  events: ReplayEventMark[];
  charts: ReportChart[];
}
