// The block codec of recordings: any sequence of JSON samples comes back exactly (property test over
// random trees that change shape, type and value between samples), counters become small deltas, a
// damaged block is refused instead of decoding into wrong numbers, and a recording written before format
// 3 (a committed file made by that version, test/fixtures/recording/format2-demo.vtr, with the demo
// samples it was made from) still reads back exactly, replays and reports; the encoder writes those demo
// samples byte for byte as the format-3 encoder it replaced did (committed blocks).

import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../../src/engine/node/sqlite-recording.js';
import { BlockBuilder, blockSegments, decodeBlock, digitsOf, scaled, unscaled } from '../../src/engine/record/codec.js';
import { ReplaySource } from '../../src/engine/record/replay-source.js';
import { buildReport } from '../../src/engine/record/report.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import { rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';
import { recordedSamples } from './helpers.js';

// opened from a copy: SQLite adds its -wal and -shm files beside the file it opens
const tmp = mkdtempSync(path.join(tmpdir(), 'virtune-format2-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FORMAT2 = path.join(tmp, 'format2-demo.vtr');
copyFileSync('test/fixtures/recording/format2-demo.vtr', FORMAT2);
const FORMAT2_SAMPLES = JSON.parse(readFileSync('test/fixtures/recording/format2-demo.samples.json', 'utf8')) as RawSample[];

type Seg = { k: unknown; n: number; i: number[]; c: unknown[][] };
const segments = (block: Uint8Array): Seg[] => blockSegments(block) as Seg[];

const json = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' },
    fc.integer({ min: -1e6, max: 1e6 }), fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
    fc.integer({ min: -1e12, max: 1e12 }).map((x) => x / 1e5), fc.integer({ min: -1e6, max: 1e6 }).map((x) => x / 1000),
    fc.constantFrom(null, true, false, 'a', 'b', 'max', Number.MAX_SAFE_INTEGER),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), tie('node'), { maxKeys: 4 })),
})).node;

/** one block holding `samples` */
function encode(samples: unknown[]): ReturnType<BlockBuilder['take']> {
  const b = new BlockBuilder();
  for (const s of samples) b.add(s as RawSample);
  return b.take();
}

