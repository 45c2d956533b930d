// Owns the sample-block encoding of a recording (format version 2). A block is a list of segments; a
// segment is a run of samples of one shape (same keys in the same order, same array lengths, the same
// values null or not-a-container at the same places), stored column-wise:
//   k  the segment's first sample in full (JSON)
//   n  how many samples follow it
//   i  the leaves (values that are not a non-empty object or array, numbered depth-first in key order)
//      that change anywhere in the segment, ascending, each as the gap to the one before (the first as is)
//   c  one column per leaf of `i`, n tokens: a number t is "previous value + t" when the previous value is
//      a safe integer (counters become deltas) and "unchanged" (t = 0) otherwise; [v] is the new value v
//      (floats, strings, null <-> value, an empty container). A number that follows a number in its
//      column is stored as the difference to it (steady counters become small numbers; columnText).
//      A column whose numbers have fractions starts with "e<scale>" and counts in units of 10^-scale
//      (built from each number's shortest decimal form, so exact).
// A leaf that never changes in a segment costs nothing after the key; a sample of another shape starts a
// new segment (it is the new segment's key), so any sequence of JSON samples is stored exactly. The
// encoder walks each sample once against the segment's shape (no token rows); a block that starts with the
// shape its predecessor ended with takes that shape over (the text is the same as if built afresh). The
// decoder rebuilds a sample from the one before, sharing the subtrees in which nothing changed. Keys whose
// value is undefined are not part of a sample (JSON drops them). Generic: a new field of the raw sample
// needs no change here. Pure: the adapter compresses the block's text.

import type { RawSample } from '../model/sample.js';

export const BLOCK_FORMAT = 2;

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
 * What changed in a segment, in the order the walks saw it: leaf number, sample number (1-based) and new
 * value, in typed arrays (numbers unboxed: a change costs no allocation); values that are not numbers
 * are kept beside, by entry.
 */
class ChangeLog {
  leaf = new Int32Array(4096);
  at = new Int32Array(4096);
  num = new Float64Array(4096);
  readonly other = new Map<number, unknown>();
  len = 0;
  /** the sample number the current walk records */
  now = 0;

  push(i: number, v: unknown): void {
    if (this.len === this.leaf.length) this.grow();
    const e = this.len++;
    this.leaf[e] = i;
    this.at[e] = this.now;
    if (typeof v === 'number') this.num[e] = v;
    else {
      this.num[e] = NaN;
      this.other.set(e, v);
    }
  }

  value(e: number): unknown {
    const x = this.num[e] as number;
    return x === x ? x : this.other.has(e) ? this.other.get(e) : x;
  }

  /** the entries grouped by leaf (groupByLeaf) */
  sorted: ByLeaf | null = null;

  /** room for `n` entries grouped by leaf (kept from block to block) */
  byLeaf(n: number): ByLeaf {
    if (this.sorted === null || this.sorted.at.length < n) {
      const size = Math.max(n, this.leaf.length);
      let tok = new Float64Array(256);
      const tokens = (m: number): Float64Array => (tok.length >= m ? tok : (tok = new Float64Array(m * 2)));
      this.sorted = { tokens, order: new Int32Array(size), at: new Int32Array(size), num: new Float64Array(size), log: this };
    }
    return this.sorted;
  }

  /** forget the entries from `len` on (what a walk that met another shape recorded) */
  cut(len: number): void {
    for (const e of this.other.keys()) if (e >= len) this.other.delete(e);
    this.len = len;
  }

  private grow(): void {
    const n = this.leaf.length * 2;
    const leaf = new Int32Array(n); leaf.set(this.leaf); this.leaf = leaf;
    const at = new Int32Array(n); at.set(this.at); this.at = at;
    const num = new Float64Array(n); num.set(this.num); this.num = num;
  }
}

