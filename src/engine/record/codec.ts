// Owns the sample-block encoding of a recording (format version 3, bytes; version 2, JSON text, is still
// read). A block is a list of segments; a segment is a run of samples of one shape (same keys in the same
// order, same array lengths, the same values null or not-a-container at the same places), stored
// column-wise:
//   k  the segment's first sample in full (JSON)
//   n  how many samples follow it
//   i  the leaves (values that are not a non-empty object or array, numbered depth-first in key order)
//      that change anywhere in the segment, ascending, each as the gap to the one before (the first as is)
//   c  one column per leaf of `i`, n tokens: a number t is "previous value + t" when the previous value is
//      a safe integer (counters become deltas) and "unchanged" (t = 0) otherwise; a literal is the new
//      value v (floats, strings, null <-> value, an empty container). A number that follows a number in
//      its column is stored as the difference to it (steady counters become small numbers; writeColumn).
//      A column whose numbers have fractions counts in units of 10^-scale (built from each number's
//      shortest decimal form, so exact).
// Format 3 (what the encoder writes) lays that out as bytes, all counts and numbers as unsigned varints
// (7 bits a byte, low group first): the byte 3, the number of segments, then per segment: the key's
// length and its JSON text (UTF-8), n, the number of columns, their leaf gaps, then per column its scale
// (one byte, 0 for integers) and n tokens: 0 then a literal's length and JSON text, or zigzag(t) + 1 for
// a number t (|t| < 2^52; an unchanged leaf in a steady column is the byte 1). Format 2 (recordings made
// before) is the same as JSON text: {"v":2,"s":[{"k":..,"n":..,"i":[..],"c":[[..],..]}]}, a literal as
// [v], a scaled column starting with "e<scale>".
// A leaf that never changes in a segment costs nothing after the key; a sample of another shape starts a
// new segment (it is the new segment's key), so any sequence of JSON samples is stored exactly. The
// encoder walks each sample once against the segment's shape (no token rows); a block that starts with the
// shape its predecessor ended with takes that shape over (the bytes are the same as if built afresh). The
// decoder rebuilds a sample from the one before, sharing the subtrees in which nothing changed. Keys whose
// value is undefined are not part of a sample (JSON drops them). Generic: a new field of the raw sample
// needs no change here. Pure: the adapter compresses the block's bytes.

import type { RawSample } from '../model/sample.js';

export const BLOCK_FORMAT = 3;
/** the JSON text blocks of recordings made before format 3 (still read) */
export const TEXT_BLOCK_FORMAT = 2;

const ARR = 1;
const OBJ = 2;

/**
 * The shape of a segment: a tree of containers whose leaves are numbered depth-first. A leaf is no
 * object of its own: its container holds its number (a segment of a 100-guest host has ~46k leaves).
 */
interface Shape {
  kind: typeof ARR | typeof OBJ;
  /** defined keys, in order (objects) */
  keys: string[];
  /** per child: its leaf number, or -1 when it is a container (then in `kids`) */
  leafOf: Int32Array;
  /** per child: its shape when it is a container, else null */
  kids: Array<Shape | null>;
  /** number of the first leaf below */
  first: number;
  /** leaves below */
  leaves: number;
  /** an array of leaves only (compared in one loop) */
  flat: boolean;
  /** the key's container here was frozen: a later one may be the same object again */
  frozen: boolean;
  /** the frozen container last scanned here: when the next sample holds the same object, nothing changed */
  seen: unknown;
}

type Obj = Record<string, unknown>;

function bad(why: string): never {
  throw new Error(`recording block is corrupt: ${why}`);
}

/** A container with children is walked; anything else (an empty one too) is a leaf. */
function isWalked(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  for (const k in v) if ((v as Obj)[k] !== undefined) return true;
  return false;
}

/** equal as JSON leaves: the same primitive, or both empty arrays, or both empty objects */
function sameLeaf(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return Array.isArray(a) === Array.isArray(b) && !isWalked(a) && !isWalked(b);
}

/**
 * Build the shape of `v`, appending its leaf values to `out` (undefined array items are null, as in JSON);
 * null when `v` is a leaf itself.
 */
