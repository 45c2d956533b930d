// Owns the sample-block encoding of a recording (format version 1): a block is the first RawSample of
// the block in full (the key) and, for every following sample, a flat token list that walks the
// previous sample depth-first in key order:
//   number d   at a leaf: the previous value was a safe integer -> prev + d (counters become small
//              deltas, 0 when unchanged); any other previous leaf -> d is 0 and the value is unchanged
//   [v]        at a leaf: the new value is v (floats, strings, null <-> value, a leaf became a tree)
//   [v, 0]     at a non-empty object or array whose shape changed (other keys, other length): the new
//              subtree is v. A container whose first token would itself be a [v, 0] is replaced whole,
//              so a [v, 0] always belongs to the outermost container it starts.
// When every token list of a block has the same length they are stored transposed (SampleBlock.c).
// Keys whose value is undefined are not part of a sample (JSON drops them). Pure: the adapter
// compresses the JSON text of a block.

import type { RawSample } from '../model/sample.js';

export const BLOCK_FORMAT = 1;

export interface SampleBlock {
  v: typeof BLOCK_FORMAT;
  /** the block's first sample, in full */
  k: RawSample;
  /** one token list per following sample (when their lengths differ) */
  d?: unknown[][];
  /**
   * or, when every token list has the same length, the lists transposed: column i holds token i of
   * every sample, and a number that follows a number in its column is stored as the difference to it
   * (counters that grow at a steady pace become small numbers); {n: x} is a number stored as is.
   */
  c?: unknown[][];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function definedKeys(o: Obj): string[] {
  const ks = Object.keys(o);
  for (let i = 0; i < ks.length; i++) {
    if (o[ks[i] as string] === undefined) return ks.filter((k) => o[k] !== undefined);
  }
  return ks;
}

/** A container with children is walked; an empty one is a leaf. */
function isWalked(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  for (const k in v) if ((v as Obj)[k] !== undefined) return true;
  return false;
}

function sameLeaf(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === 0 && b.length === 0;
  if (isObj(a) && isObj(b)) return definedKeys(a).length === 0 && definedKeys(b).length === 0;
  return false;
}

function isReplacement(t: unknown): boolean {
  return Array.isArray(t) && t.length === 2;
}

function encodeLeaf(prev: unknown, cur: unknown, out: unknown[]): void {
  if (typeof prev === 'number' && typeof cur === 'number' && Number.isSafeInteger(prev) && Number.isSafeInteger(cur)) {
    const d = cur - prev;
    if (Number.isSafeInteger(d)) { out.push(d); return; }
  }
  out.push(sameLeaf(prev, cur) ? 0 : [cur === undefined ? null : cur]);
}

/** the slow path of an object: some values are undefined (not part of the sample) */
function encodeObjectSlow(p: Obj, cur: unknown, out: unknown[], start: number): void {
  const pk = definedKeys(p);
  if (pk.length === 0) { encodeLeaf(p, cur, out); return; }
  if (!isObj(cur)) { out.push([cur ?? null, 0]); return; }
  const ck = definedKeys(cur);
  if (ck.length !== pk.length) { out.push([cur, 0]); return; }
  for (let i = 0; i < pk.length; i++) {
    if (pk[i] !== ck[i]) { out.push([cur, 0]); return; }
  }
  for (let i = 0; i < pk.length; i++) {
    const k = pk[i] as string;
    encodeNode(p[k], cur[k], out);
    if (i === 0 && isReplacement(out[start])) { out.length = start; out.push([cur, 0]); return; }
  }
}

function encodeNode(prev: unknown, cur: unknown, out: unknown[]): void {
  if (typeof prev !== 'object' || prev === null) { encodeLeaf(prev, cur, out); return; }
  const start = out.length;
  if (Array.isArray(prev)) {
    const n = prev.length;
    if (n === 0) { encodeLeaf(prev, cur, out); return; }
    if (!Array.isArray(cur) || cur.length !== n) { out.push([cur ?? null, 0]); return; }
    for (let i = 0; i < n; i++) {
      encodeNode(prev[i], cur[i], out);
      if (i === 0 && isReplacement(out[start])) { out.length = start; out.push([cur, 0]); return; }
    }
    return;
  }
  const p = prev as Obj;
  const pk = Object.keys(p);
  if (pk.length === 0 || typeof cur !== 'object' || cur === null || Array.isArray(cur)) { encodeObjectSlow(p, cur, out, start); return; }
  const c = cur as Obj;
  const ck = Object.keys(c);
  if (ck.length !== pk.length) { encodeObjectSlow(p, cur, out, start); return; }
  for (let i = 0; i < pk.length; i++) {
    const k = pk[i] as string;
    const pv = p[k];
    const cv = c[k];
    if (k !== ck[i] || pv === undefined || cv === undefined) { out.length = start; encodeObjectSlow(p, cur, out, start); return; }
    encodeNode(pv, cv, out);
    if (i === 0 && isReplacement(out[start])) { out.length = start; out.push([cur, 0]); return; }
  }
}

/** The tokens that turn `prev` into `cur`. */
export function encodeDelta(prev: RawSample, cur: RawSample): unknown[] {
  const out: unknown[] = [];
  encodeNode(prev, cur, out);
  return out;
}

class Cursor {
  i = 0;
  constructor(readonly t: readonly unknown[]) {}
}

function bad(why: string): never {
  throw new Error(`recording block is corrupt: ${why}`);
}

function decodeNode(prev: unknown, c: Cursor): unknown {
  if (c.i >= c.t.length) bad('token list ends early');
  if (!isWalked(prev)) {
    const t = c.t[c.i++];
    if (typeof t === 'number') {
      if (typeof prev === 'number' && Number.isSafeInteger(prev)) return prev + t;
      if (t !== 0) bad('a delta on a value that is not a counter');
      return prev;
    }
    if (Array.isArray(t) && t.length === 1) return t[0];
    return bad('unexpected token at a value');
  }
  const t = c.t[c.i];
  if (isReplacement(t)) { c.i++; return (t as unknown[])[0]; }
  if (Array.isArray(prev)) {
    const a = new Array<unknown>(prev.length);
    for (let i = 0; i < prev.length; i++) a[i] = decodeNode(prev[i], c);
    return a;
  }
  const p = prev as Obj;
  const o: Obj = {};
  for (const k of definedKeys(p)) o[k] = decodeNode(p[k], c);
  return o;
}

/** Apply tokens to `prev` (not modified); a fresh sample. */
export function decodeDelta(prev: RawSample, tokens: readonly unknown[]): RawSample {
  const c = new Cursor(tokens);
  const s = decodeNode(prev, c) as RawSample;
  if (c.i !== tokens.length) bad('tokens left over');
  return s;
}

/** Builds one block incrementally (the recorder appends each sample as it is read). */
export class BlockBuilder {
  private key: string | null = null;
  private last: RawSample | null = null;
  private deltas: unknown[][] = [];
  firstWallMs = 0;
  lastWallMs = 0;
  firstMonoMs = 0;
  lastMonoMs = 0;
  guestSamples = 0;

