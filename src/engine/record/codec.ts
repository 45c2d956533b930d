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
// encoder walks each sample once against the segment's shape (no token rows); the decoder rebuilds a
// sample from the one before, sharing the subtrees in which nothing changed. Keys whose value is
// undefined are not part of a sample (JSON drops them). Generic: a new field of the raw sample needs no
// change here. Pure: the adapter compresses the block's text.

import type { RawSample } from '../model/sample.js';

export const BLOCK_FORMAT = 2;

const LEAF = 0;
const ARR = 1;
const OBJ = 2;

/** The shape of a segment: a tree of containers whose leaves are numbered depth-first. */
interface Shape {
  kind: typeof LEAF | typeof ARR | typeof OBJ;
  /** defined keys, in order (objects) */
  keys: string[];
  kids: Shape[];
  /** number of the first leaf below (or of this leaf) */
  first: number;
  /** leaves below (1 for a leaf) */
  leaves: number;
  /** the frozen container last scanned here: when the next sample holds the same object, nothing changed */
  seen?: unknown;
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

/** Build the shape of `v`, appending its leaf values to `out` (undefined array items are null, as in JSON). */
function shapeOf(v: unknown, out: unknown[]): Shape {
  const first = out.length;
  if (!isWalked(v)) {
    out.push(v === undefined ? null : v);
    return { kind: LEAF, keys: [], kids: [], first, leaves: 1 };
  }
  if (Array.isArray(v)) {
    const kids = new Array<Shape>(v.length);
    for (let i = 0; i < v.length; i++) kids[i] = shapeOf(v[i], out);
    return { kind: ARR, keys: [], kids, first, leaves: out.length - first };
  }
  const keys: string[] = [];
  const kids: Shape[] = [];
  const o = v as Obj;
  for (const k in o) {
    const x = o[k];
    if (x === undefined) continue;
    keys.push(k);
    kids.push(shapeOf(x, out));
  }
  return { kind: OBJ, keys, kids, first, leaves: out.length - first };
}

/** Where a scan puts what changed: leaf number and new value, flat. */
type Sink = unknown[];

/** a leaf that is not === its last value: record it (false when it became a non-empty container) */
function leafChanged(v: unknown, last: unknown[], i: number, out: Sink): boolean {
  const p = last[i];
  if (typeof v === 'object' && v !== null) {
    if (isWalked(v)) return false;
    if (sameLeaf(p, v)) return true;
  } else if (v === undefined) {
    if (p === null) return true;
    v = null;
  }
  out.push(i, v);
  return true;
}

/**
 * The encoder's walk of one sample against the segment's shape, comparing each leaf with its last value
 * (the leaf checks are inline: most leaves are unchanged and cost one comparison). False when the value
 * has another shape. An object matches when it has exactly the shape's defined keys in the same order.
 * A frozen container that is the same object as in the sample before is skipped (a producer that carries
 * an unchanged part over as one frozen object, like the latency histogram boundaries, costs nothing).
 */
function scan(node: Shape, o: unknown, last: unknown[], out: Sink): boolean {
  if (o === node.seen) return true;
  if (!scanFresh(node, o, last, out)) return false;
  if (Object.isFrozen(o)) node.seen = o;
  return true;
}

function scanFresh(node: Shape, o: unknown, last: unknown[], out: Sink): boolean {
  const kids = node.kids;
  if (node.kind === ARR) {
    if (!Array.isArray(o) || o.length !== kids.length) return false;
    for (let i = 0; i < kids.length; i++) {
      const kid = kids[i] as Shape;
      const v: unknown = o[i];
      if (kid.kind === LEAF) {
        if (v !== last[kid.first] && !leafChanged(v, last, kid.first, out)) return false;
      } else if (!scan(kid, v, last, out)) return false;
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
    const kid = kids[i++] as Shape;
    if (kid.kind === LEAF) {
      if (v !== last[kid.first] && !leafChanged(v, last, kid.first, out)) return false;
    } else if (!scan(kid, v, last, out)) return false;
  }
  return i === n;
}

/** the samples (1-based within the segment) at which a leaf changed and its new values */
const SAME: unique symbol = Symbol('unchanged');

class Segment {
  readonly shape: Shape;
  readonly keyText: string;
  /** the leaf values of the key */
  readonly keyLeaves: unknown[];
  /** the leaf values of the last sample */
  private readonly last: unknown[];
  /** per leaf, its value at samples 1..n (SAME: unchanged; shorter: unchanged since), undefined: never changed */
  readonly cols: Array<unknown[] | undefined>;
  private readonly sink: Sink = [];
  /** samples after the key */
  n = 0;

  constructor(s: RawSample) {
    // the key is serialised now: it holds exactly what the sample was when it was read
    this.keyText = JSON.stringify(s);
    const leaves: unknown[] = [];
    this.shape = shapeOf(s, leaves);
    this.keyLeaves = leaves;
    this.cols = new Array<unknown[] | undefined>(leaves.length);
    this.last = leaves.slice();
  }

  /** add a sample of this shape; false (nothing added) when its shape differs */
  add(s: RawSample): boolean {
    const out = this.sink;
    out.length = 0;
    if (this.shape.kind === LEAF || !scan(this.shape, s, this.last, out)) return false;
    const at = ++this.n;
    const { last, cols } = this;
    for (let j = 0; j < out.length; j += 2) {
      const idx = out[j] as number;
      const v = out[j + 1];
      last[idx] = v;
      let c = cols[idx];
      if (c === undefined) { c = []; cols[idx] = c; }
      while (c.length < at - 1) c.push(SAME);
      c.push(v);
    }
    return true;
  }

  /** the segment's JSON text: {k, n, i, c} */
  text(): string {
    const idx: number[] = [];
    const cols: string[] = [];
    let prevIdx = 0;
    for (let i = 0; i < this.cols.length; i++) {
      const c = this.cols[i];
      if (!c) continue;
      idx.push(i - prevIdx);
      prevIdx = i;
      cols.push(columnText(this.keyLeaves[i], c, this.n));
    }
    return `{"k":${this.keyText},"n":${this.n},"i":[${idx.join(',')}],"c":[${cols.join(',')}]}`;
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

/** the number of 10^-scale counted by m: parsed from its decimal form, so exactly the value scaled() read */
function unscaled(m: number, scale: number): number {
  if (scale === 0) return m;
  const digits = String(Math.abs(m)).padStart(scale + 1, '0');
  return Number(`${m < 0 ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
}

/** the scale of a column: 0, or the most fractional digits of its numbers when one is not an integer */
function columnScale(start: unknown, c: readonly unknown[]): number {
  let scale = 0;
  let frac = false;
  for (let s = -1; s < c.length; s++) {
    const v = s < 0 ? start : c[s];
    if (typeof v !== 'number' || Number.isInteger(v)) continue;
    const d = fracDigits(v);
    if (d === null || d > MAX_SCALE) continue; // written as a literal
    frac = true;
    if (d > scale) scale = d;
  }
  return frac ? scale : 0;
}

/**
 * n tokens: the leaf's value at samples 1..n, each relative to the one before (starting at the key's);
 * then a number that follows a number in the column is stored as the difference to it (a counter that
 * grows at a steady pace becomes small numbers). Where that difference is not a safe integer, the value
 * is written as a literal, which restarts the run. A column of decimals (times in ms with a fraction)
 * counts in units of 10^-scale, written first as "e<scale>", so its steps are integers too.
 */
function columnText(start: unknown, c: readonly unknown[], n: number): string {
  const scale = columnScale(start, c);
  const toks = new Array<number | string>(n);
  let prev = start;
  let sp = scaled(start, scale);
  let run: number | null = null;
  for (let s = 0; s < n; s++) {
    const x = s < c.length ? c[s] : SAME;
    const v = x === SAME ? prev : x;
    const sv = x === SAME ? sp : scaled(v, scale);
    let t: number | null = null;
    if (x === SAME) t = 0;
    else if (sp !== null && sv !== null && Number.isSafeInteger(sv - sp)) t = sv - sp;
    prev = v;
    sp = sv;
    if (t !== null && (run === null || Number.isSafeInteger(t - run))) {
      toks[s] = run === null ? t : t - run;
      run = t;
    } else {
      toks[s] = `[${JSON.stringify(v)}]`;
      run = null;
    }
  }
  return `[${scale > 0 ? `"e${scale}",` : ''}${toks.join(',')}]`;
}

/** Builds one block incrementally (the recorder appends each sample as it is read). */
export class BlockBuilder {
  private segs: Segment[] = [];
  private cur: Segment | null = null;
  firstWallMs = 0;
  lastWallMs = 0;
  firstMonoMs = 0;
  lastMonoMs = 0;
  guestSamples = 0;
  count = 0;

  add(s: RawSample): void {
    if (this.cur === null || !this.cur.add(s)) {
      this.cur = new Segment(s);
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
    const text = `{"v":${BLOCK_FORMAT},"s":[${this.segs.map((s) => s.text()).join(',')}]}`;
    this.segs = [];
    this.cur = null;
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
  if (node.kind === LEAF) { pos.i++; return leaves[node.first]; }
  const end = node.first + node.leaves;
  const kids = node.kids;
  if (node.kind === ARR) {
    const a = (prev as unknown[]).slice();
    for (let k = 0; k < kids.length && pos.i < changed.length && (changed[pos.i] as number) < end; k++) {
      const kid = kids[k] as Shape;
      if ((changed[pos.i] as number) < kid.first + kid.leaves) a[k] = rebuild(kid, a[k], leaves, changed, pos);
    }
    return a;
  }
  const o: Obj = { ...(prev as Obj) };
  for (let k = 0; k < kids.length && pos.i < changed.length && (changed[pos.i] as number) < end; k++) {
    const kid = kids[k] as Shape;
    const key = node.keys[k] as string;
    if ((changed[pos.i] as number) < kid.first + kid.leaves) o[key] = rebuild(kid, o[key], leaves, changed, pos);
  }
  return o;
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
    prev = (changed.length === 0 ? { ...prev } : rebuild(shape, prev, leaves, changed, pos)) as RawSample;
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