function roundTrip(samples: unknown[]): unknown[] {
  return decodeBlock(encode(samples));
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
    expect(text[0]).toBe(3);
    const seg = segments(text);
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
    expect(segments(text)).toHaveLength(2);
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
    const block = encode(samples);
    expect(segments(block)).toHaveLength(1);
    expect(decodeBlock(block)).toEqual(samples);
  });

  it('keeps a value after a step too big for a token, where the next step back would not fit either', () => {
    // steps 2^52 - 1 then 2^52 + 1 (a difference of 2 to the step before), then unchanged: the step back
    // to 0 is -(2^52 + 1), more than a token holds, so that sample is written as a literal
    const xs = [-(2 ** 52), -1, 2 ** 52, 2 ** 52, 2 ** 52, 7, 2 ** 52 - 1 + 7, 2 ** 53 - 1, 2 ** 53 - 1];
    const samples = xs.map((x, i) => ({ guests: [], c: x, i: i === 4 ? 1 : 0 }));
    const block = encode(samples);
    expect(segments(block)).toHaveLength(1);
    expect(decodeBlock(block)).toEqual(samples);
  });

  it('gives back a column of any safe integers exactly, big steps and repeats included (property)', () => {
    const big = fc.oneof(fc.maxSafeInteger(), fc.constantFrom(0, 2 ** 52, -(2 ** 52), 2 ** 52 - 1, 2 ** 52 + 1, 2 ** 53 - 1, -(2 ** 53 - 1)));
    fc.assert(fc.property(fc.array(fc.tuple(big, fc.nat(2)), { minLength: 1, maxLength: 12 }), (xs) => {
      // each value held for 1-3 samples
      const samples = xs.flatMap(([x, r]) => Array.from({ length: r + 1 }, () => ({ guests: [], c: x })));
      expect(roundTrip(samples)).toEqual(samples);
    }), { numRuns: 500 });
  });

  it('stores decimals (times in ms with a fraction) as exact integer steps', () => {
    const xs = [2605.88908, 3605.91234, 4606.0001, 5605.9, 6606, -0.5, 0.1 + 0.2, 1e21, 5e-7, 123456789.123456, 7.25, 7.25];
    const samples = xs.map((x, i) => ({ guests: [], t: x, i }));
    const b = new BlockBuilder();
    for (const s of samples) b.add(s as unknown as RawSample);
    const text = b.take();
    const col = segments(text)[0]!.c[0]!;
    expect(col[0]).toBe('e6'); // the most fractional digits among its numbers that fit (0.1 + 0.2 has 17: a literal)
    expect(col[1]).toBe(1000023260); // 3605.91234 - 2605.88908 in millionths
    const back = decodeBlock(text) as unknown as typeof samples;
    expect(back.map((x) => x.t)).toEqual(xs);
    expect(back.every((x, i) => Object.is(x.t, xs[i]))).toBe(true);
  });

  it('counts decimals in units of 10^-scale by arithmetic exactly as their decimal form does, and back (property)', () => {
    // the reference: the count read off the shortest decimal form, and the value its decimal form parses to
    const byText = (v: number, scale: number): number | null => {
      const t = String(v);
      if (t.includes('e')) return null;
      const [int, frac = ''] = t.split('.');
      if (frac.length > scale) return null;
      const m = Number(int! + frac.padEnd(scale, '0'));
      return Number.isSafeInteger(m) ? m : null;
    };
    const fromText = (m: number, scale: number): number => {
      const d = String(Math.abs(m)).padStart(scale + 1, '0');
      return Number(`${m < 0 ? '-' : ''}${d.slice(0, -scale)}.${d.slice(-scale)}`);
    };
    const count = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.maxSafeInteger(), fc.integer({ min: 2 ** 51, max: 2 ** 53 }), fc.constantFrom(0, 1, -1, 2 ** 52 - 1, 2 ** 52, 2 ** 52 + 1));
    const value = fc.oneof(
      fc.tuple(count, fc.integer({ min: 0, max: 14 })).map(([m, k]) => m / 10 ** k),
      fc.double({ noNaN: true }), fc.constantFrom(1e-6, -1e-6, 9.99e-7, 5e-7, 1e-7, -0, 0.1 + 0.2, 1e21, 123456789.123456));
    fc.assert(fc.property(value, fc.integer({ min: 1, max: 12 }), (v, scale) => {
      expect(scaled(v, scale)).toBe(byText(v, scale));
      const m = scaled(v, scale);
      if (m !== null) expect(Object.is(unscaled(m, scale), fromText(m, scale))).toBe(true);
    }), { numRuns: 5000 });
    fc.assert(fc.property(fc.maxSafeInteger(), fc.integer({ min: 1, max: 12 }), (m, scale) => {
      expect(Object.is(unscaled(m, scale), fromText(m, scale))).toBe(true);
    }), { numRuns: 5000 });
  });

  it('finds the digits a decimal adds to its column by arithmetic exactly as its decimal form has them (property)', () => {
    // the reference: the digits after the point of the shortest decimal form; none for an integer, a
    // value that is not finite, one written with an exponent, or one with more than 12 (a literal)
    const byText = (v: number): number => {
      if (Number.isInteger(v) || !Number.isFinite(v)) return -1;
      const t = String(v);
      if (t.includes('e')) return -1;
      const d = t.length - t.indexOf('.') - 1;
      return d > 12 ? -1 : d;
    };
    const count = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.maxSafeInteger(), fc.integer({ min: 2 ** 50, max: 2 ** 53 }), fc.constantFrom(1, -1, 2 ** 51 - 1, 2 ** 51, 2 ** 51 + 1));
    const value = fc.oneof(
      fc.tuple(count, fc.integer({ min: 1, max: 16 })).map(([m, k]) => m / 10 ** k),
      fc.double({ noNaN: true }), fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
      fc.constantFrom(1e-6, -1e-6, 9.99e-7, 1.5e-6, 0.1 + 0.2, 1e21 + 0.5, 123456789.123456, 519.060745, 2 ** 51 / 10 + 0.1));
    fc.assert(fc.property(value, (v) => { expect(digitsOf(v)).toBe(byText(v)); }), { numRuns: 20000 });
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
    // block must be byte for byte what a fresh builder writes for the same samples
    const same = fc.record({ guests: fc.constant([]), a: fc.integer(), h: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 2 }), x: fc.oneof(fc.constant(null), fc.constant([]), fc.integer(), fc.constant({}), fc.record({ b: fc.integer() })) });
    fc.assert(fc.property(fc.array(fc.array(same, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 4 }), fc.boolean(), (blocks, freeze) => {
      const carried = Object.freeze({ s: 1, t: [2, 3] });
      const kept = new BlockBuilder();
      for (const samples of blocks) {
        const ss = samples.map((x) => (freeze ? { ...x, f: carried } : x) as unknown as RawSample);
        const fresh = new BlockBuilder();
        for (const x of ss) { kept.add(x); fresh.add(x); }
        const text = kept.take();
        expect(Buffer.from(text).equals(Buffer.from(fresh.take()))).toBe(true);
        expect(decodeBlock(text)).toEqual(JSON.parse(JSON.stringify(ss)));
      }
    }), { numRuns: 300 });
  });

  it('writes the demo samples byte for byte as the encoder of format 3 before it (committed blocks)', () => {
    // test/fixtures/recording/format3-demo.blocks.json: the blocks the BlockBuilder of commit 04ba4d2
    // wrote for the demo samples (samples 0-2 and 3-6 with one builder, then all with a fresh one)
    const made = JSON.parse(readFileSync('test/fixtures/recording/format3-demo.blocks.json', 'utf8')) as { blocks: string[] };
    const ours: string[] = [];
    const b = new BlockBuilder();
    FORMAT2_SAMPLES.forEach((x, i) => {
      b.add(x);
      if (i === 2 || i === FORMAT2_SAMPLES.length - 1) ours.push(Buffer.from(b.take()).toString('base64'));
    });
    const fresh = new BlockBuilder();
    for (const x of FORMAT2_SAMPLES) fresh.add(x);
    ours.push(Buffer.from(fresh.take()).toString('base64'));
    expect(ours).toEqual(made.blocks);
    expect(decodeBlock(Buffer.from(made.blocks[2]!, 'base64'))).toEqual(FORMAT2_SAMPLES);
  });

  it('keeps text that is not ASCII, in the key and in literals', () => {
    const samples = ['gäst', 'ünïcödé ✓', '😀 vm', ''].map((name, i) => ({ guests: [], name, n: i }));
    expect(roundTrip(samples)).toEqual(samples);
  });

  it('drops keys whose value is undefined, as JSON does', () => {
    const a = { guests: [], k: 1, u: undefined };
    const b = { guests: [], k: 2, u: 3 };
    expect(roundTrip([a, b, a])).toEqual([{ guests: [], k: 1 }, { guests: [], k: 2, u: 3 }, { guests: [], k: 1 }]);
  });

  it('encodes objects of one kind exactly as their JSON copies: undefined values, other key orders, leaves that become containers (property)', () => {
    // whatever the object holds, the block must be the one its JSON copy gives (no undefined key, other
    // hidden classes)
    const val = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(undefined, null, 'x', [], {}, [1], { a: 1 }));
    const kind = fc.oneof(
      fc.record({ a: val, b: val, c: val }),
      fc.record({ b: val, a: val, c: val }),
      fc.record({ a: val, b: val }),
      fc.record({ a: val, b: val, c: val }, { requiredKeys: ['a'] }),
    );
    const sample = fc.record({ guests: fc.constant([]), d: fc.array(kind, { minLength: 3, maxLength: 3 }), t: fc.integer() });
    fc.assert(fc.property(fc.array(sample, { minLength: 1, maxLength: 8 }), (samples) => {
      const copies = JSON.parse(JSON.stringify(samples)) as unknown[];
      const block = encode(samples);
      expect(Buffer.from(block).equals(Buffer.from(encode(copies)))).toBe(true);
      expect(decodeBlock(block)).toEqual(copies);
    }), { numRuns: 500 });
  });

  it('gives back keys of any text exactly: quotes, backslashes, line breaks, U+2028, digits, "__proto__", many keys', () => {
    const keys = ['a"b', 'c\\d', "e'f", 'g\nh', 'i\u2028j', '${x}', '10', '__proto__', 'constructor', 'toString'];
    // JSON.parse makes "__proto__" an own key, as a sample read from JSON would have it
    const obj = (i: number): unknown => JSON.parse(JSON.stringify(Object.fromEntries(keys.map((k, j) => [k, i * 10 + j]))));
    const many = (i: number): unknown => Object.fromEntries(Array.from({ length: 250 }, (_, j) => [`k${j}`, j === 7 ? i : j]));
    const samples = [0, 1, 2, 2, 3].map((i) => ({ guests: [], o: obj(i), l: [obj(i + 1), obj(i)], m: many(i) }));
    expect(segments(encode(samples))).toHaveLength(1);
    expect(JSON.stringify(roundTrip(samples))).toBe(JSON.stringify(samples));
  });

  it('refuses a damaged block with a clear error', () => {
    const s = rawSample(1000, rawHost(), [rawGuest('qemu:a')]);
    const b = new BlockBuilder();
    b.add(s); b.add({ ...s, monoMs: 2000 });
    const block = b.take();
    expect(decodeBlock(block)).toHaveLength(2);
    expect(() => decodeBlock(block.subarray(0, block.length - 1))).toThrow(/recording block is corrupt: truncated/);
    expect(() => decodeBlock(block.subarray(0, 40))).toThrow(/recording block is corrupt: (truncated|text that is not UTF-8|a value is not JSON)/);
    expect(() => decodeBlock(Uint8Array.from([...block, 1]))).toThrow(/recording block is corrupt: bytes after the last segment/);
    // hand-made: one segment keyed by {"guests":[]} (one leaf), one sample after it, a column for leaf 5
    const key = [...new TextEncoder().encode('{"guests":[]}')];
    const made = (gap: number, token: number[]): Uint8Array => Uint8Array.from([3, 1, key.length, ...key, 1, 1, gap, 0, ...token]);
    expect(decodeBlock(made(0, [1]))).toEqual([{ guests: [] }, { guests: [] }]);
    expect(() => decodeBlock(made(5, [1]))).toThrow(/recording block is corrupt: a leaf number is past the key/);
    expect(() => decodeBlock(made(0, [3]))).toThrow(/recording block is corrupt: a delta on a value that is not a counter/);
    expect(() => decodeBlock(made(0, [0]))).toThrow(/recording block is corrupt: truncated/);
    expect(() => decodeBlock(made(0, [0, 1, 0x7b]))).toThrow(/recording block is corrupt: a value is not JSON/);
    expect(() => decodeBlock(Uint8Array.of(3, 0))).toThrow(/recording block is corrupt: no samples/);
    expect(() => decodeBlock('{"v":1,"k":{},"d":[]}')).toThrow(/not a version 2 block/);
    expect(() => decodeBlock('nonsense')).toThrow(/neither a version 3 block nor JSON/);
  });

  it('reads a recording written before format 3 exactly, and refuses a damaged version 2 block', () => {
    // the committed file was written by the previous virtune (JSON text blocks, version 2)
    const r = openRecording(FORMAT2);
    try {
      const first = r.readBlock(r.blocks()[0]!.id);
      expect(new TextDecoder().decode(first).startsWith('{"v":2,')).toBe(true);
      const text = new TextDecoder().decode(first);
      const j = JSON.parse(text) as { s: Array<{ c: unknown[][]; i: number[] }> };
      const withColumns = j.s.findIndex((seg) => seg.c.length > 0);
      expect(withColumns).toBeGreaterThanOrEqual(0);
      (j.s[withColumns]!.c[0] as unknown[]).pop();
      expect(() => decodeBlock(JSON.stringify(j))).toThrow(/recording block is corrupt: a column has the wrong length/);
      const k = JSON.parse(text) as { s: Array<{ c: unknown[][]; i: number[] }> };
      k.s[withColumns]!.i[0] = 1e9;
      expect(() => decodeBlock(JSON.stringify(k))).toThrow(/recording block is corrupt: a leaf number is past the key/);
    } finally {
      r.close();
    }
    expect(recordedSamples(FORMAT2)).toEqual(FORMAT2_SAMPLES);
  });

  it('replays and reports a recording written before format 3', async () => {
    const src = new ReplaySource(openRecording(FORMAT2), { playing: false });
    try {
      expect(src.status().count).toBe(FORMAT2_SAMPLES.length);
      FORMAT2_SAMPLES.forEach((x, i) => expect(src.at(i)).toEqual(x));
    } finally {
      await src.close();
    }
    const r = openRecording(FORMAT2);
    try {
      const rep = buildReport(r);
      expect(rep.samples).toBe(FORMAT2_SAMPLES.length);
      expect(rep.guests.map((g) => g.id).sort()).toEqual(FORMAT2_SAMPLES[0]!.guests.map((g) => g.id).sort());
    } finally {
      r.close();
    }
  });
});
