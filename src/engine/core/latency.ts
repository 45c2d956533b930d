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

export function histogramPercentiles(p: RawLatencyHistogram | null | undefined, c: RawLatencyHistogram | null | undefined): LatencyPercentilesMs | null {
  if (!p || !c || !sameBoundaries(p.boundariesNs, c.boundariesNs) || p.bins.length !== c.bins.length) return null;
  const d = new Array<number>(c.bins.length);
  let total = 0;
  for (let i = 0; i < c.bins.length; i++) {
    const x = (c.bins[i] as number) - (p.bins[i] as number);
    if (!(x >= 0)) return null;
    d[i] = x;
    total += x;
  }
  if (total === 0) return null;
  return {
    p50: ms(binQuantileNs(c.boundariesNs, d, total, 0.5)),
    p90: ms(binQuantileNs(c.boundariesNs, d, total, 0.9)),
    p99: ms(binQuantileNs(c.boundariesNs, d, total, 0.99)),
  };
}

export function latencyPercentiles(p: RawLatencyHistograms | null | undefined, c: RawLatencyHistograms | null | undefined, dtSec: number | null): DiskLatencySnap {
  if (dtSec === null || !p || !c) return { read: null, write: null, flush: null };
  return { read: histogramPercentiles(p.read, c.read), write: histogramPercentiles(p.write, c.write), flush: histogramPercentiles(p.flush, c.flush) };
}
