// Owns latency percentiles from QEMU's block latency histograms: the difference of two cumulative
// readings is the distribution of the requests finished in the interval; p50/p90/p99 interpolate
// linearly inside the bin holding the rank (the open last bin gives its lower boundary). Null when
// there is no previous reading, the histogram was (re)set in between (boundaries changed or a bin went
// backwards), or no request finished — never an estimate without a histogram. Pure.

import type { RawLatencyHistogram, RawLatencyHistograms } from '../model/sample.js';
import type { DiskLatencySnap, LatencyPercentilesMs } from '../model/snapshot.js';

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The q-quantile (0..1) of a bin distribution, in ns. */
export function binQuantileNs(boundariesNs: readonly number[], counts: readonly number[], total: number, q: number): number {
  const rank = q * total;
  let before = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] as number;
    if (n > 0 && before + n >= rank) {
      const lo = i === 0 ? 0 : (boundariesNs[i - 1] as number);
      if (i >= boundariesNs.length) return lo;
      const hi = boundariesNs[i] as number;
      return lo + ((hi - lo) * (rank - before)) / n;
    }
    before += n;
  }
  return boundariesNs[boundariesNs.length - 1] ?? 0;
}

const ms = (ns: number): number => Math.round(ns / 1000) / 1000; // ns → ms with µs resolution

/** The bin differences of the histogram being read (reused: one histogram at a time, never kept). */
let diffs = new Float64Array(32);

/**
 * p50, p90 and p99 of the first `len` bin differences in `d` (all ≥ 0, summing to total) in one pass:
 * each is what binQuantileNs gives on the difference array.
 */
function deltaPercentiles(boundariesNs: readonly number[], d: Float64Array, len: number, total: number): LatencyPercentilesMs {
  const last = boundariesNs[boundariesNs.length - 1] ?? 0;
  let p50 = last;
  let p90 = last;
  let p99 = last;
  let k = 0; // quantiles found so far, in order (a later one is never in an earlier bin)
  let rank = 0.5 * total;
  let before = 0;
  for (let i = 0; i < len && k < 3; i++) {
    const n = d[i] as number;
    while (k < 3 && n > 0 && before + n >= rank) {
      const lo = i === 0 ? 0 : (boundariesNs[i - 1] as number);
      const v = i >= boundariesNs.length ? lo : lo + (((boundariesNs[i] as number) - lo) * (rank - before)) / n;
      if (k === 0) { p50 = v; rank = 0.9 * total; } else if (k === 1) { p90 = v; rank = 0.99 * total; } else p99 = v;
      k++;
    }
    before += n;
  }
  return { p50: ms(p50), p90: ms(p90), p99: ms(p99) };
}

export function histogramPercentiles(p: RawLatencyHistogram | null | undefined, c: RawLatencyHistogram | null | undefined): LatencyPercentilesMs | null {
  // a histogram the collector carried over (the same frozen object): no request finished in between
  if (!p || !c || p === c) return null;
  // the boundaries are usually the very same frozen array in both readings (nothing to compare)
  if ((p.boundariesNs !== c.boundariesNs && !sameBoundaries(p.boundariesNs, c.boundariesNs)) || p.bins.length !== c.bins.length) return null;
  const pb = p.bins;
  const cb = c.bins;
  const len = cb.length;
  if (diffs.length < len) diffs = new Float64Array(len);
  const d = diffs;
  let total = 0;
  for (let i = 0; i < len; i++) {
    const x = (cb[i] as number) - (pb[i] as number);
    if (!(x >= 0)) return null;
    d[i] = x;
    total += x;
  }
  if (total === 0) return null;
  return deltaPercentiles(c.boundariesNs, d, len, total);
}

/** No percentiles at all: one frozen object shared by every disk without them (a cgroup device, a first reading). */
export const NO_LATENCY: DiskLatencySnap = Object.freeze({ read: null, write: null, flush: null });

export function latencyPercentiles(p: RawLatencyHistograms | null | undefined, c: RawLatencyHistograms | null | undefined, dtSec: number | null): DiskLatencySnap {
  if (dtSec === null || !p || !c) return NO_LATENCY;
  return { read: histogramPercentiles(p.read, c.read), write: histogramPercentiles(p.write, c.write), flush: histogramPercentiles(p.flush, c.flush) };
}
