// Owns the pure parsers of tc's output that tell whether a guest's tap is shaped and at what rate:
// `tc -j qdisc show` (every device at once), `tc class show dev IF` (HTB classes; this iproute2 has
// no JSON for them) and `tc filter show dev IF ingress` (a policer's rate, or a mirred redirect to an
// IFB device shaped in turn). tc prints rates with SI prefixes: 1Kbit = 1000 bit/s.

export interface QdiscRow { dev: string; kind: string; handle: string; root: boolean }

/** `tc -j qdisc show`: one row per qdisc, keyed by device. Throws on malformed JSON. */
export function parseQdiscRows(text: string): QdiscRow[] {
  const t = text.trim();
  if (t === '') return [];
  const arr = JSON.parse(t) as unknown;
  if (!Array.isArray(arr)) throw new Error('tc -j qdisc show: not a JSON array');
  return arr.flatMap((q: Record<string, unknown>) => (typeof q.dev === 'string'
    ? [{ dev: q.dev, kind: String(q.kind ?? ''), handle: String(q.handle ?? ''), root: q.root === true }]
    : []));
}

const UNIT: Record<string, number> = { bit: 1e-3, kbit: 1, mbit: 1e3, gbit: 1e6, tbit: 1e9, bps: 8e-3, kbps: 8, mbps: 8e3, gbps: 8e6 };

/** A tc rate (`1Mbit`, `500Kbit`, `1500bit`, `10kbps`) in kbit/s (1000-based), or null. */
export function parseTcRateKbit(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]+)$/.exec(text.trim());
  if (!m) return null;
  const unit = UNIT[(m[2] as string).toLowerCase()];
  return unit === undefined ? null : Number(m[1]) * unit;
}

/** The rate of the root HTB class (`class htb 1:1 root … rate 1Mbit …`): what caps the device. */
export function rootHtbRateKbit(classText: string): number | null {
  let best: number | null = null;
  for (const line of classText.split('\n')) {
    const m = /^class htb (\S+) root\b.*?\brate (\S+)/.exec(line.trim());
    if (!m) continue;
    const r = parseTcRateKbit(m[2] as string);
    if (r !== null && (best === null || r < best)) best = r;
  }
  return best;
}

/** An ingress filter's policer rate, or the device its traffic is redirected to (IFB). */
export function parseIngressFilters(text: string): { policeKbit: number | null; redirectTo: string | null } {
  const police = /\bpolice\b[^\n]*?\brate (\S+)/.exec(text);
  const mirred = /Redirect to device (\S+?)\)/.exec(text);
  return { policeKbit: police ? parseTcRateKbit(police[1] as string) : null, redirectTo: mirred ? (mirred[1] as string) : null };
}
