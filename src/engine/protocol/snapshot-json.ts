// Owns the JSON text of a snapshot, made once: snapshotJson(s) is JSON.stringify(s), unless the text
// was already made elsewhere and remembered with rememberSnapshotJson (the daemon's sampler worker
// serialises the snapshot it derived, so the engine's thread does not stringify a big host's snapshot
// for its subscribers). Keyed by the snapshot object; a remembered text must be that object's JSON.

const texts = new WeakMap<object, string>();

export function rememberSnapshotJson(s: object, json: string): void {
  texts.set(s, json);
}

export function snapshotJson(s: object): string {
  let t = texts.get(s);
  if (t === undefined) {
    t = JSON.stringify(s);
    texts.set(s, t);
  }
  return t;
}