  get count(): number { return this.key === null ? 0 : this.deltas.length + 1; }

  add(s: RawSample): void {
    if (this.key === null || this.last === null) {
      // the key is serialised now: it holds exactly what the sample was when it was read
      this.key = JSON.stringify(s);
      this.firstWallMs = s.wallMs;
      this.firstMonoMs = s.monoMs;
    } else {
      this.deltas.push(encodeDelta(this.last, s));
    }
    this.last = s;
    this.lastWallMs = s.wallMs;
    this.lastMonoMs = s.monoMs;
    this.guestSamples += s.guests.length;
  }

  /** The block as JSON text, and reset. */
  take(): string {
    if (this.key === null) throw new Error('empty block');
    const rows = this.deltas;
    const width = rows[0]?.length ?? 0;
    const columns = rows.length > 1 && rows.every((r) => r.length === width);
    // {v, k, c | d} of SampleBlock, with the key's text as it was serialised
    const text = `{"v":${BLOCK_FORMAT},"k":${this.key},${columns ? `"c":${JSON.stringify(toColumns(rows, width))}` : `"d":${JSON.stringify(rows)}`}}`;
    this.key = null;
    this.last = null;
    this.deltas = [];
    this.guestSamples = 0;
    return text;
  }
}

function toColumns(rows: unknown[][], width: number): unknown[][] {
  const cols: unknown[][] = new Array<unknown[]>(width);
  for (let i = 0; i < width; i++) {
    const col = new Array<unknown>(rows.length);
    let prev: unknown = null;
    for (let j = 0; j < rows.length; j++) {
      const v = (rows[j] as unknown[])[i];
      if (typeof v === 'number' && typeof prev === 'number') {
        const d = v - prev;
        col[j] = Number.isSafeInteger(d) ? d : { n: v };
      } else {
        col[j] = v;
      }
      prev = v;
    }
    cols[i] = col;
  }
  return cols;
}

function fromColumns(cols: unknown[]): unknown[][] {
  const n = Array.isArray(cols[0]) ? cols[0].length : 0;
  const rows: unknown[][] = Array.from({ length: n }, () => new Array<unknown>(cols.length));
  for (let i = 0; i < cols.length; i++) {
    const col = cols[i];
    if (!Array.isArray(col) || col.length !== n) bad('columns of different lengths');
    let prev: unknown = null;
    for (let j = 0; j < n; j++) {
      const t = col[j];
      let v: unknown;
      if (typeof t === 'number' && typeof prev === 'number') v = prev + t;
      else if (isObj(t) && typeof t.n === 'number') v = t.n;
      else v = t;
      (rows[j] as unknown[])[i] = v;
      prev = v;
    }
  }
  return rows;
}

/** Parse a block's JSON text back into its samples, oldest first. */
export function decodeBlock(text: string): RawSample[] {
  let b: unknown;
  try { b = JSON.parse(text) as Json; } catch { bad('not JSON'); }
  if (!isObj(b) || b.v !== BLOCK_FORMAT || !isObj(b.k) || !(Array.isArray(b.d) || Array.isArray(b.c))) bad(`not a version ${BLOCK_FORMAT} block`);
  const rows = Array.isArray(b.c) ? fromColumns(b.c) : (b.d as unknown[]);
  const out: RawSample[] = [b.k as unknown as RawSample];
  let prev = b.k as unknown as RawSample;
  for (const tokens of rows) {
    if (!Array.isArray(tokens)) bad('a delta is not a list');
    prev = decodeDelta(prev, tokens);
    out.push(prev);
  }
  return out;
}