function shapeOf(v: unknown, out: unknown[]): Shape | null {
  const first = out.length;
  if (!isWalked(v)) {
    out.push(v === undefined ? null : v);
    return null;
  }
  // a frozen container may come back as the same object: the next walk skips it (its leaves are these)
  const frozen = Object.isFrozen(v);
  const seen = frozen ? v : undefined;
  const isArr = Array.isArray(v);
  const keys: string[] = [];
  const kids: Array<Shape | null> = [];
  if (isArr) for (let i = 0; i < v.length; i++) kids.push(shapeOf(v[i], out));
  else {
    const o = v as Obj;
    for (const k in o) {
      const x = o[k];
      if (x === undefined) continue;
      keys.push(k);
      kids.push(shapeOf(x, out));
    }
  }
  // the leaf numbers of the children that are leaves (numbered in order, so recomputed after the walk)
  const leafOf = new Int32Array(kids.length);
  let at = first;
  let flat = isArr;
  for (let i = 0; i < kids.length; i++) {
    const kid = kids[i];
    if (kid) { leafOf[i] = -1; at += kid.leaves; flat = false; } else leafOf[i] = at++;
  }
  return { kind: isArr ? ARR : OBJ, keys, leafOf, kids, first, leaves: out.length - first, flat, frozen, seen };
}

/**
 * What changed in a segment, in the order the walks saw it (sample by sample, each sample's leaves
 * ascending; the segment knows where each sample's run starts): leaf number and new value, in typed
 * arrays (numbers unboxed: a change costs no allocation); values that are not numbers are kept beside,
 * by entry.
 */
class ChangeLog {
  leaf = new Int32Array(4096);
  num = new Float64Array(4096);
  readonly other = new Map<number, unknown>();
  len = 0;

  push(i: number, v: unknown): void {
    if (this.len === this.leaf.length) this.grow();
    const e = this.len++;
    this.leaf[e] = i;
    if (typeof v === 'number') this.num[e] = v;
    else {
      this.num[e] = NaN;
      this.other.set(e, v);
    }
  }

  /** push(i, v) for a number v (the common change: no type check, nothing beside) */
  pushNum(i: number, v: number): void {
    if (this.len === this.leaf.length) this.grow();
    const e = this.len++;
    this.leaf[e] = i;
    this.num[e] = v;
  }

  value(e: number): unknown {
    const x = this.num[e] as number;
    return x === x ? x : this.other.has(e) ? this.other.get(e) : x;
  }

  /** the changes of the column being written (writeColumns) */
  private column: ByLeaf | null = null;

  /** room for one column of `n` samples (kept from block to block) */
  byLeaf(n: number): ByLeaf {
    if (this.column === null || this.column.at.length < n) {
      this.column = { order: new Int32Array(n), at: new Int32Array(n), num: new Float64Array(n), log: this };
    }
    return this.column;
  }

  /** forget the entries from `len` on (what a walk that met another shape recorded) */
  cut(len: number): void {
    for (const e of this.other.keys()) if (e >= len) this.other.delete(e);
    this.len = len;
  }

  private grow(): void {
    const n = this.leaf.length * 2;
    const leaf = new Int32Array(n); leaf.set(this.leaf); this.leaf = leaf;
    const num = new Float64Array(n); num.set(this.num); this.num = num;
  }
}

/** a leaf that is not === its last value: record it (false when it became a non-empty container) */
function leafChanged(v: unknown, last: unknown[], i: number, log: ChangeLog): boolean {
  if (typeof v === 'number') {
    last[i] = v;
    log.pushNum(i, v);
    return true;
  }
  const p = last[i];
  if (typeof v === 'object' && v !== null) {
    if (isWalked(v)) return false;
    if (sameLeaf(p, v)) return true;
  } else if (v === undefined) {
    if (p === null) return true;
    v = null;
  }
  last[i] = v;
  log.push(i, v);
  return true;
}

/**
 * The encoder's walk of one sample against the segment's shape, comparing each leaf with its last value
 * (the leaf checks are inline: most leaves are unchanged and cost one comparison). False when the value
 * has another shape. An object matches when it has exactly the shape's defined keys in the same order.
 * A frozen container that is the same object as in the sample before is skipped (a producer that carries
 * an unchanged part over as one frozen object, like the cgroup settings, costs nothing). An array of
 * leaves only (a latency histogram's bins) is compared in one tight loop.
 */
function scan(node: Shape, o: unknown, last: unknown[], log: ChangeLog): boolean {
  if (!(node.flat ? scanFlat(node, o, last, log) : scanFresh(node, o, last, log))) return false;
  if (node.frozen && Object.isFrozen(o)) node.seen = o;
  return true;
}

