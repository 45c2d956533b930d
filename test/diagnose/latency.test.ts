// QEMU block latency histograms: blockstats parsing, the boundaries virtune sets, and the interval
// percentiles derive() computes from two cumulative readings (null without histograms, never estimated).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LATENCY_BOUNDARIES_NS, parseBlockstats } from '../../src/collector/qmp/parse.js';
import { binQuantileNs, histogramPercentiles, latencyPercentiles } from '../../src/engine/core/latency.js';

describe('block latency histograms', () => {
  it('parses rd/wr/flush histograms from query-blockstats; a disk without them has none', () => {
    const [a, b] = parseBlockstats([
      { device: 'disk0', stats: { rd_operations: 5, rd_latency_histogram: { boundaries: [1000, 2000], bins: [1, 3, 1] }, wr_latency_histogram: { boundaries: [1000], bins: [1] } } },
      { device: 'disk1', stats: { rd_operations: 5 } },
    ]);
    expect(a?.latencyHistograms).toEqual({ read: { boundariesNs: [1000, 2000], bins: [1, 3, 1] }, write: null, flush: null }); // bins must be one longer
    expect(b?.latencyHistograms).toBeNull();
  });

  it('boundaries are 1-2-5 steps from 10 µs to 10 s', () => {
    expect(LATENCY_BOUNDARIES_NS.slice(0, 4)).toEqual([1e4, 2e4, 5e4, 1e5]);
    expect(LATENCY_BOUNDARIES_NS.at(-1)).toBe(1e10);
    expect([...LATENCY_BOUNDARIES_NS].sort((x, y) => x - y)).toEqual(LATENCY_BOUNDARIES_NS);
  });

  it('percentiles of the requests of the interval, interpolated inside the bin; the open bin gives its lower edge', () => {
    const b = [1e6, 2e6, 5e6];                          // 1 ms, 2 ms, 5 ms
    const prev = { boundariesNs: b, bins: [100, 0, 0, 0] };
    const cur = { boundariesNs: b, bins: [100, 50, 40, 10] }; // this interval: 50 in [1,2) ms, 40 in [2,5), 10 ≥ 5
    expect(histogramPercentiles(prev, cur)).toEqual({ p50: 2, p90: 5, p99: 5 });
    const cur2 = { boundariesNs: b, bins: [200, 60, 0, 0] };  // 100 in [0,1), 60 in [1,2)
    const p = histogramPercentiles(prev, cur2);
    expect(p?.p50).toBeCloseTo(0.8, 6);                   // rank 80 of 160, inside [0, 1 ms)
    expect(p?.p90).toBeCloseTo(1 + 44 / 60, 3);           // rank 144: 44 into the [1, 2) bin of 60
    expect((p?.p50 as number) <= (p?.p90 as number) && (p?.p90 as number) <= (p?.p99 as number)).toBe(true);
  });

  it('null without a previous reading, after a reset (a bin went back), with changed boundaries, or with no request', () => {
    const h = (bins: number[], b = [1e6]) => ({ boundariesNs: b, bins });
    expect(histogramPercentiles(null, h([1, 1]))).toBeNull();
    expect(histogramPercentiles(h([5, 5]), h([1, 6]))).toBeNull();
    expect(histogramPercentiles(h([1, 1], [1e6]), h([2, 2], [2e6]))).toBeNull();
    expect(histogramPercentiles(h([3, 3]), h([3, 3]))).toBeNull();
    expect(latencyPercentiles(null, null, 1)).toEqual({ read: null, write: null, flush: null });
    expect(latencyPercentiles({ read: h([0, 0]), write: null, flush: null }, { read: h([4, 0]), write: null, flush: null }, null)).toEqual({ read: null, write: null, flush: null });
  });

  it('a histogram carried over as the same object has no requests in the interval: null, as for equal readings', () => {
    const h = Object.freeze({ boundariesNs: [1e6], bins: [4, 2] });
    expect(histogramPercentiles(h, h)).toBeNull();
    expect(histogramPercentiles(h, { boundariesNs: [1e6], bins: [4, 2] })).toBeNull();
    expect(latencyPercentiles({ read: h, write: null, flush: null }, { read: h, write: null, flush: null }, 1)).toEqual({ read: null, write: null, flush: null });
  });

  it('a long histogram read before a short one leaves nothing behind (the bin differences are per call)', () => {
    const long = (k: number) => ({ boundariesNs: Array.from({ length: 39 }, (_, i) => (i + 1) * 1e6), bins: Array.from({ length: 40 }, () => k) });
    expect(histogramPercentiles(long(0), long(5))?.p99).toBe(39); // rank 198 of 200: the open last bin, from 39 ms
    const b = [1e6, 2e6];
    expect(histogramPercentiles({ boundariesNs: b, bins: [0, 0, 0] }, { boundariesNs: b, bins: [10, 0, 0] })).toEqual({ p50: 0.5, p90: 0.9, p99: 0.99 });
  });

  it('the one-pass percentiles equal the quantiles of the difference array, for any two readings', () => {
    const ms = (ns: number): number => Math.round(ns / 1000) / 1000;
    const reading = fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 2, maxLength: 24 });
    fc.assert(fc.property(reading, fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 24, maxLength: 24 }), (base, grow) => {
      const boundariesNs = base.slice(1).map((_, i) => (i + 1) * 10_000);
      const prev = { boundariesNs, bins: base };
      const cur = { boundariesNs: [...boundariesNs], bins: base.map((x, i) => x + (grow[i] as number)) };
      const d = cur.bins.map((x, i) => x - (prev.bins[i] as number));
      const total = d.reduce((a, b) => a + b, 0);
      const want = total === 0 ? null : {
        p50: ms(binQuantileNs(boundariesNs, d, total, 0.5)),
        p90: ms(binQuantileNs(boundariesNs, d, total, 0.9)),
        p99: ms(binQuantileNs(boundariesNs, d, total, 0.99)),
      };
      expect(histogramPercentiles(prev, cur)).toEqual(want);
    }), { numRuns: 300 });
  });
});
