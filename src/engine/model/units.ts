// Owns the unit grammars of tuning input, pure: byte sizes with 1024-based K/M/G suffixes (io, memory,
// hugepage sizes), tc rates (`10mbit`, `500kbit`, `1gbit`, `100kbps`; a bare number is bit/s, as tc
// reads it) and tc sizes (`32k`, `1600b`, `1mbit`), and formatting them back for tc argv.

const SIZE_SCALE: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** `512`, `10K`, `1.5G`, `2M` → bytes (1024-based). null when unparsable. */
export function parseSizeBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return null;
  const scale = SIZE_SCALE[(m[2] ?? '').toLowerCase()];
  if (scale === undefined) return null;
  const v = Number(m[1]) * scale;
  return Number.isFinite(v) ? Math.floor(v) : null;
}

// iproute2 tc(8) RATES: bit or bare = bits/s; kbit/mbit/gbit/tbit decimal; kibit… binary; bps = bytes/s.
const RATE_SCALE: Record<string, number> = {
  '': 1, bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12,
  kibit: 1024, mibit: 1024 ** 2, gibit: 1024 ** 3, tibit: 1024 ** 4,
  bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9, tbps: 8e12,
  kibps: 8 * 1024, mibps: 8 * 1024 ** 2, gibps: 8 * 1024 ** 3, tibps: 8 * 1024 ** 4,
};

/** A tc rate → bits per second. null when unparsable or not positive. */
export function parseTcRateBits(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return null;
  const scale = RATE_SCALE[(m[2] ?? '').toLowerCase()];
  if (scale === undefined) return null;
  const v = Number(m[1]) * scale;
  return Number.isFinite(v) && v > 0 ? v : null;
}

// tc(8) SIZES: b or bare = bytes; k/kb, m/mb, g/gb = 1024-based bytes; kbit/mbit/gbit = 1024-based bits.
const TC_SIZE_SCALE: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3,
  kbit: 1024 / 8, mbit: 1024 ** 2 / 8, gbit: 1024 ** 3 / 8,
};

/** A tc size → bytes. null when unparsable or not positive. */
export function parseTcSizeBytes(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return null;
  const scale = TC_SIZE_SCALE[(m[2] ?? '').toLowerCase()];
  if (scale === undefined) return null;
  const v = Math.floor(Number(m[1]) * scale);
  return v > 0 ? v : null;
}

/** kbit/s → a tc rate argument (`1000kbit`, or `1500bit` below 1 kbit precision). */
export function tcRateArg(kbit: number): string {
  return Number.isInteger(kbit) ? `${kbit}kbit` : `${Math.round(kbit * 1000)}bit`;
}

/** bytes → a tc size argument (`1600b`). */
export function tcSizeArg(bytes: number): string {
  return `${Math.round(bytes)}b`;
}

/** Human bytes for messages (1024-based, one decimal). */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
