// Owns the small pure helpers every kernel-file parser shares: strict integers, nanosecond→µs via
// BigInt, flat keyed files, and the parse error. No I/O.

import { HostError } from '../engine/model/errors.js';

/** A malformed kernel file: one clear line naming what was expected. */
export function parseError(what: string, text: string): HostError {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return new HostError('parse', `cannot parse ${what}: '${shown.replace(/\n/g, '\\n')}'`);
}

const INT = /^-?\d+$/;

/** A decimal integer (possibly negative) or null. Values beyond 2^53 lose precision; use BigInt parsers for those. */
export function toInt(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = s.trim();
  return INT.test(t) ? Number(t) : null;
}

/** A decimal number with an optional fraction (PSI averages) or null. */
export function toFloat(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = s.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : null;
}

/** Nanoseconds as decimal text → microseconds (integer division through BigInt, lossless past 2^53 ns). */
export function nsTextToUsec(s: string | undefined): number | null {
  if (s === undefined) return null;
  const t = s.trim();
  if (!/^\d+$/.test(t)) return null;
  return nsDigitsToUsec(t);
}

/**
 * Decimal digits of nanoseconds → whole microseconds. Up to 15 digits (< 10^15 ns, 11.6 days) the
 * number is exact in a double and so is floor(n / 1000) (the quotient is at least 1/1000 below the
 * next integer, far more than half an ulp below 2^40): no BigInt is allocated on the hot path.
 * Longer values go through BigInt.
 */
export function nsDigitsToUsec(digits: string): number {
  return digits.length <= 15 ? Math.floor(Number(digits) / 1000) : Number(BigInt(digits) / 1000n);
}

/** One integer file (`memory.current`, `cpu.weight`): throws a parse error when not exactly one integer. */
export function parseSingleInt(text: string, what: string): number {
  const v = toInt(text);
  if (v === null) throw parseError(what, text);
  return v;
}

/** Flat keyed `KEY VALUE` lines (also `KEY: VALUE`); unknown or malformed lines are skipped. */
export function parseFlatKeyed(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_.()]+):?\s+(\S+)\s*$/.exec(line);
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/** Nested keyed `KEY a=1 b=2` lines → KEY → (subkey → value text). */
export function parseNestedKeyed(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const key = parts[0];
    if (!key) continue;
    const sub = new Map<string, string>();
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      if (eq > 0) sub.set(p.slice(0, eq), p.slice(eq + 1));
    }
    out.set(key, sub);
  }
  return out;
}
