// Owns the JSON text of a snapshot, made once: snapshotJson(s) is JSON.stringify(s), unless the text
// was already made elsewhere and remembered with rememberSnapshotJson (the daemon's sampler worker
// serialises the snapshot it derived, so the engine's thread does not stringify a big host's snapshot
// for its subscribers). Keyed by the snapshot object; a remembered text must be that object's JSON. A
// remembered text may be given as a function that makes it, called at most once and only when the
// text is first needed (no subscriber: never).
// Also the snapshot's JSON in parts (snapshotJsonParts): the snapshot without its guests, then its
// guests GUESTS_PER_PART... at a time as JSON arrays, which is how a snapshot crosses from the sampler
// worker to the engine's thread (each part is parsed on its own turn of the event loop) and which
// joinSnapshotJson puts together into exactly JSON.stringify(snapshot) without stringifying again.

import type { Snapshot } from '../model/snapshot.js';

const texts = new WeakMap<object, string | (() => string)>();

export function rememberSnapshotJson(s: object, json: string | (() => string)): void {
  texts.set(s, json);
}

export function snapshotJson(s: object): string {
  let t = texts.get(s);
  if (typeof t === 'function') {
    t = t();
    texts.set(s, t);
  } else if (t === undefined) {
    t = JSON.stringify(s);
    texts.set(s, t);
  }
  return t;
}

/** A snapshot as JSON in parts: `head` is the snapshot with `guests: []`, `parts` its guests' JSON arrays in order. */
export interface SnapshotJsonParts { head: string; parts: string[] }

const EMPTY_GUESTS = '"guests":[]';

/** The snapshot's JSON in parts of `perPart` guests (joinSnapshotJson gives JSON.stringify(s) back). */
export function snapshotJsonParts(s: Snapshot, perPart: number): SnapshotJsonParts {
  const parts: string[] = [];
  for (let i = 0; i < s.guests.length; i += perPart) parts.push(JSON.stringify(s.guests.slice(i, i + perPart)));
  return { head: JSON.stringify({ ...s, guests: [] }), parts };
}

/**
 * JSON.stringify of the snapshot the parts came from. The head's only `"guests":[]` is the snapshot's
 * own key: no other object of a snapshot has a `guests` key, and inside a JSON string a quote is
 * always escaped, so the text cannot occur there.
 */
export function joinSnapshotJson(e: SnapshotJsonParts): string {
  if (e.parts.length === 0) return e.head;
  const at = e.head.indexOf(EMPTY_GUESTS);
  if (at < 0) throw new Error('snapshot JSON parts: the head has no empty guests list');
  const open = at + EMPTY_GUESTS.length - 1; // just before the ']'
  let out = e.head.slice(0, open);
  for (let i = 0; i < e.parts.length; i++) {
    const p = e.parts[i] as string;
    out += (i === 0 ? '' : ',') + p.slice(1, -1);
  }
  return out + e.head.slice(open);
}
