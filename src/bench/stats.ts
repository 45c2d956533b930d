// Owns the benchmark statistics: timing a function over warm-up and measured runs, and reducing the
// measured durations to median, p95, min and max. No I/O of its own.

export interface Stat {
  /** number of measured runs */
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of an ascending list (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  const i = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[i] as number;
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(values: readonly number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    median: median(s),
    p95: percentile(s, 95),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
  };
}

/** Divide every figure of a Stat (e.g. per guest, per file). */
export function scale(st: Stat, divisor: number): Stat {
  return { n: st.n, median: st.median / divisor, p95: st.p95 / divisor, min: st.min / divisor, max: st.max / divisor };
}

export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

export interface RepeatOptions {
  warmup: number;
  runs: number;
  /** called before each run, outside the timed section (e.g. advance the demo host) */
  before?: () => void | Promise<void>;
}

/** Time fn over `warmup` discarded runs and `runs` measured runs; durations in µs. */
export async function timeRuns(fn: () => unknown, opts: RepeatOptions): Promise<Stat> {
  const out: number[] = [];
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    if (opts.before) await opts.before();
    const t0 = nowUs();
    const r = fn();
    if (r instanceof Promise) await r;
    const dt = nowUs() - t0;
    if (i >= opts.warmup) out.push(dt);
  }
  return summarize(out);
}

/** Round for display and JSON: 3 significant decimals is plenty for µs figures. */
export function round(x: number | null, digits = 3): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
