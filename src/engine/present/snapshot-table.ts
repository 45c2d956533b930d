// Owns the compact text view of a Snapshot (`virtune snapshot` / `watch` without --json): host summary
// lines and the guest table (engine/present/guest-table.ts, the same rows every face shows), sorted by
// CPU, fitting 80 columns. CPU percent is percent of one host CPU.

import type { Snapshot } from '../model/snapshot.js';
import { formatBytes, formatPct } from './format.js';
import { guestTable, type SortSpec } from './guest-table.js';

/** Join parts with two spaces, wrapping so no line is wider than `width`. */
export function wrapParts(parts: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const p of parts) {
    if (cur !== '' && cur.length + 2 + p.length > width) { lines.push(cur); cur = p; } else cur = cur === '' ? p : `${cur}  ${p}`;
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

export function hostLines(s: Snapshot, width = 80): string[] {
  const h = s.host;
  const parts = [
    `${s.demo ? 'DEMO ' : ''}host ${h.hostname ?? '-'}`,
    `cpu ${formatPct(h.cpuUsagePct)} of ${h.cpuCount ?? '-'} CPUs (100% = one CPU)`,
    `mem avail ${formatBytes(h.memAvailableBytes)} / ${formatBytes(h.memTotalBytes)}`,
  ];
  if (h.ksm) parts.push(`ksm saved ${formatBytes(h.ksm.savedBytes)}`);
  parts.push(`${s.guests.length} guests`, s.timestamp);
  parts.push('RUNQ% run delay (100% = one CPU)', 'THROTTLE % of time throttled', 'LIM C cpu quota M mem max D disk N net');
  return wrapParts(parts, width);
}

export function snapshotTable(s: Snapshot, opts: { width?: number; sort?: SortSpec } = {}): string[] {
  const width = opts.width ?? 80;
  const t = guestTable(s, { width, extras: false, ...(opts.sort ? { sort: opts.sort } : {}) });
  const lines = [...hostLines(s, width), t.header, ...t.lines];
  for (const e of s.errors) lines.push(`! ${e.source}${e.guest ? ` ${e.guest}` : ''}: ${e.message}`);
  return lines;
}
