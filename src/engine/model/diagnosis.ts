// Owns the Diagnosis types: the answer to "why is this guest slow" (contract section Diagnosis) —
// ranked causes with a share, evidence and a fix, and the noisy neighbours that took the contended
// resource — and the HistoryWindow the pure diagnosis reads (values over a time window, oldest first).

export const DIAGNOSIS_CAUSES = [
  'cpu-contention', 'cpu-quota', 'cpuset-too-small', 'disk-limit', 'disk-contention', 'memory-limit',
  'memory-pressure', 'remote-numa', 'network-limit', 'paused', 'none',
] as const;
export type DiagnosisCause = (typeof DIAGNOSIS_CAUSES)[number];

export const DIAGNOSIS_RESOURCES = ['cpu', 'disk', 'memory', 'network'] as const;
export type DiagnosisResource = (typeof DIAGNOSIS_RESOURCES)[number];

/** The figures that prove a cause (units in the names); null = not known. */
export type Evidence = Record<string, number | string | null>;

export interface CauseFinding {
  cause: DiagnosisCause;
  /** 0..1: the part of the guest's lost CPU time (CPU causes) or of its throughput (others) it explains */
  share: number;
  evidence: Evidence;
  /** a `virtune tune …` / `virtune advise …` command line, or null when no knob helps */
  fix: string | null;
}

export interface Neighbour {
  guest: string;
  name: string;
  resource: DiagnosisResource;
  /** 0..1: the part of the contended resource (where it hurt) this guest took */
  share: number;
  evidence: Evidence;
}

export interface Diagnosis {
  guest: string;
  name: string;
  /** the window asked for, seconds */
  windowSec: number;
  /** the time the samples in the window actually cover, seconds (less while history fills up) */
  coveredSec: number;
  /** samples in the window */
  samples: number;
  /** causes[0].cause, or 'none' when no cause explains 10 % or more */
  verdict: DiagnosisCause;
  /** sorted by share, largest first */
  causes: CauseFinding[];
  /** other guests that took the contended resource, largest share first */
  neighbours: Neighbour[];
}

/** A cause must explain at least this share to be the verdict. */
export const VERDICT_MIN_SHARE = 0.1;

/**
 * Read access to the history over one window (implemented by the engine's History). Values are
 * oldest first, one per sample in the window, NaN = unknown; null when the series does not exist.
 */
export interface HistoryWindow {
  /** samples in the window */
  readonly length: number;
  /** seconds between the first and the last sample in the window (0 with one sample) */
  readonly coveredSec: number;
  /** `into` (of exactly `length` values), when given, is filled and returned instead of a new array */
  series(guest: string | null, metric: string, into?: Float32Array): ArrayLike<number> | null;
  /**
   * Optional (the engine's History has it): the statistics of the known values of samples from..to-1
   * of the window (default: all of it), written into `into` and returned without reading every
   * sample; null when the series does not exist. Without it the diagnosis walks series().
   */
  stats?(guest: string | null, metric: string, into: SeriesStats, from?: number, to?: number): SeriesStats | null;
}

/** Known values of a series over a stretch of a window: how many, their sum, min and max (NaN when none). */
export interface SeriesStats {
  known: number;
  sum: number;
  min: number;
  max: number;
}
