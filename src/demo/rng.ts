// Owns the demo host's deterministic randomness: a small seeded PRNG (mulberry32) and helpers, so a
// demo started with the same seed and stepped the same way produces the same numbers.

export type Rng = () => number;

/** mulberry32: 32-bit state, uniform floats in [0, 1). */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mix two integers into a new 32-bit seed. */
export function mixSeed(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A value around `mean` with relative spread `rel` (uniform). */
export function jitter(rng: Rng, mean: number, rel: number): number {
  return mean * (1 + rel * (2 * rng() - 1));
}

/** A deterministic UUID (version 4 layout) from the generator. */
export function uuidFrom(rng: Rng): string {
  const hex: string[] = [];
  for (let i = 0; i < 16; i++) hex.push(Math.floor(rng() * 256).toString(16).padStart(2, '0'));
  hex[6] = '4' + (hex[6] as string)[1];
  hex[8] = ((parseInt(hex[8] as string, 16) & 0x3f) | 0x80).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
