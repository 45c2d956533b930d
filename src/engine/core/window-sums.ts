// Owns the block summaries of one history series: for every BLOCK consecutive samples (aligned on the
// sample number) the count, sum, min and max of the known values written, in a small ring beside the
// series' own ring. A window's statistics are then read from about window / BLOCK summaries plus the
// samples of its two ragged ends, instead of walking (or copying) every sample of the window: what
// lets the diagnosis of a whole host take window means without re-reading 600 samples per series.
// Values are summarised as the float32 the series ring keeps (summed in float64), so a summary says
// what a walk over the ring would.

import type { SeriesStats } from '../model/diagnosis.js';

export const BLOCK = 32;

export class BlockSums {
  private readonly blocks: number;
  /** block number held by each slot (-1: none yet); a slot holding another block counts as empty */
  private readonly tag: Int32Array;
  private readonly count: Uint8Array;
  private readonly sum: Float64Array;
  private readonly min: Float32Array;
  private readonly max: Float32Array;

  /** capacity: samples the series ring holds (any window lies within the last `capacity` samples) */
  constructor(capacity: number) {
    // a window of `capacity` samples touches at most capacity / BLOCK + 2 blocks: all held at once
    this.blocks = Math.floor(capacity / BLOCK) + 3;
    this.tag = new Int32Array(this.blocks).fill(-1);
    this.count = new Uint8Array(this.blocks);
    this.sum = new Float64Array(this.blocks);
    this.min = new Float32Array(this.blocks);
    this.max = new Float32Array(this.blocks);
  }

  /** Sample number n got the known value v (already float32, not NaN); each n at most once. */
  put(n: number, v: number): void {
    const b = Math.floor(n / BLOCK);
    const s = b % this.blocks;
    if (this.tag[s] !== b) {
      this.tag[s] = b;
      this.count[s] = 1;
      this.sum[s] = v;
      this.min[s] = v;
      this.max[s] = v;
      return;
    }
    this.count[s] = (this.count[s] as number) + 1;
    this.sum[s] = (this.sum[s] as number) + v;
    if (v < (this.min[s] as number)) this.min[s] = v;
    if (v > (this.max[s] as number)) this.max[s] = v;
  }

  /**
   * Statistics of the known values of samples lo..hi (absolute sample numbers, inclusive, all still in
   * `values`, the series ring of `cap` slots indexed n % cap), written into `out`.
   */
  stats(values: Float32Array, cap: number, lo: number, hi: number, out: SeriesStats): SeriesStats {
    let known = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    // the samples before the first whole block, the whole blocks from their summaries, the samples after
    const firstWhole = Math.ceil(lo / BLOCK);
    const wholeBlocks = Math.max(0, Math.floor((hi + 1) / BLOCK) - firstWhole);
    const headEnd = wholeBlocks > 0 ? firstWhole * BLOCK : hi + 1;
    let slot = lo % cap;
    for (let n = lo; n < headEnd; n++) {
      const v = values[slot] as number;
      if (++slot === cap) slot = 0;
      if (v === v) { known++; sum += v; if (v < min) min = v; if (v > max) max = v; }
    }
    if (wholeBlocks > 0) {
      const nb = this.blocks;
      let b = firstWhole;
      let s = b % nb;
      for (let k = 0; k < wholeBlocks; k++, b++) {
        if (this.tag[s] === b) { // else nothing known was written in that block
          known += this.count[s] as number;
          sum += this.sum[s] as number;
          const bmin = this.min[s] as number;
          const bmax = this.max[s] as number;
          if (bmin < min) min = bmin;
          if (bmax > max) max = bmax;
        }
        if (++s === nb) s = 0;
      }
      const tail = (firstWhole + wholeBlocks) * BLOCK;
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