/** a leaf that is not === its last value: record it (false when it became a non-empty container) */
function leafChanged(v: unknown, last: unknown[], i: number, log: ChangeLog): boolean {
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
 * The text of a block, written as ASCII bytes (digits, commas, brackets: no string per token) into one
 * buffer kept from block to block, and turned into a string once per run of bytes; other text (the key
 * samples, literals) goes in as strings. Few, big strings: little for the garbage collector to do.
 */
class TextOut {
  private static readonly latin1 = new TextDecoder('latin1');
  private buf = new Uint8Array(1 << 20);
  private len = 0;
  /** where the bytes not yet turned into a piece start */
  private mark = 0;
  private pieces: string[] = [];

  byte(c: number): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[this.len++] = c;
  }

  /** a safe integer, in decimal */
  int(x: number): void {
    if (this.len > this.buf.length - 24) this.grow();
    const b = this.buf;
    if (x < 0) { b[this.len++] = 45; x = -x; }
    if (x < 10) { b[this.len++] = 48 + x; return; }
    if (x >= 1e9) { this.ascii(String(x)); return; }
    let d = this.len;
    while (x > 0) {
      const q = (x / 10) | 0;
      b[this.len++] = 48 + x - q * 10;
      x = q;
    }
    let e = this.len - 1;
    while (d < e) {
      const t = b[d] as number;
      b[d++] = b[e] as number;
      b[e--] = t;
    }
  }

  /**
   * n tokens, comma-separated: safe integers, and NaN for a literal (its value in `lits`, written as [v]).
   * The common token, a small integer, is written here without a call.
   */
  tokens(tok: Float64Array, n: number, lits: Map<number, unknown> | null): void {
    for (let s = 0; s < n; s++) {
      if (this.len > this.buf.length - 32) this.grow();
      const b = this.buf;
      if (s > 0) b[this.len++] = 44;
      let x = tok[s] as number;
      if (x !== x) {
        this.byte(91);
        this.str(JSON.stringify(lits?.get(s)));
        this.byte(93);
        continue;
      }
      if (x < 0) { b[this.len++] = 45; x = -x; }
      if (x < 10) { b[this.len++] = 48 + x; continue; }
      if (x < 100) { const q = (x / 10) | 0; b[this.len++] = 48 + q; b[this.len++] = 48 + x - q * 10; continue; }
      this.int(x);
    }
  }

  /** a string of character codes below 128 */
  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }

  /** any string (appended as it is) */
  str(s: string): void {
    if (s.length < 64 && isAscii(s)) { this.ascii(s); return; }
    this.cut();
    this.pieces.push(s);
  }

  /** the text written since the last take, and start again (the buffer stays) */
  take(): string {
    this.cut();
    const text = this.pieces.length === 1 ? this.pieces[0] as string : this.pieces.join('');
    this.pieces = [];
    this.len = 0;
    this.mark = 0;
    return text;
  }

  private cut(): void {
    if (this.len === this.mark) return;
    this.pieces.push(TextOut.latin1.decode(this.buf.subarray(this.mark, this.len)));
    this.mark = this.len;
  }

  private grow(): void {
    const b = new Uint8Array(this.buf.length * 2);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
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

  /**
   * A segment keyed by `s`. `before` is the last segment of the previous block: when `s` has its shape,
   * that shape (and its leaf array) is taken over, brought to `s`'s values by one walk, instead of being
   * built again (a 100-guest sample has ~46k leaves); the text written is the same either way.
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
    log.now = this.n + 1;
    if (this.shape === null || (s !== this.shape.seen && !scan(this.shape, s, this.last, log))) {
      log.cut(mark); // this segment takes no more samples: its last values no longer matter
      return false;
    }
    this.n++;
    return true;
  }

  /** the segment's JSON text: {k, n, i, c} */
  write(w: TextOut, to: number): void {
    const { log, keyLeaves, n, from } = this;
    // (each loop is a function of its own: the compiler optimises one without waiting for the others)
    const start = groupByLeaf(log, from, to, keyLeaves.length);
    const byLeaf = log.sorted as ByLeaf;
    w.ascii('{"k":');
    w.str(this.keyText);
    w.ascii(',"n":');
    w.int(n);
    w.ascii(',"i":[');
    writeLeafGaps(w, start);
    w.ascii('],"c":[');
    writeColumns(w, start, keyLeaves, byLeaf, n);
    w.ascii(']}');
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
function scaled(v: unknown, scale: number): number | null {
  if (scale === 0) return isCounter(v) ? v : null;
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  const t = String(v);
  if (t.includes('e')) return null;
  const dot = t.indexOf('.');
  const frac = dot < 0 ? '' : t.slice(dot + 1);
  if (frac.length > scale) return null;
  const m = Number((dot < 0 ? t : t.slice(0, dot)) + frac.padEnd(scale, '0'));
  return Number.isSafeInteger(m) ? m : null;
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

/** the number of 10^-scale counted by m: parsed from its decimal form, so exactly the value scaled() read */
function unscaled(m: number, scale: number): number {
  if (scale === 0) return m;
  const digits = String(Math.abs(m)).padStart(scale + 1, '0');
  return Number(`${m < 0 ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
}

/**
 * The log's entries from..to grouped by leaf, in sample order (a counting sort into the log's `sorted`,
 * entry, sample number and value, so a column is read in one sweep); the start of each leaf's run.
 */
function groupByLeaf(log: ChangeLog, from: number, to: number, leaves: number): Int32Array {
  const start = new Int32Array(leaves + 1);
  const leaf = log.leaf;
  for (let e = from; e < to; e++) (start[(leaf[e] as number) + 1] as number)++;
  for (let i = 0; i < leaves; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
  const fill = start.slice(0, leaves);
  const { order, at, num } = log.byLeaf(to - from);
  for (let e = from; e < to; e++) {
    const k = (fill[leaf[e] as number] as number)++;
    order[k] = e;
    at[k] = log.at[e] as number;
    num[k] = log.num[e] as number;
  }
  return start;
}

/** the numbers of the leaves with a column, each as the gap to the one before */
function writeLeafGaps(w: TextOut, start: Int32Array): void {
  let prev = 0;
  let more = false;
  for (let i = 0; i + 1 < start.length; i++) {
    if (start[i + 1] === start[i]) continue;
    if (more) w.byte(44);
    more = true;
    w.int(i - prev);
    prev = i;
  }
}

function writeColumns(w: TextOut, start: Int32Array, keyLeaves: readonly unknown[], byLeaf: ByLeaf, n: number): void {
  let more = false;
  for (let i = 0; i + 1 < start.length; i++) {
    if (start[i + 1] === start[i]) continue;
    if (more) w.byte(44);
    more = true;
    columnText(w, keyLeaves[i], byLeaf, start[i] as number, start[i + 1] as number, n);
  }
}

/** a segment's changes grouped by leaf, in sample order: log entry, sample number, value (NaN: see the log) */
interface ByLeaf {
  /** room for a column's tokens */
  tokens(n: number): Float64Array;
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
 * not a number is NaN in the log), or one written as a literal)
 */
function digitsOf(v: number): number {
  if (Math.floor(v) === v || !Number.isFinite(v)) return -1;
  const d = fracDigits(v);
  return d === null || d > MAX_SCALE ? -1 : d;
}

/**
 * n tokens: the leaf's value at samples 1..n, each relative to the one before (starting at the key's);
 * then a number that follows a number in the column is stored as the difference to it (a counter that
 * grows at a steady pace becomes small numbers). Where that difference is not a safe integer, the value
 * is written as a literal, which restarts the run. A column of decimals (times in ms with a fraction)
 * counts in units of 10^-scale, written first as "e<scale>", so its steps are integers too. The column's
 * changes are the log's entries order[from..to), in sample order.
 */
function columnText(w: TextOut, start: unknown, byLeaf: ByLeaf, from: number, to: number, n: number): void {
  const { at, num, order, log } = byLeaf;
  const scale = columnScale(start, num, from, to);
  w.byte(91);
  if (scale > 0) w.ascii(`"e${scale}",`);
  // plain doubles, NaN for "none" (no boxing per token): the value in units of the scale, the last step;
  // the last value itself is kept as a double when it is a number
  let prevIsNum = typeof start === 'number';
  let prevNum = prevIsNum ? (start as number) : NaN;
  let prevOther: unknown = start;
  let sp = scaledOrNaN(start, scale);
  let run = NaN;
  let k = from;
  let next = k < to ? (at[k] as number) : 0;
  // the tokens first (NaN: a literal, its value in `lits`), then written in one sweep
  const tok = byLeaf.tokens(n);
  let lits: Map<number, unknown> | null = null;
  for (let s = 1; s <= n; s++) {
    let t = 0;
    if (s === next) {
      const x = num[k] as number;
      let sv: number;
      if (x === x) {
        sv = scale === 0 ? (isSafe(x) ? x : NaN) : scaledOrNaN(x, scale);
        prevNum = x;
        prevIsNum = true;
      } else {
        // NaN itself, or a value that is not a number
        const v = log.value(order[k] as number);
        sv = NaN;
        prevIsNum = typeof v === 'number';
        if (prevIsNum) prevNum = v as number;
        else prevOther = v;
      }
      k++;
      next = k < to ? (at[k] as number) : 0;
      t = sv - sp; // NaN when either is not on the scale
      if (!isSafe(t)) t = NaN;
      sp = sv;
    }
    if (t === t && (run !== run || isSafe(t - run))) {
      tok[s - 1] = run !== run ? t : t - run;
      run = t;
    } else {
      tok[s - 1] = NaN;
      (lits ??= new Map()).set(s - 1, prevIsNum ? prevNum : prevOther);
      run = NaN;
    }
  }
  w.tokens(tok, n, lits);
  w.byte(93);
}

/** Builds one block incrementally (the recorder appends each sample as it is read). */
export class BlockBuilder {
  private segs: Segment[] = [];
  /** the changes of the block's segments, one after the other (kept across blocks: no regrowing) */
  private readonly log = new ChangeLog();
  private readonly out = new TextOut();
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

  /** The block as JSON text ({v, s: segments}), and reset. */
  take(): string {
    if (this.count === 0) throw new Error('empty block');
    const w = this.out;
    w.ascii(`{"v":${BLOCK_FORMAT},"s":[`);
    this.segs.forEach((s, i) => {
      if (i > 0) w.byte(44);
      s.write(w, this.segs[i + 1]?.from ?? this.log.len);
    });
    w.ascii(']}');
    const text = w.take();
    this.segs = [];
    this.before = this.cur;
    this.cur = null;
    this.log.cut(0);
    this.count = 0;
    this.guestSamples = 0;
    return text;
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

/** Parse a block's JSON text back into its samples, oldest first. */
export function decodeBlock(text: string): RawSample[] {
  let b: unknown;
  try { b = JSON.parse(text); } catch { bad('not JSON'); }
  if (typeof b !== 'object' || b === null || (b as Obj).v !== BLOCK_FORMAT || !Array.isArray((b as Obj).s)) bad(`not a version ${BLOCK_FORMAT} block`);
  const out: RawSample[] = [];
  for (const seg of (b as Obj).s as unknown[]) decodeSegment(seg, out);
  if (out.length === 0) bad('no samples');
  return out;
}
