// Owns the small pure helpers every kernel-file parser shares: strict integers, nanosecond→µs via
// BigInt, flat keyed files, the parse error, and the span helpers of the parsers that take a file in
// place (whitespace, tokens and digits found by index, numbers read without a copy). No I/O.

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

/** Where the key and the value of one flat keyed line lie in its text (filled by flatKeyedSpan). */
export interface KeyedSpan {
  keyEnd: number;
  valStart: number;
  valEnd: number;
}

function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 40 || c === 41;
}

/** A JavaScript `\s` character (WhiteSpace or LineTerminator): what `trim()` and `/\s/` take. */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f
    || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The line text[from, to) as parseFlatKeyed reads it (`KEY`, an optional `:`, whitespace, one value,
 * optional whitespace), found without a regex or a copy: false when the line is not one; else the key
 * is text[from, span.keyEnd) and the value text[span.valStart, span.valEnd).
 */
export function flatKeyedSpan(text: string, from: number, to: number, span: KeyedSpan): boolean {
  let i = from;
  while (i < to && isKeyChar(text.charCodeAt(i))) i++;
  if (i === from) return false;
  span.keyEnd = i;
  if (i < to && text.charCodeAt(i) === 58) i++;
  const sp = i;
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  if (i === sp || i === to) return false;
  span.valStart = i;
  while (i < to && !isSpace(text.charCodeAt(i))) i++;
  span.valEnd = i;
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  return i === to;
}

/** The first index in [from, to) that is not `\s` (to when none): text[from, to).trim() starts there. */
export function skipSpace(text: string, from: number, to: number): number {
  while (from < to && isSpace(text.charCodeAt(from))) from++;
  return from;
}

/** The end of text[from, to) without its trailing `\s` (from when all is space). */
export function trimEnd(text: string, from: number, to: number): number {
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  return to;
}

/** The end of the run of non-`\s` characters starting at from (at most to). */
export function tokenEnd(text: string, from: number, to: number): number {
  while (from < to && !isSpace(text.charCodeAt(from))) from++;
  return from;
}

/** The end of the run of ASCII digits starting at from (at most to). */
export function digitsEnd(text: string, from: number, to: number): number {
  while (from < to) {
    const d = text.charCodeAt(from) - 48;
    if (d < 0 || d > 9) break;
    from++;
  }
  return from;
}

/** Number(text[from, to)) of ASCII digits, without a copy up to 15 digits (exact there). */
export function spanDigitsValue(text: string, from: number, to: number): number {
  const v = spanDigits(text, from, to);
  return v === null ? Number.NaN : v < 0 ? Number(text.slice(from, to)) : v;
}

/** True when text[from, to) is exactly key. */
export function spanIs(text: string, from: number, to: number, key: string): boolean {
  return to - from === key.length && text.startsWith(key, from);
}

/** toInt of text[from, to) without copying it when it has 15 digits or fewer. */
export function spanToInt(text: string, from: number, to: number): number | null {
  const neg = from < to && text.charCodeAt(from) === 45;
  const v = spanDigits(text, neg ? from + 1 : from, to);
  if (v === null) return null;
  if (v < 0) return Number(text.slice(from, to));
  return neg ? -v : v;
}

/**
 * The whitespace-separated tokens of text[from, to) as integers (spanToInt), the first `into.length` of
 * them written into `into` (a caller's scratch): how many tokens there are, -1 when one is not an integer.
 */
export function spanInts(text: string, from: number, to: number, into: number[]): number {
  let count = 0;
  for (let ts = skipSpace(text, from, to); ts < to;) {
    const te = tokenEnd(text, ts, to);
    const x = spanToInt(text, ts, te);
    if (x === null) return -1;
    if (count < into.length) into[count] = x;
    count++;
    ts = skipSpace(text, te, to);
  }
  return count;
}

/** nsTextToUsec of text[from, to) without copying it when it has 15 digits or fewer. */
export function spanNsToUsec(text: string, from: number, to: number): number | null {
  const v = spanDigits(text, from, to);
  if (v === null) return null;
  return v < 0 ? nsDigitsToUsec(text.slice(from, to)) : Math.floor(v / 1000);
}

/** The value of the decimal digits text[from, to): null when empty or not all digits, -1 past 15 digits. */
function spanDigits(text: string, from: number, to: number): number | null {
  if (from >= to) return null;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return to - from <= 15 ? v : -1;
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