function scanFlat(node: Shape, o: unknown, last: unknown[], log: ChangeLog): boolean {
  const n = node.kids.length;
  if (!Array.isArray(o) || o.length !== n) return false;
  const f = node.first;
  for (let i = 0; i < n; i++) {
    const v: unknown = o[i];
    if (v !== last[f + i] && !leafChanged(v, last, f + i, log)) return false;
  }
  return true;
}

function scanFresh(node: Shape, o: unknown, last: unknown[], log: ChangeLog): boolean {
  const { kids, leafOf } = node;
  if (node.kind === ARR) {
    if (!Array.isArray(o) || o.length !== kids.length) return false;
    for (let i = 0; i < kids.length; i++) {
      const li = leafOf[i] as number;
      const v: unknown = o[i];
      if (li >= 0) {
        if (v !== last[li] && !leafChanged(v, last, li, log)) return false;
      } else {
        const kid = kids[i] as Shape;
        if (v !== kid.seen && !scan(kid, v, last, log)) return false;
      }
    }
    return true;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const keys = node.keys;
  const n = keys.length;
  let i = 0;
  for (const k in o) {
    const v = (o as Obj)[k];
    if (v === undefined) continue;
    if (i >= n || k !== keys[i]) return false;
    const li = leafOf[i] as number;
    if (li >= 0) {
      if (v !== last[li] && !leafChanged(v, last, li, log)) return false;
    } else {
      const kid = kids[i] as Shape;
      if (v !== kid.seen && !scan(kid, v, last, log)) return false;
    }
    i++;
  }
  return i === n;
}

/**
 * The bytes of a block (format 3), written into one buffer kept from block to block: unsigned varints
 * (7 bits a byte, low first, for any safe integer), single bytes, and UTF-8 text with its length.
 */
class BinOut {
  private static readonly utf8 = new TextEncoder();
  private buf = new Uint8Array(1 << 20);
  private len = 0;

  byte(c: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = c;
  }

  /** a non-negative safe integer */
  uint(x: number): void {
    if (this.len > this.buf.length - 10) this.grow(10);
    const b = this.buf;
    let at = this.len;
    // the groups above 31 bits in double arithmetic, then the rest in 32-bit integer arithmetic
    while (x > 0x7fffffff) {
      b[at++] = (x % 128) + 128;
      x = Math.floor(x / 128);
    }
    while (x >= 128) {
      b[at++] = (x & 127) | 128;
      x >>>= 7;
    }
    b[at++] = x;
    this.len = at;
  }

  /** a string as UTF-8, after its length in bytes (a varint: at most 5 bytes for any string) */
  text(s: string): void {
    const room = s.length * 3 + 5;
    if (this.len + room > this.buf.length) this.grow(room);
    // encoded after room for the longest length, then moved back to just after the length's bytes
    const at = this.len + 5;
    const n = BinOut.utf8.encodeInto(s, this.buf.subarray(at)).written;
    this.uint(n);
    if (this.len !== at) this.buf.copyWithin(this.len, at, at + n);
    this.len += n;
  }

  /** a column's token for a number x (an integer, |x| <= MAX_TOKEN): zigzag(x) + 1 */
  token(x: number): void {
    const u = (x >= 0 ? 2 * x : -2 * x - 1) + 1;
    if (u < 128 && this.len < this.buf.length) this.buf[this.len++] = u;
    else this.uint(u);
  }

  /** a column's token for a literal: 0, then the value as JSON text */
  literal(v: unknown): void {
    this.byte(0);
    this.text(JSON.stringify(v));
  }

  /**
   * the tokens of `count` samples in which the leaf did not change (a step of 0): the first is the
   * difference to the last step `run` (NaN: none; -run fits a token), the others 0
   */
  unchanged(count: number, run: number): void {
    if (run === run && run !== 0) {
      this.token(-run);
      count--;
    }
    if (this.len + count > this.buf.length) this.grow(count);
    this.buf.fill(1, this.len, this.len + count);
    this.len += count;
  }

  /** the bytes written since the last take, and start again (the buffer stays) */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }

  private grow(need: number): void {
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + need));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
}

class Segment {
  readonly shape: Shape | null;
  readonly keyText: string;
  /** the leaf values of the key */
  readonly keyLeaves: unknown[];
  /** the leaf values of the last sample */
  private readonly last: unknown[];
  /** this segment's changes are the block's log from entry `from` on (to the next segment's `from`) */
  readonly from: number;
  /** samples after the key */
  n = 0;
  /** where each sample's changes start in the log (sample s at starts[s - 1]; they end where the next starts) */
  private readonly starts: number[] = [];

