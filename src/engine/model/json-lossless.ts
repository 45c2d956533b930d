// Owns lossless JSON parsing for QMP (socket and virsh paths alike): safe integers and every
// non-integer come back as numbers, integers beyond ±(2^53-1) as exact decimal strings — never
// rounded. Native JSON.parse does the work. Only when its result holds an integer it could not
// represent exactly is the text parsed again, with the integer tokens of 16+ digits outside strings
// quoted first. A text without a run of 16 digits cannot hold such a token (every integer below 10^15
// is safe): it costs one JSON.parse and a skip-scan of the text, no walk of the result.

import { HostError } from './errors.js';

/** A string token, or an integer token of 16+ digits that is not part of a fraction or exponent. */
const TOKEN = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])-?\d{16,}(?![\w.])/g;

function quoteUnsafe(m: string): string {
  if (m.charCodeAt(0) === 34) return m; // a string: untouched
  return Number.isSafeInteger(Number(m)) ? m : `"${m}"`;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * True when v holds an integer-valued number outside the safe range (it may have been rounded).
 * Indexed and for-in loops with the leaves tested in place: no iterator, closure or call per value
 * (every finite number beyond ±(2^53-1) is an integer, so the test is a range check).
 */
function hasUnsafeInteger(v: unknown): boolean {
  if (typeof v === 'number') return isUnsafeInteger(v);
  return v !== null && typeof v === 'object' && containerHasUnsafeInteger(v);
}

function isUnsafeInteger(x: number): boolean {
  return (x > MAX_SAFE || x < -MAX_SAFE) && x !== Infinity && x !== -Infinity;
}

function containerHasUnsafeInteger(v: object): boolean {
  if (Array.isArray(v)) {
    for (let i = 0, n = v.length; i < n; i++) {
      const x: unknown = v[i];
      if (typeof x === 'number') {
        if (isUnsafeInteger(x)) return true;
      } else if (typeof x === 'object' && x !== null && containerHasUnsafeInteger(x)) return true;
    }
    return false;
  }
  for (const k in v) {
    const x: unknown = (v as Record<string, unknown>)[k];
    if (typeof x === 'number') {
      if (isUnsafeInteger(x)) return true;
    } else if (typeof x === 'object' && x !== null && containerHasUnsafeInteger(x)) return true;
  }
  return false;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * True when the text has a run of 16 or more ASCII digits (anywhere, strings included). Looks at every
 * 16th character only — any such run covers one of them — and measures the run around a digit found.
 */
export function hasLongDigitRun(text: string): boolean {
  const n = text.length;
  for (let i = 15; i < n; i += 16) {
    if (!isDigit(text.charCodeAt(i))) continue;
    let start = i;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = i + 1;
    while (end < n && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= 16) return true;
    i = end - 1; // a later run starts after `end`: a run of 16 from there covers end + 15
  }
  return false;
}

/** Parse JSON text; throws SyntaxError on invalid JSON. */
export function parseJsonLossless(text: string): unknown {
  const v: unknown = JSON.parse(text);
  // without a 16-digit run no token is quoted by the re-parse: the result would be `v` itself
  return hasLongDigitRun(text) && hasUnsafeInteger(v) ? JSON.parse(text.replace(TOKEN, quoteUnsafe)) : v;
}

/** One QMP message (socket or virsh reply) as an object; throws HostError('parse'). */
export function parseQmpObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = parseJsonLossless(text);
  } catch (e) {
    throw new HostError('parse', `invalid JSON from QMP: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HostError('parse', 'QMP message is not a JSON object');
  return v as Record<string, unknown>;
}
