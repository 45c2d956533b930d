// Owns the demo's shaping control file: the effective tc limits of each simulated tap, written by the
// simulated tc (sim-runner.ts, in the engine's process) and read by the simulation (wherever it runs)
// to cap the guest's traffic. One line per shaped tap: `IFNAME in=KBIT|- out=KBIT|-` (kbit/s, 1000-based).

/** Where the file lives inside the demo tree (not a path a real host has). */
export const SHAPING_FILE = '/run/virtune-demo/shaping';

export interface TapShaping { inKbit: number | null; outKbit: number | null }

export function formatShaping(m: ReadonlyMap<string, TapShaping>): string {
  let s = '';
  for (const [ifname, v] of m) {
    if (v.inKbit === null && v.outKbit === null) continue;
    s += `${ifname} in=${v.inKbit ?? '-'} out=${v.outKbit ?? '-'}\n`;
  }
  return s;
}

export function parseShaping(text: string): Map<string, TapShaping> {
  const out = new Map<string, TapShaping>();
  const num = (t: string | undefined): number | null => (t === undefined || t === '-' || !Number.isFinite(Number(t)) ? null : Number(t));
  for (const line of text.split('\n')) {
    const m = /^(\S+) in=(\S+) out=(\S+)$/.exec(line.trim());
    if (m) out.set(m[1] as string, { inKbit: num(m[2]), outKbit: num(m[3]) });
  }
  return out;
}