  /**
   * A segment keyed by `s`. `before` is the last segment of the previous block: when `s` has its shape,
   * that shape (and its leaf array) is taken over, brought to `s`'s values by one walk, instead of being
   * built again (a 100-guest sample has ~46k leaves); the bytes written are the same either way.
   */
  constructor(s: RawSample, private readonly log: ChangeLog, before: Segment | null = null) {
    this.from = log.len;
    // the key is serialised now: it holds exactly what the sample was when it was read
    this.keyText = JSON.stringify(s);
    const kept = before === null ? null : before.takeOver(s);
    if (kept !== null) {
      this.shape = kept.shape;
      this.last = kept.last;
      this.keyLeaves = kept.last.slice();
      return;
    }
    const leaves: unknown[] = [];
    this.shape = shapeOf(s, leaves);
    this.keyLeaves = leaves;
    this.last = leaves.slice();
  }

  /** this segment's shape and leaf values, brought to `s` (null when `s` has another shape); ends it */
  private takeOver(s: RawSample): { shape: Shape; last: unknown[] } | null {
    const shape = this.shape;
    if (shape === null) return null;
    const log = this.log;
    const mark = log.len;
    const ok = s === shape.seen || scan(shape, s, this.last, log);
    log.cut(mark); // the walk only brings the leaf values to `s`: the key holds them
    return ok ? { shape, last: this.last } : null;
  }

  /** add a sample of this shape; false (nothing added) when its shape differs */
  add(s: RawSample): boolean {
    const log = this.log;
    const mark = log.len;
    if (this.shape === null || (s !== this.shape.seen && !scan(this.shape, s, this.last, log))) {
      log.cut(mark); // this segment takes no more samples: its last values no longer matter
      return false;
    }
    this.starts.push(mark);
    this.n++;
    return true;
  }

  /** the segment's bytes: key, n, leaf gaps, columns (see the header) */
  write(w: BinOut, to: number): void {
    const { log, keyLeaves, n, from } = this;
    // (each loop is a function of its own: the compiler optimises one without waiting for the others)
    const changed = changedLeaves(log, from, to, keyLeaves.length);
    w.text(this.keyText);
    w.uint(n);
    writeLeafGaps(w, changed);
    // per sample, its first change not yet written (sample s at cursor[s]; it ends at cursor[s + 1]'s start)
    const ends = new Int32Array(n + 2);
    for (let s = 1; s <= n; s++) ends[s] = this.starts[s - 1] as number;
    ends[n + 1] = to;
    const cursor = ends.slice();
    writeColumns(w, changed, keyLeaves, log, cursor, ends, n);
  }
}

