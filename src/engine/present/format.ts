// Owns number formatting for every face: the only place numbers become display strings. `null`
// (unknown) is shown as '-' and never as 0.

export const UNKNOWN = '-';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> '1.5 KiB' (1024-based). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN;
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  const s = i === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${n < 0 ? '-' : ''}${s} ${UNITS[i]}`;
}

/** bytes per second: '1.5 MiB/s'. */
export function formatRate(n: number | null | undefined): string {
  const b = formatBytes(n);
  return b === UNKNOWN ? UNKNOWN : `${b}/s`;
}

/** percent (of one CPU where CPU): '97.0%'. */
export function formatPct(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN;
  return `${n.toFixed(digits)}%`;
}

/** operations per second: '1234', '12.3k'. */
export function formatOps(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN;
  if (n >= 10_000) return `${(n / 1000).toFixed(1)}k`;
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** milliseconds: '0.50 ms'. */
export function formatMs(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN;
  return `${n.toFixed(n >= 100 ? 0 : 2)} ms`;
}

/** pad/cut to a column width (left aligned, or right aligned for numbers). */
export function cell(text: string, width: number, right = false): string {
  const t = text.length > width ? text.slice(0, Math.max(1, width - 1)) + '…' : text;
  return right ? t.padStart(width) : t.padEnd(width);
}

/**
 * A table as text lines: the head, then the rows, each column padded to its widest cell (`right(i)`:
 * column i right-aligned), two spaces between columns, no trailing blanks.
 */
export function alignColumns(head: readonly string[], rows: readonly (readonly string[])[], right: (col: number) => boolean): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (right(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

const SHORT_UNITS = ['', 'K', 'M', 'G', 'T', 'P'];

/** Compact bytes for dense tables (1024-based, at most 5 characters): '512', '1.5K', '15M', '2.6G'. */
export function formatBytesShort(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN;
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1000 && i < SHORT_UNITS.length - 1) { v /= 1024; i++; }
  const s = i === 0 ? String(Math.round(v)) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
  return `${n < 0 ? '-' : ''}${s}${SHORT_UNITS[i]}`;
}

/** Compact percent without the sign (the column title carries it): '97.0', '1234', '-'. */
export function formatPctShort(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN;
  return Math.abs(n) >= 1000 ? n.toFixed(0) : n.toFixed(1);
}

/** Seconds as a short duration: '45s', '12m', '3h05m', '2d04h'. */
export function formatDuration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec) || sec < 0) return UNKNOWN;
  const s = Math.floor(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}
