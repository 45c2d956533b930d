// Owns the pure parsers of tc's output, shared by the collector (is a tap shaped, at what rate) and
// tuning (what to restore on undo):
// `tc -j qdisc show` (every device at once), `tc class show dev IF` (HTB classes; this iproute2 has
// no JSON for them) and `tc filter show dev IF ingress` (a policer's rate, or a mirred redirect to an
// IFB device shaped in turn). tc prints rates with SI prefixes: 1Kbit = 1000 bit/s.

export interface TcQdisc { dev?: string; kind: string; handle: string; root: boolean; parent: string | null }

/** `tc -j qdisc show [dev IF]`: one row per qdisc (with `dev` when tc names it). Throws on malformed JSON. */
export function parseQdiscJson(text: string): TcQdisc[] {
  const t = text.trim();
  if (t === '') return [];
  const arr = JSON.parse(t) as unknown;
  if (!Array.isArray(arr)) throw new Error('tc -j qdisc show: not a JSON array');
  return arr.map((q: Record<string, unknown>) => ({
    ...(typeof q.dev === 'string' ? { dev: q.dev } : {}),
    kind: String(q.kind ?? ''), handle: String(q.handle ?? ''),
    root: q.root === true, parent: typeof q.parent === 'string' ? q.parent : null,
  }));
}

export interface HtbClass { classid: string; rate: string; ceil: string | null; burst: string | null; root?: boolean }

/** `tc class show dev IF` text: the HTB classes (this iproute2 prints no JSON for them). */
export function parseHtbClasses(text: string): HtbClass[] {
  const out: HtbClass[] = [];
  for (const line of text.split('\n')) {
    const m = /^class htb (\S+) (root )?.*?\brate (\S+)(?: ceil (\S+))?(?: burst (\S+))?/.exec(line.trim());
    if (m) out.push({ classid: m[1] as string, rate: m[3] as string, ceil: m[4] ?? null, burst: m[5] ?? null, root: m[2] !== undefined });
  }
  return out;
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
  const rates = parseHtbClasses(classText).filter((c) => c.root).map((c) => parseTcRateKbit(c.rate)).filter((r): r is number => r !== null);
  return rates.length === 0 ? null : Math.min(...rates);
}

/** An ingress filter's policer rate, or the device its traffic is redirected to (IFB). */
export function parseIngressFilters(text: string): { policeKbit: number | null; redirectTo: string | null } {
  const police = /\bpolice\b[^\n]*?\brate (\S+)/.exec(text);
  const mirred = /Redirect to device (\S+?)\)/.exec(text);
  return { policeKbit: police ? parseTcRateKbit(police[1] as string) : null, redirectTo: mirred ? (mirred[1] as string) : null };
}