function isCounter(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** the most fractional digits a decimal column is scaled by */
const MAX_SCALE = 12;

/** digits after the point of a number's shortest decimal form; null when it has an exponent */
function fracDigits(v: number): number | null {
  const t = String(v);
  if (t.includes('e')) return null;
  const dot = t.indexOf('.');
  return dot < 0 ? 0 : t.length - dot - 1;
}

/**
 * v as an integer count of 10^-scale (exact: built from v's shortest decimal form, which parses back to
 * v); null when v is not a finite number, needs more digits, or the count is not a safe integer.
 * Scale 0 is the plain counter case: safe integers only.
 */
export function scaled(v: unknown, scale: number): number | null {
  if (scale === 0) return isCounter(v) ? v : null;
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  // arithmetic first: when m / 10^scale gives v back and |m| < 2^52, m is the only count of 10^-scale
  // that does (two counts 1 apart differ by more than v's rounding step there), so it is the one the
  // decimal form gives; v's decimal form has no exponent from 1e-6 on (and below 2^52 < 1e21)
  const p = POW10[scale] as number;
  const c = Math.round(v * p);
  if (c / p === v && c !== 0 && c < 2 ** 52 && c > -(2 ** 52) && (v >= 1e-6 || v <= -1e-6)) return c;
  const t = String(v);
  if (t.includes('e')) return null;
  const dot = t.indexOf('.');
  const frac = dot < 0 ? '' : t.slice(dot + 1);
  if (frac.length > scale) return null;
  const m = Number((dot < 0 ? t : t.slice(0, dot)) + frac.padEnd(scale, '0'));
  return Number.isSafeInteger(m) ? m : null;
}

/** the largest step a token holds (its zigzag form plus one stays a safe integer) */
const MAX_TOKEN = 2 ** 52 - 1;

/** an integer a token can hold */
function isToken(v: number): boolean {
  return Math.floor(v) === v && v <= MAX_TOKEN && v >= -MAX_TOKEN;
}

/** Number.isSafeInteger, in arithmetic the compiler keeps inline (no boxed number per call) */
function isSafe(v: number): boolean {
  return Math.floor(v) === v && v <= Number.MAX_SAFE_INTEGER && v >= -Number.MAX_SAFE_INTEGER;
}

/** scaled(), with NaN for null (the encoder keeps its numbers unboxed) */
function scaledOrNaN(v: unknown, scale: number): number {
  if (scale === 0) return typeof v === 'number' && isSafe(v) ? v : NaN;
  const m = scaled(v, scale);
  return m === null ? NaN : m;
}

/** 10^0 .. 10^MAX_SCALE, each exact as a double */
const POW10 = Array.from({ length: MAX_SCALE + 1 }, (_, i) => 10 ** i);

/**
 * the number of 10^-scale counted by m (a safe integer): m / 10^scale, the double nearest to that
 * decimal (one correctly rounded division of two exact doubles), so the value its decimal form parses to
 */
export function unscaled(m: number, scale: number): number {
  return scale === 0 ? m : m / (POW10[scale] as number);
}

/**
 * The leaves of the log's entries from..to (each changed in some sample): 1 there, and the count of
 * them at the end (index `leaves`).
 */
function changedLeaves(log: ChangeLog, from: number, to: number, leaves: number): Uint8Array {
  const changed = new Uint8Array(leaves + 1);
  const leaf = log.leaf;
  for (let e = from; e < to; e++) changed[leaf[e] as number] = 1;
  return changed;
}

/** how many leaves have a column, then their numbers, each as the gap to the one before */
function writeLeafGaps(w: BinOut, changed: Uint8Array): void {
  const leaves = changed.length - 1;
  let cols = 0;
  for (let i = 0; i < leaves; i++) cols += changed[i] as number;
  w.uint(cols);
  let prev = 0;
  for (let i = 0; i < leaves; i++) {
    if (changed[i] === 0) continue;
    w.uint(i - prev);
    prev = i;
  }
}

/**
 * The columns, leaf by leaf. No sort: a sample's changes are in the log in leaf order (the walk is), so
 * a leaf's changes are at the front of what is left of each sample's run (cursor[s] .. ends[s + 1]);
 * they are gathered into the log's column room (sample by sample: a column of the leaf after reads the
 * same parts of the log again while they are in the cache) and written from there.
 */
function writeColumns(w: BinOut, changed: Uint8Array, keyLeaves: readonly unknown[], log: ChangeLog, cursor: Int32Array, ends: Int32Array, n: number): void {
  const col = log.byLeaf(n + 1);
  const { order, at, num } = col;
  const leaf = log.leaf;
  const lnum = log.num;
  const leaves = changed.length - 1;
  let gathered = 0;
  for (let i = 0; i < leaves; i++) {
    if (changed[i] === 0) continue;
    let c = 0;
    for (let s = 1; s <= n; s++) {
      const e = cursor[s] as number;
      if (e < (ends[s + 1] as number) && leaf[e] === i) {
        order[c] = e;
        at[c] = s;
        num[c] = lnum[e] as number;
        c++;
        cursor[s] = e + 1;
      }
    }
    gathered += c;
    writeColumn(w, keyLeaves[i], col, 0, c, n);
  }
  // every change is in a column (the walk records a sample's leaves ascending, each once)
  if (gathered !== ends[n + 1]! - ends[1]!) throw new Error('recording encoder: a sample\'s changes are not in leaf order');
}

/** one leaf's changes, in sample order: log entry, sample number, value (NaN: see the log) */
interface ByLeaf {
  order: Int32Array;
  at: Int32Array;
  num: Float64Array;
  log: ChangeLog;
}

/**
 * The scale of a column: 0, or the most fractional digits of its numbers when one is not an integer
 * (the key's value and the values num[from..to); a value that is not a number is NaN there).
 */
function columnScale(start: unknown, num: Float64Array, from: number, to: number): number {
  let scale = typeof start === 'number' ? digitsOf(start) : -1;
  for (let k = from; k < to; k++) {
    const v = num[k] as number;
    if (Math.floor(v) === v) continue; // the common case: an integer
    const d = digitsOf(v);
    if (d > scale) scale = d;
  }
  return scale > 0 ? scale : 0;
}

/**
 * the digits a number adds to its column's scale: -1 for none (an integer, not finite (a value that is
 * not a number is NaN in the log), or one written as a literal); as many as its shortest decimal form has
 */
export function digitsOf(v: number): number {
  if (Math.floor(v) === v || !Number.isFinite(v)) return -1;
  // arithmetic first: the fewest digits d for which some m / 10^d gives v back are the digits of v's
  // shortest decimal form (a form with fewer would be shorter); Math.round finds that m while
  // |m| < 2^51 (v * 10^d is then within 1/2 of it); else, or past MAX_SCALE, the decimal form decides
  const a = v < 0 ? -v : v;
  if (a >= 1e-6) {
    for (let d = 1; d <= MAX_SCALE; d++) {
      const p = POW10[d] as number;
      const c = Math.round(a * p);
      if (c >= 2 ** 51) break;
      if (c / p === a) return d;
    }
  }
  const d = fracDigits(v);
  return d === null || d > MAX_SCALE ? -1 : d;
}

/**
 * The column of a leaf (its scale, then n tokens): the leaf's value at samples 1..n, each relative to
 * the one before (starting at the key's); then a number that follows a number in the column is stored as
 * the difference to it (a counter that grows at a steady pace becomes small numbers). Where that
 * difference does not fit a token, the value is written as a literal, which restarts the run. A column of
 * decimals (times in ms with a fraction) counts in units of 10^-scale, so its steps are integers too. The
 * column's changes are the log's entries order[from..to), in sample order; the samples between two
 * changes are written in one go.
 */
function writeColumn(w: BinOut, start: unknown, byLeaf: ByLeaf, from: number, to: number, n: number): void {
  const { at, num, order, log } = byLeaf;
  const scale = columnScale(start, num, from, to);
  w.byte(scale);
  // plain doubles, NaN for "none" (no boxing per token): the value in units of the scale, the last step
  let sp = scaledOrNaN(start, scale);
  let run = NaN;
  /** the leaf's value at the last sample written */
  let cur: unknown = start;
  // the samples before the next change: unchanged (a step of 0), written in one go
  let s = 1;
  for (let k = from; k < to; k++) {
    const sk = at[k] as number;
    if (sk > s) {
      writeUnchanged(w, sk - s, run, cur);
      run = 0;
    }
    s = sk + 1;
    const x = num[k] as number;
    let v: unknown = x;
    let sv = NaN;
    if (x === x) sv = scale === 0 ? (isSafe(x) ? x : NaN) : scaledOrNaN(x, scale);
    else v = log.value(order[k] as number); // NaN itself, or a value that is not a number
    cur = v;
    let t = sv - sp; // NaN when either is not on the scale
    if (!isSafe(t)) t = NaN;
    sp = sv;
    if (t === t && (run !== run ? isToken(t) : isToken(t - run))) {
      w.token(run !== run ? t : t - run);
      run = t;
    } else {
      w.literal(v);
      run = NaN;
    }
  }
  if (n + 1 > s) writeUnchanged(w, n + 1 - s, run, cur);
}

/**
 * `count` samples in which the leaf kept its value `cur` after a step `run` (NaN: none): the first token
 * is the difference to that step, and when it does not fit a token (a step beyond 2^52), the value as a
 * literal instead; the others 0
 */
function writeUnchanged(w: BinOut, count: number, run: number, cur: unknown): void {
  if (run === run && !isToken(-run)) {
    w.literal(cur);
    w.unchanged(count - 1, NaN);
  } else {
    w.unchanged(count, run);
  }
}

/** Builds one block incrementally (the recorder appends each sample as it is read). */
export class BlockBuilder {
  private segs: Segment[] = [];
  /** the changes of the block's segments, one after the other (kept across blocks: no regrowing) */
  private readonly log = new ChangeLog();
  private readonly out = new BinOut();
  private cur: Segment | null = null;
  /** the last segment of the block before (its shape is taken over when the next sample fits it) */
  private before: Segment | null = null;
  firstWallMs = 0;
  lastWallMs = 0;
  firstMonoMs = 0;
  lastMonoMs = 0;
  guestSamples = 0;
  count = 0;

  add(s: RawSample): void {
    if (this.cur === null || !this.cur.add(s)) {
      this.cur = new Segment(s, this.log, this.before);
      this.before = null;
      this.segs.push(this.cur);
    }
    if (this.count === 0) {
      this.firstWallMs = s.wallMs;
      this.firstMonoMs = s.monoMs;
    }
    this.count++;
    this.lastWallMs = s.wallMs;
    this.lastMonoMs = s.monoMs;
    this.guestSamples += s.guests.length;
  }

  /** The block's bytes (format 3: the format byte, the number of segments, the segments), and reset. */
  take(): Uint8Array {
    if (this.count === 0) throw new Error('empty block');
    const w = this.out;
    w.byte(BLOCK_FORMAT);
    w.uint(this.segs.length);
    this.segs.forEach((s, i) => s.write(w, this.segs[i + 1]?.from ?? this.log.len));
    const bytes = w.take();
    this.segs = [];
    this.before = this.cur;
    this.cur = null;
    this.log.cut(0);
    this.count = 0;
    this.guestSamples = 0;
    return bytes;
  }
}

/**
 * A copy of `prev` (a sample of the segment's shape) with the leaves in changed[from..to) set from
 * `leaves`; subtrees without a change are shared with `prev`.
 */
function rebuild(node: Shape, prev: unknown, leaves: readonly unknown[], changed: readonly number[], pos: { i: number }): unknown {
  const end = node.first + node.leaves;
  const { kids, leafOf } = node;
  const isArr = node.kind === ARR;
  const c: unknown = isArr ? (prev as unknown[]).slice() : { ...(prev as Obj) };
  for (let k = 0; k < kids.length && pos.i < changed.length && (changed[pos.i] as number) < end; k++) {
    const key = isArr ? k : (node.keys[k] as string);
    const li = leafOf[k] as number;
    const at = changed[pos.i] as number;
    if (li >= 0) {
      if (at === li) { pos.i++; (c as Obj)[key] = leaves[li]; }
    } else {
      const kid = kids[k] as Shape;
      if (at < kid.first + kid.leaves) (c as Obj)[key] = rebuild(kid, (c as Obj)[key], leaves, changed, pos);
    }
  }
  return c;
}

function decodeSegment(seg: unknown, out: RawSample[]): void {
  if (typeof seg !== 'object' || seg === null) bad('a segment is not an object');
  const { k, n, i, c } = seg as Obj;
  if (typeof k !== 'object' || k === null || Array.isArray(k)) bad('a segment has no key sample');
  if (!Number.isSafeInteger(n) || (n as number) < 0 || !Array.isArray(i) || !Array.isArray(c) || i.length !== c.length) bad('a segment has no columns');
  const leaves: unknown[] = [];
  const shape = shapeOf(k, leaves);
  const idx: number[] = [];
  let at = 0;
  for (const gap of i as unknown[]) {
    if (!Number.isSafeInteger(gap) || (idx.length > 0 ? (gap as number) <= 0 : (gap as number) < 0)) bad('a leaf number is not ascending');
    at += gap as number;
    if (at >= leaves.length) bad('a leaf number is past the key');
    idx.push(at);
  }
  // a decimal column starts with "e<scale>": its numbers count 10^-scale
  const scales: number[] = [];
  const cols: unknown[][] = [];
  for (const col of c as unknown[]) {
    if (!Array.isArray(col)) bad('a column is not a list');
    const m = typeof col[0] === 'string' ? /^e(\d+)$/.exec(col[0]) : null;
    if (typeof col[0] === 'string' && (!m || Number(m[1]) > MAX_SCALE)) bad('a column has an unknown scale');
    scales.push(m ? Number(m[1]) : 0);
    cols.push(m ? col.slice(1) : col);
    if ((cols[cols.length - 1] as unknown[]).length !== n) bad('a column has the wrong length');
  }
  // per column, the leaf's value in units of its scale (null: not a number on that scale)
  const units = idx.map((li, j) => scaled(leaves[li], scales[j] as number));
  let prev = k as unknown as RawSample;
  out.push(prev);
  const changed: number[] = [];
  const pos = { i: 0 };
  // per column, the last number token (the run second-order differences are relative to)
  const runs = new Array<number | null>(idx.length).fill(null);
  for (let s = 0; s < (n as number); s++) {
    changed.length = 0;
    for (let j = 0; j < idx.length; j++) {
      const stored = (cols[j] as unknown[])[s];
      const li = idx[j] as number;
      if (typeof stored === 'number') {
        const run = runs[j] as number | null;
        const t = run === null ? stored : run + stored;
        runs[j] = t;
        if (t === 0) continue;
        const u = units[j] as number | null;
        if (u === null) bad('a delta on a value that is not a counter');
        units[j] = u + t;
        leaves[li] = unscaled(u + t, scales[j] as number);
      } else if (Array.isArray(stored) && stored.length === 1) {
        runs[j] = null;
        if (isWalked(stored[0])) bad('a container where a value belongs');
        leaves[li] = stored[0];
        units[j] = scaled(stored[0], scales[j] as number);
      } else {
        bad('unexpected token in a column');
      }
      changed.push(li);
    }
    pos.i = 0;
    prev = (changed.length === 0 ? { ...prev } : shape === null ? leaves[0] : rebuild(shape, prev, leaves, changed, pos)) as RawSample;
    out.push(prev);
  }
}

/** Reads a format 3 block: varints, bytes, UTF-8 text; anything past the end is corruption. */
class BinIn {
  private static readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  at = 0;
  constructor(private readonly b: Uint8Array) {}

  get done(): boolean { return this.at === this.b.length; }
  get left(): number { return this.b.length - this.at; }

  byte(): number {
    if (this.at >= this.b.length) bad('truncated');
    return this.b[this.at++] as number;
  }

  uint(): number {
    let x = 0;
    let mul = 1;
    for (;;) {
      const c = this.byte();
      x += (c & 127) * mul;
      if (c < 128) break;
      mul *= 128;
      if (mul > 2 ** 49) bad('a number is too long');
    }
    if (!Number.isSafeInteger(x)) bad('a number is too big');
    return x;
  }

  text(): string {
    const n = this.uint();
    if (this.at + n > this.b.length) bad('truncated');
    try {
      return BinIn.utf8.decode(this.b.subarray(this.at, (this.at += n)));
    } catch {
      return bad('text that is not UTF-8');
    }
  }

  json(): unknown {
    const t = this.text();
    try { return JSON.parse(t); } catch { return bad('a value is not JSON'); }
  }
}

/** the most samples a segment may claim (a block of a week at one sample per second is 604 800) */
const MAX_SEGMENT = 1e7;

/** a format 3 segment read into the form of a format 2 one ({k, n, i, c}: decodeSegment checks it) */
function readSegment(r: BinIn): Obj {
  const k = r.json();
  const n = r.uint();
  const cols = r.uint();
  // every gap and token takes a byte at least
  if (cols > r.left || (cols > 0 && n > r.left) || n > MAX_SEGMENT) bad('truncated');
  const i: number[] = [];
  for (let j = 0; j < cols; j++) i.push(r.uint());
  const c: unknown[][] = [];
  for (let j = 0; j < cols; j++) {
    const scale = r.byte();
    if (scale > MAX_SCALE) bad('a column has an unknown scale');
    const col: unknown[] = scale > 0 ? [`e${scale}`] : [];
    for (let t = 0; t < n; t++) {
      const u = r.uint();
      if (u === 0) col.push([r.json()]);
      else col.push((u - 1) % 2 === 0 ? (u - 1) / 2 : -(u / 2));
    }
    c.push(col);
  }
  return { k, n, i, c };
}

/**
 * Parse a block back into its samples, oldest first: format 3 bytes, or the JSON text of a format 2
 * block (recordings made before format 3; as bytes or as a string).
 */
export function decodeBlock(data: Uint8Array | string): RawSample[] {
  if (typeof data !== 'string' && data[0] === BLOCK_FORMAT) return decodeBinary(data);
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  let b: unknown;
  try { b = JSON.parse(text); } catch { bad(`neither a version ${BLOCK_FORMAT} block nor JSON`); }
  if (typeof b !== 'object' || b === null || (b as Obj).v !== TEXT_BLOCK_FORMAT || !Array.isArray((b as Obj).s)) bad(`not a version ${TEXT_BLOCK_FORMAT} block`);
  const out: RawSample[] = [];
  for (const seg of (b as Obj).s as unknown[]) decodeSegment(seg, out);
  if (out.length === 0) bad('no samples');
  return out;
}

/** The segments of a format 3 block in the form of a format 2 one ({k, n, i, c}), to look at its layout. */
export function blockSegments(data: Uint8Array): unknown[] {
  const r = new BinIn(data);
  if (r.byte() !== BLOCK_FORMAT) bad(`not a version ${BLOCK_FORMAT} block`);
  const segs = r.uint();
  const out: unknown[] = [];
  for (let i = 0; i < segs; i++) out.push(readSegment(r));
  return out;
}

function decodeBinary(data: Uint8Array): RawSample[] {
  const r = new BinIn(data);
  r.byte();
  const segs = r.uint();
  const out: RawSample[] = [];
  for (let i = 0; i < segs; i++) decodeSegment(readSegment(r), out);
  if (!r.done) bad('bytes after the last segment');
  if (out.length === 0) bad('no samples');
  return out;
}
