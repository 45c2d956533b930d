// Property test of the lossless QMP JSON parse (engine/model/json-lossless.ts) on generated JSON texts
// with integers of every size, floats, exponents, digit runs inside strings and nesting: each integer
// token comes back as a number when safe and as its exact decimal text beyond ±(2^53-1), and the whole
// result equals what the previous implementation (the iterator-based walk, kept here as the oracle)
// returned for the same text.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasLongDigitRun, parseJsonLossless } from '../../src/engine/model/json-lossless.js';

// The implementation before session 4's rewrite, verbatim in behaviour: the reference.
const OLD_TOKEN = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])-?\d{16,}(?![\w.])/g;
function oldHasUnsafeInteger(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && !Number.isSafeInteger(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (oldHasUnsafeInteger(x)) return true;
    return false;
  }
  for (const k in v) if (oldHasUnsafeInteger((v as Record<string, unknown>)[k])) return true;
  return false;
}
function oldParse(text: string): unknown {
  const v: unknown = JSON.parse(text);
  if (!oldHasUnsafeInteger(v)) return v;
  return JSON.parse(text.replace(OLD_TOKEN, (m) => (m.charCodeAt(0) === 34 || Number.isSafeInteger(Number(m)) ? m : `"${m}"`)));
}

/** A JSON value as [its text, the value a lossless parse must give]. */
type Gen = [string, unknown];
const LIMIT = 2n ** 53n - 1n;
const bigints = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.bigInt({ min: -LIMIT - 3n, max: -LIMIT + 3n }),
  fc.bigInt({ min: LIMIT - 3n, max: LIMIT + 3n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
const integer = bigints.map((b): Gen => [b.toString(), b >= -LIMIT && b <= LIMIT ? Number(b) : b.toString()]);
const float = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d): Gen => [JSON.stringify(d), undefined]),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 0n, max: 10n ** 20n })).map(([a, b]): Gen => [`${a}.${b}`, undefined]),
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom('e', 'E', 'e+', 'e-'), fc.bigInt({ min: 0n, max: 10n ** 18n }))
    .map(([a, e, x]): Gen => [`${a}${e}${x}`, undefined]),
);
const str = fc.oneof(fc.string(), bigints.map((b) => `x ${b} "${b}" \\ ${b}`)).map((s): Gen => [JSON.stringify(s), s]);
const leaf = fc.oneof(integer, float, str, fc.constantFrom<Gen>(['true', true], ['false', false], ['null', null]));
const ws = fc.constantFrom('', ' ', '\r\n  ', '\t');

const value: fc.Arbitrary<Gen> = fc.letrec<{ v: Gen }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf,
    fc.tuple(fc.array(tie('v'), { maxLength: 6 }), ws).map(([xs, w]): Gen => [`[${w}${xs.map((x) => x[0]).join(`,${w}`)}${w}]`, xs.map((x) => x[1])]),
    fc.tuple(fc.uniqueArray(fc.tuple(fc.string(), tie('v')), { selector: ([k]) => k, maxLength: 6 }), ws)
      .map(([kvs, w]): Gen => [`{${w}${kvs.map(([k, x]) => `${JSON.stringify(k)}${w}:${w}${x[0]}`).join(`,${w}`)}${w}}`,
        Object.fromEntries(kvs.map(([k, x]) => [k, x[1]]))]),
  ),
})).v;

/** Compares got with the expected tree; floats (expected undefined) are left to the oracle comparison. */
function checkExpected(got: unknown, want: unknown): void {
  if (want === undefined) return;
  if (Array.isArray(want)) {
    expect(Array.isArray(got)).toBe(true);
    want.forEach((w, i) => checkExpected((got as unknown[])[i], w));
  } else if (want !== null && typeof want === 'object') {
    for (const [k, w] of Object.entries(want)) checkExpected((got as Record<string, unknown>)[k], w);
  } else {
    expect(got).toBe(want);
  }
}

describe('parseJsonLossless (property)', () => {
  it('every integer exact (number when safe, decimal text beyond), and the same result as the previous walk', () => {
    fc.assert(fc.property(value, ([text, want]) => {
      const got = parseJsonLossless(text);
      checkExpected(got, want);
      expect(got).toEqual(oldParse(text));
    }), { numRuns: 2000 });
  });
  it('a single huge integer anywhere in a large reply is found (the walk does not stop early on a safe value)', () => {
    fc.assert(fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 200 }), fc.nat(), bigints.filter((b) => b > LIMIT || b < -LIMIT),
      (xs, at, big) => {
        const i = at % xs.length;
        const text = `{"return": [${xs.map((x, j) => (j === i ? `{"a": {"b": [${big}]}}` : `{"a": ${x}}`)).join(', ')}]}`;
        const got = parseJsonLossless(text) as { return: { a: unknown }[] };
        expect((got.return[i]!.a as { b: unknown[] }).b[0]).toBe(big.toString());
        expect(got.return.filter((_, j) => j !== i).map((o) => o.a)).toEqual(xs.filter((_, j) => j !== i));
      }));
  });
  it('the 16-digit pre-test (every 16th character) agrees with a full regex scan, runs at every offset and length', () => {
    const chunk = fc.oneof(fc.stringMatching(/^[0-9]{1,40}$/), fc.string({ maxLength: 6 }), fc.constantFrom('.', 'e', '"', ',', ' '));
    fc.assert(fc.property(fc.array(chunk, { maxLength: 40 }), (parts) => {
      const text = parts.join('');
      expect(hasLongDigitRun(text)).toBe(/[0-9]{16}/.test(text));
    }), { numRuns: 5000 });
    for (let pad = 0; pad < 20; pad++) {
      for (let len = 14; len <= 18; len++) {
        const text = `${'x'.repeat(pad)}${'7'.repeat(len)}${'y'.repeat(pad % 3)}`;
        expect(hasLongDigitRun(text)).toBe(len >= 16);
      }
    }
  });
});
