// Owns the limit badges of the desktop/browser guest table and detail: each configured limit of a guest
// spelled out ('quota 150%', 'cpuset 0-3', 'mem ≤ 4.00 GiB', 'virtio-disk0 riops ≤ 500',
// 'vnet0 in ≤ 10 Mbit/s'), beside guest-table.ts's one-letter LIM column. Pure.

import type { GuestSnap } from '../model/snapshot.js';
import { formatBytes, formatOps, formatPct, formatRate } from './format.js';
import { quotaPct } from './guest-detail.js';

export function formatKbit(kbit: number | null | undefined): string {
  if (kbit === null || kbit === undefined || !Number.isFinite(kbit)) return '-';
  if (kbit >= 1_000_000) return `${+(kbit / 1_000_000).toFixed(2)} Gbit/s`;
  if (kbit >= 1000) return `${+(kbit / 1000).toFixed(2)} Mbit/s`;
  return `${+kbit.toFixed(1)} kbit/s`;
}

/** The configured limits of a guest, as short badges (empty when nothing limits it). */
export function limitBadges(g: GuestSnap): string[] {
  const out: string[] = [];
  const q = quotaPct(g);
  if (q !== null) out.push(`quota ${formatPct(q, 0)}`);
  const c = g.cpu;
  if (c.cpuset !== null && c.cpusetEffective !== null && c.cpuset !== '' && c.cpuset !== c.cpusetEffective) out.push(`cpuset ${c.cpuset}`);
  if (g.memory.maxBytes !== null) out.push(`mem ≤ ${formatBytes(g.memory.maxBytes)}`);
  for (const d of g.disks) {
    const l = d.limits;
    const parts: string[] = [];
    if (l.readIops !== null) parts.push(`riops ≤ ${formatOps(l.readIops)}`);
    if (l.writeIops !== null) parts.push(`wiops ≤ ${formatOps(l.writeIops)}`);
    if (l.totalIops !== null) parts.push(`iops ≤ ${formatOps(l.totalIops)}`);
    if (l.readBytesPerSec !== null) parts.push(`rbps ≤ ${formatRate(l.readBytesPerSec)}`);
    if (l.writeBytesPerSec !== null) parts.push(`wbps ≤ ${formatRate(l.writeBytesPerSec)}`);
    if (l.totalBytesPerSec !== null) parts.push(`bps ≤ ${formatRate(l.totalBytesPerSec)}`);
    if (parts.length) out.push(`${d.name} ${parts.join(' ')}`);
  }
  for (const n of g.nics) {
    if (n.shaping.inKbitPerSec !== null) out.push(`${n.ifname} in ≤ ${formatKbit(n.shaping.inKbitPerSec)}`);
    if (n.shaping.outKbitPerSec !== null) out.push(`${n.ifname} out ≤ ${formatKbit(n.shaping.outKbitPerSec)}`);
  }
  return out;
}
