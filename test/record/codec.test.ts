// The block codec of recordings: any sequence of JSON samples comes back exactly (property test over
// random trees that change shape, type and value between samples), counters become small deltas, and a
// damaged token list is refused instead of decoding into wrong numbers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockBuilder, decodeBlock } from '../../src/engine/record/codec.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import { rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';

const json = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' },
    fc.integer({ min: -1e6, max: 1e6 }), fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    fc.integer({ min: -1e12, max: 1e12 }).map((x) => x / 1e5), fc.integer({ min: -1e6, max: 1e6 }).map((x) => x / 1000),
    fc.constantFrom(null, true, false, 'a', 'b', 'max', Number.MAX_SAFE_INTEGER),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('node'), { maxKeys: 4 })),
})).node;

function roundTrip(samples: unknown[]): unknown[] {
  const b = new BlockBuilder();
  for (const s of samples) b.add(s as RawSample);
  return decodeBlock(b.take());
}

describe('recording block codec', () => {
  it('gives back every sample exactly, whatever changes between samples (property)', () => {
    fc.assert(fc.property(fc.array(fc.record({ guests: fc.constant([]), x: json, y: json }), { minLength: 1, maxLength: 6 }), (samples) => {
      expect(roundTrip(samples)).toEqual(JSON.parse(JSON.stringify(samples)));
    }), { numRuns: 400 });
  });

  it('a container whose first child is replaced decodes right (the [v, 0] ambiguity)', () => {
    const a = { guests: [], l: [{ p: [1, 2] }, 3], o: { q: { r: 1 }, s: 2 } };
    const b = { guests: [], l: [{ p: [1, 2, 3] }, 4], o: { q: { r: 1, t: 2 }, s: 2 } };
    const c = { guests: [], l: [[], 4], o: { q: null, s: 5 } };
    expect(roundTrip([a, b, c, a])).toEqual([a, b, c, a]);
  });

  it('turns counters into deltas and stores only the leaves that change', () => {
    const g1 = rawGuest('qemu:a');
    const s1 = rawSample(1000, rawHost(), [g1]);
    const s2 = JSON.parse(JSON.stringify(s1)) as RawSample;
    s2.monoMs = 2000; s2.wallMs = s1.wallMs + 1000;
    const s3 = JSON.parse(JSON.stringify(s2)) as RawSample;
    s3.monoMs = 3000; s3.wallMs = s2.wallMs + 1000;
    const b = new BlockBuilder();
    for (const s of [s1, s2, s3]) b.add(s);
    const text = b.take();
    const seg = (JSON.parse(text) as { s: Array<{ n: number; c: unknown[][] }> }).s;
    expect(seg).toHaveLength(1);
    expect(seg[0]!.n).toBe(2);
    // monoMs and wallMs, nothing else: a step of 1000, then the same step again (0 more than the last)
    expect(seg[0]!.c).toEqual([[1000, 0], [1000, 0]]);
    expect(decodeBlock(text)).toEqual([s1, s2, s3]);
  });

  it('starts a new segment when the shape changes, and shares unchanged subtrees when decoding', () => {
    const a = { guests: [], host: { x: 1, deep: { y: [1, 2, 3] } } };
    const b = { guests: [{ id: 'g' }], host: { x: 2, deep: { y: [1, 2, 3] } } };
    const c = { guests: [{ id: 'g' }], host: { x: 3, deep: { y: [1, 2, 3] } } };
    const bb = new BlockBuilder();
    for (const s of [a, b, c]) bb.add(s as unknown as RawSample);
    const text = bb.take();
    expect((JSON.parse(text) as { s: unknown[] }).s).toHaveLength(2);
    const out = decodeBlock(text) as unknown as Array<typeof a>;
    expect(out).toEqual([a, b, c]);
    expect(out[2]!.host.deep).toBe(out[1]!.host.deep);
    expect(out[2]!.host).not.toBe(out[1]!.host);
  });

  it('skips a frozen part carried over as the same object, and still sees a new one', () => {
    const k = Object.freeze([10, 20, 30]);
    const s = (x: number, arr: readonly number[]) => ({ guests: [], x, h: { b: arr } });
    const samples = [s(1, k), s(2, k), s(3, Object.freeze([10, 20, 31])), s(4, [10, 20, 32]), s(5, [10, 20, 33])];
    expect(roundTrip(samples)).toEqual(JSON.parse(JSON.stringify(samples)));
  });

  it('stores same-shaped samples as columns, also across jumps too big for a difference', () => {
    const xs = [0, 2 ** 52, -(2 ** 52), 2 ** 53 - 1, -(2 ** 53 - 1), 5, 5, 7];
    const samples = xs.map((x, i) => ({ guests: [], c: x, f: i / 3, s: i % 2 ? 'a' : 'b' }));
    const b = new BlockBuilder();
    for (const s of samples) b.add(s as unknown as RawSample);
    const text = b.take();
    expect((JSON.parse(text) as { s: unknown[] }).s).toHaveLength(1);
    expect(decodeBlock(text)).toEqual(samples);
  });

  it('stores decimals (times in ms with a fraction) as exact integer steps', () => {
    const xs = [2605.88908, 3605.91234, 4606.0001, 5605.9, 6606, -0.5, 0.1 + 0.2, 1e21, 5e-7, 123456789.123456, 7.25, 7.25];
    const samples = xs.map((x, i) => ({ guests: [], t: x, i }));
    const b = new BlockBuilder();
    for (const s of samples) b.add(s as unknown as RawSample);
    const text = b.take();
    const col = (JSON.parse(text) as { s: Array<{ c: unknown[][] }> }).s[0]!.c[0]!;
    expect(col[0]).toBe('e6'); // the most fractional digits among its numbers that fit (0.1 + 0.2 has 17: a literal)
    expect(col[1]).toBe(1000023260); // 3605.91234 - 2605.88908 in millionths
    const back = decodeBlock(text) as unknown as typeof samples;
    expect(back.map((x) => x.t)).toEqual(xs);
    expect(back.every((x, i) => Object.is(x.t, xs[i]))).toBe(true);
  });

  it('one builder gives back every block exactly, segments of a block and blocks after it included (property)', () => {
    // a sample whose shape differs deep inside, after leaves that changed, starts the next segment: what
    // the failed walk saw must not leak into the segment before; the builder is reused block after block
    fc.assert(fc.property(fc.array(fc.array(fc.record({ guests: fc.constant([]), a: fc.integer(), x: json, h: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }), (blocks) => {
      const b = new BlockBuilder();
      for (const samples of blocks) {
        for (const s of samples) b.add(s as unknown as RawSample);
        expect(decodeBlock(b.take())).toEqual(JSON.parse(JSON.stringify(samples)));
      }
    }), { numRuns: 300 });
  });

  it('writes a block the same whether its shape was kept from the block before or built afresh (property)', () => {
    // the builder takes the last segment's shape over when the next block starts with that shape: the
    // text must be byte for byte what a fresh builder writes for the same samples (the format stays 2)
    const same = fc.record({ guests: fc.constant([]), a: fc.integer(), h: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 2 }), x: fc.oneof(fc.constant(null), fc.constant([]), fc.integer(), fc.constant({}), fc.record({ b: fc.integer() })) });
    fc.assert(fc.property(fc.array(fc.array(same, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 4 }), fc.boolean(), (blocks, freeze) => {
      const carried = Object.freeze({ s: 1, t: [2, 3] });
      const kept = new BlockBuilder();
      for (const samples of blocks) {
        const ss = samples.map((x) => (freeze ? { ...x, f: carried } : x) as unknown as RawSample);
        const fresh = new BlockBuilder();
        for (const x of ss) { kept.add(x); fresh.add(x); }
        const text = kept.take();
        expect(text).toBe(fresh.take());
        expect(decodeBlock(text)).toEqual(JSON.parse(JSON.stringify(ss)));
      }
    }), { numRuns: 300 });
  });

  it('drops keys whose value is undefined, as JSON does', () => {
    const a = { guests: [], k: 1, u: undefined };
    const b = { guests: [], k: 2, u: 3 };
    expect(roundTrip([a, b, a])).toEqual([{ guests: [], k: 1 }, { guests: [], k: 2, u: 3 }, { guests: [], k: 1 }]);
  });

  it('refuses a damaged block with a clear error', () => {
    const s = rawSample(1000, rawHost(), [rawGuest('qemu:a')]);
    const b = new BlockBuilder();
    b.add(s); b.add({ ...s, monoMs: 2000 });
    const text = b.take();
    const j = JSON.parse(text) as { s: Array<{ c: unknown[][]; i: number[] }> };
    (j.s[0]!.c[0] as unknown[]).pop();
    expect(() => decodeBlock(JSON.stringify(j))).toThrow(/recording block is corrupt: a column has the wrong length/);
    const k = JSON.parse(text) as { s: Array<{ c: unknown[][]; i: number[] }> };
    k.s[0]!.i[0] = 1e9;
    expect(() => decodeBlock(JSON.stringify(k))).toThrow(/recording block is corrupt: a leaf number is past the key/);
    expect(() => decodeBlock('{"v":1,"k":{},"d":[]}')).toThrow(/not a version 2 block/);
    expect(() => decodeBlock('nonsense')).toThrow(/not JSON/);
  });
});
