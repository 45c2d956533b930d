// Owns the block summaries of one history series: for every BLOCK consecutive samples (aligned on the
// sample number) the count, sum, min and max of the known values written, in a small ring beside the
// series' own ring. A window's statistics are then read from about window / BLOCK summaries plus the
// samples of its two ragged ends, instead of walking (or copying) every sample of the window: what
// lets the diagnosis of a whole host take window means without re-reading 600 samples per series.
// Values are summarised as the float32 the series ring keeps (summed in float64), so a summary says
// what a walk over the ring would. The History starts a series' sums the first time its statistics are
// asked for (fill() from the ring) and keeps them from then on, so series nobody asks cost nothing.

import type { SeriesStats } from '../model/diagnosis.js';

export const BLOCK = 32;

export class BlockSums {
  private readonly blocks: number;
  /**
   * Per slot, 4 numbers side by side (one cache line): block number × 64 + count of known values
   * (-1: none yet; a slot holding another block counts as empty), sum, min, max.
   */
  private readonly data: Float64Array;

  /** capacity: samples the series ring holds (any window lies within the last `capacity` samples) */
  constructor(capacity: number) {
    // a window of `capacity` samples touches at most capacity / BLOCK + 2 blocks: all held at once
    this.blocks = Math.floor(capacity / BLOCK) + 3;
    this.data = new Float64Array(this.blocks * 4);
    for (let s = 0; s < this.blocks; s++) this.data[s * 4] = -1;
  }

  /** Sample number n got the known value v (already float32, not NaN); each n at most once. */
  put(n: number, v: number): void {
    const b = Math.floor(n / BLOCK);
    const o = (b % this.blocks) * 4;
    const d = this.data;
    const c = (d[o] as number) - b * 64;
    if (c >= 0 && c < 64) {
      d[o] = (d[o] as number) + 1;
      d[o + 1] = (d[o + 1] as number) + v;
      if (v < (d[o + 2] as number)) d[o + 2] = v;
      if (v > (d[o + 3] as number)) d[o + 3] = v;
    } else {
      d[o] = b * 64 + 1;
      d[o + 1] = v;
      d[o + 2] = v;
      d[o + 3] = v;
    }
  }

  /** Summarise the known values of samples lo..hi already in the ring (when the sums start late). */
  fill(values: Float32Array, cap: number, lo: number, hi: number): this {
    for (let n = lo; n <= hi; n++) {
      const v = values[n % cap] as number;
      if (v === v) this.put(n, v);
    }
    return this;
  }

  /**
   * Statistics of the known values of samples lo..hi (absolute sample numbers, inclusive, all still in
   * `values`, the series ring of `cap` slots indexed n % cap), written into `out`. `newest`: the last
   * sample recorded — a stretch that ends there takes its last, unfinished block from the summary too.
   */
  stats(values: Float32Array, cap: number, lo: number, hi: number, newest: number, out: SeriesStats): SeriesStats {
    let known = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    // the samples before the first block boundary, then block summaries: of every whole block, and of
    // the newest block when the stretch ends at the newest sample; then the samples after the last one
    const firstWhole = Math.ceil(lo / BLOCK);
    const toBlock = hi === newest ? Math.floor(hi / BLOCK) + 1 : Math.floor((hi + 1) / BLOCK);
    const blocks = Math.max(0, toBlock - firstWhole);
    const headEnd = blocks > 0 ? firstWhole * BLOCK : hi + 1;
    let slot = lo % cap;
    for (let n = lo; n < headEnd; n++) {
      const v = values[slot] as number;
      if (++slot === cap) slot = 0;
      if (v === v) { known++; sum += v; if (v < min) min = v; if (v > max) max = v; }
    }
    if (blocks > 0) {
      const d = this.data;
      const nb = this.blocks;
      let b = firstWhole;
      let s = b % nb;
      for (let k = 0; k < blocks; k++, b++) {
        const o = s * 4;
        const c = (d[o] as number) - b * 64;
        if (c >= 0 && c < 64) { // else nothing known was written in that block
          known += c;
          sum += d[o + 1] as number;
          const bmin = d[o + 2] as number;
          const bmax = d[o + 3] as number;
          if (bmin < min) min = bmin;
          if (bmax > max) max = bmax;
        }
        if (++s === nb) s = 0;
      }
      const tail = (firstWhole + blocks) * BLOCK;
      slot = tail % cap;
      for (let n = tail; n <= hi; n++) {
        const v = values[slot] as number;
        if (++slot === cap) slot = 0;
        if (v === v) { known++; sum += v; if (v < min) min = v; if (v > max) max = v; }
      }
    }
    out.known = known;
    out.sum = sum;
    out.min = known === 0 ? NaN : min;
    out.max = known === 0 ? NaN : max;
    return out;
  }
}
