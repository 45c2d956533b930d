// Owns the window statistics of the diagnosis: means and fractions over history series (NaN =
// unknown, skipped; a series with no known value gives null, never 0), and the rounding of figures.

export type Series = ArrayLike<number> | null;

/** Mean of the known values, or null when none is known. */
export function mean(a: Series): number | null {
  if (a === null) return null;
  let s = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (v === v) { s += v; n++; } // not NaN
  }
  return n === 0 ? null : s / n;
}

/** Fraction (0..1) of the known values ≥ threshold, or null when none is known. */
export function fractionAtLeast(a: Series, threshold: number): number | null {
  if (a === null) return null;
  let hit = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] as number;
    if (v === v) { n++; if (v >= threshold) hit++; }
  }
  return n === 0 ? null : hit / n;
}

/** Element-wise sum of series into a new Float64Array; a slot is NaN when any part is unknown. */
export function addSeries(parts: readonly Series[], length: number): Float64Array | null {
  if (parts.length === 0 || parts.some((p) => p === null)) return null;
  const out = new Float64Array(length);
  for (const p of parts as ArrayLike<number>[]) for (let i = 0; i < length; i++) out[i] = (out[i] as number) + (p[i] as number);
  return out;
}

/** Mean of a over the slots where mask is true (and a is known); null when there is none. */
export function maskedMean(a: Series, mask: Uint8Array): number | null {
  if (a === null) return null;
  let s = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    const v = a[i] as number;
    if (mask[i] === 1 && v === v) { s += v; n++; }
  }
  return n === 0 ? null : s / n;
}

/** Round to d decimals (figures in evidence); null stays null. */
export function round(v: number | null, d = 1): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

export const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
