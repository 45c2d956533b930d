// Owns the compact text view of a Snapshot (`virtune snapshot` / `watch` without --json): a host
// summary line and one row per guest, built from the shared formatters so every face shows the same
// figures. CPU percent is percent of one host CPU.

import { diskFigures, type GuestSnap, type Snapshot } from '../model/snapshot.js';
import { cell, formatBytes, formatOps, formatPct, formatRate } from './format.js';

const sumOf = <T>(xs: readonly T[], get: (x: T) => number | null): number | null => {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) {
    const v = get(x);
    if (v === null) return null;
    s += v;
  }
  return s;
};

export interface GuestRow {
  id: string; name: string; cpu: string; steal: string; mem: string;
  iops: string; disk: string; rx: string; tx: string;
}

export function guestRow(g: GuestSnap): GuestRow {
  const rIops = sumOf(diskFigures(g), (d) => d.readIops);
  const wIops = sumOf(diskFigures(g), (d) => d.writeIops);
  const rB = sumOf(diskFigures(g), (d) => d.readBytesPerSec);
  const wB = sumOf(diskFigures(g), (d) => d.writeBytesPerSec);
  return {
    id: g.id, name: g.name,
    cpu: formatPct(g.cpu.usagePct), steal: formatPct(g.cpu.stealPct),
    mem: formatBytes(g.memory.rssBytes ?? g.memory.currentBytes),
    iops: rIops === null || wIops === null ? '-' : formatOps(rIops + wIops),
    disk: rB === null || wB === null ? '-' : formatRate(rB + wB),
    rx: formatRate(sumOf(g.nics, (n) => n.rxBytesPerSec)),
    tx: formatRate(sumOf(g.nics, (n) => n.txBytesPerSec)),
  };
}

const COLS: Array<[keyof GuestRow, string, number, boolean]> = [
  ['id', 'ID', 22, false], ['name', 'NAME', 14, false], ['cpu', 'CPU%', 8, true], ['steal', 'STEAL%', 7, true],
  ['mem', 'MEM', 10, true], ['iops', 'IOPS', 7, true], ['disk', 'DISK', 12, true], ['rx', 'RX', 12, true], ['tx', 'TX', 12, true],
];

export function hostLine(s: Snapshot): string {
  const h = s.host;
  const parts = [
    `${s.demo ? 'DEMO ' : ''}host ${h.hostname ?? '-'}`,
    `${s.timestamp}`,
    `cpu ${formatPct(h.cpuUsagePct)} of ${h.cpuCount ?? '-'} CPUs (100% = one CPU)`,
    `mem avail ${formatBytes(h.memAvailableBytes)} / ${formatBytes(h.memTotalBytes)}`,
  ];
  if (h.ksm) parts.push(`ksm saved ${formatBytes(h.ksm.savedBytes)}`);
  parts.push(`${s.guests.length} guests`);
  return parts.join('  ');
}

export function snapshotTable(s: Snapshot): string[] {
  const lines = [hostLine(s)];
  lines.push(COLS.map(([, title, w, r]) => cell(title, w, r)).join(' '));
  for (const g of s.guests) {
    const row = guestRow(g);
    lines.push(COLS.map(([k, , w, r]) => cell(row[k], w, r)).join(' '));
  }
  for (const e of s.errors) lines.push(`! ${e.source}${e.guest ? ` ${e.guest}` : ''}: ${e.message}`);
  return lines;
}
