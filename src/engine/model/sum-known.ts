// Owns the sum of a figure over a list as every face and the history take it: absent is not zero, so
// the sum is null when the list is empty or any part is unknown.

/** Σ get(x) over items; null when there are none or any part is null. */
export function sumKnown<T>(items: readonly T[], get: (x: T) => number | null): number | null {
  if (items.length === 0) return null;
  let s = 0;
  for (const x of items) {
    const v = get(x);
    if (v === null) return null;
    s += v;
  }
  return s;
}
