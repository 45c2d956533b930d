// Owns the demo's block latency histograms: requests of a step spread over the bins of a histogram
// as a log-normal around the step's mean latency (σ = 0.5 in ln, so p99 ≈ 2.9 × the median), and
// the block-latency-histogram-set command's arguments as QEMU takes them (`boundaries` for all three,
// `boundaries-read` / `-write` / `-flush` per kind; none at all turns the histograms off).

import type { DiskState, LatencyHistogram } from './state.js';

const SIGMA = 0.5;

/** Φ(x), the standard normal CDF (Abramowitz–Stegun 7.1.26 erf, error < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Add `ops` requests whose mean latency is meanSec to a histogram. */
export function addToHistogram(h: LatencyHistogram, ops: number, meanSec: number): void {
  if (!(ops > 0) || !(meanSec > 0)) return;
  const mu = Math.log(meanSec * 1e9) - (SIGMA * SIGMA) / 2; // the log-normal whose mean is meanSec
  let prev = 0;
  const b = h.boundariesNs;
  for (let i = 0; i < b.length; i++) {
    const c = phi((Math.log(b[i] as number) - mu) / SIGMA);
    h.bins[i] = (h.bins[i] as number) + ops * (c - prev);
    prev = c;
  }
  h.bins[b.length] = (h.bins[b.length] as number) + ops * (1 - prev);
}

function boundaries(v: unknown, what: string): number[] | null {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x <= 0)) {
    throw new Error(`Parameter '${what}' expects a list of positive integers`);
  }
  for (let i = 1; i < v.length; i++) if ((v[i] as number) <= (v[i - 1] as number)) throw new Error(`Parameter '${what}' expects ascending boundaries`);
  return v as number[];
}

const fresh = (b: number[] | null): LatencyHistogram | null => (b === null ? null : { boundariesNs: [...b], bins: new Float64Array(b.length + 1) });

/** block-latency-histogram-set on one disk (throws Error with QEMU's kind of message on bad input). */
export function setHistograms(d: DiskState, args: Record<string, unknown>): void {
  const all = boundaries(args.boundaries, 'boundaries');
  const r = boundaries(args['boundaries-read'], 'boundaries-read') ?? all;
  const w = boundaries(args['boundaries-write'], 'boundaries-write') ?? all;
  const f = boundaries(args['boundaries-flush'], 'boundaries-flush') ?? all;
  d.hist = { read: fresh(r), write: fresh(w), flush: fresh(f) };
}

/** The `*_latency_histogram` fields of a blockstats `stats` object (only the kinds turned on). */
export function histogramStats(d: DiskState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, h: LatencyHistogram | null): void => {
    if (h) out[key] = { boundaries: h.boundariesNs, bins: Array.from(h.bins, (x) => Math.floor(x)) };
  };
  put('rd_latency_histogram', d.hist.read);
  put('wr_latency_histogram', d.hist.write);
  put('flush_latency_histogram', d.hist.flush);
  return out;
}
