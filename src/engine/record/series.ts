// Owns which derived values a recording's report and its per-minute aggregates are made of: per guest
// CPU, run delay, throttling, IOPS, bandwidth, latency, memory; per NUMA node CPU, used memory and free
// hugepages. One function walks a snapshot and emits (scope, metric, value); null stays null (absent is
// not zero), so a value that was never known is never counted.

import { countedDisks, sumCounted } from '../model/disk-io.js';
import type { GuestSnap, NicSnap, Snapshot } from '../model/snapshot.js';

export type Emit = (scope: string, metric: string, value: number | null) => void;

export const GUEST_METRICS = [
  'cpuPct', 'runDelayPct', 'throttledPct', 'iops', 'bytesPerSec', 'latencyMs', 'netBytesPerSec', 'memoryBytes',
] as const;
export const NODE_METRICS = ['cpuPct', 'memUsedBytes'] as const;

/** rx + tx over the guest's interfaces, null when there are none or any part is unknown */
function netTotal(nics: readonly NicSnap[]): number | null {
  if (nics.length === 0) return null;
  let s = 0;
  for (const n of nics) {
    if (n.rxBytesPerSec === null || n.txBytesPerSec === null) return null;
    s += n.rxBytesPerSec + n.txBytesPerSec;
  }
  return s;
}

function add(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** mean latency over the guest's disks, weighted by operations; null when nothing was done or known */
export function guestLatencyMs(g: GuestSnap): number | null {
  let ops = 0;
  let ms = 0;
  for (const d of countedDisks(g.disks)) {
    for (const [iops, lat] of [[d.readIops, d.readLatencyMs], [d.writeIops, d.writeLatencyMs]] as const) {
      if (iops === null || lat === null || iops <= 0) continue;
      ops += iops;
      ms += iops * lat;
    }
  }
  return ops > 0 ? ms / ops : null;
}

export function guestScope(id: string): string { return `guest:${id}`; }
export function nodeScope(n: number): string { return `node:${n}`; }

export function emitSnapshot(s: Snapshot, emit: Emit): void {
  for (const g of s.guests) {
    const sc = guestScope(g.id);
    emit(sc, 'cpuPct', g.cpu.usagePct);
    emit(sc, 'runDelayPct', g.cpu.stealPct);
    emit(sc, 'throttledPct', g.cpu.throttledPct);
    // disk I/O counted once (virtual disks, else the cgroup's block devices: model/disk-io.ts)
    emit(sc, 'iops', sumCounted(g.disks, (d) => add(d.readIops, d.writeIops)));
    emit(sc, 'bytesPerSec', sumCounted(g.disks, (d) => add(d.readBytesPerSec, d.writeBytesPerSec)));
    emit(sc, 'latencyMs', guestLatencyMs(g));
    emit(sc, 'netBytesPerSec', netTotal(g.nics));
    emit(sc, 'memoryBytes', g.memory.currentBytes ?? g.memory.rssBytes);
  }
  for (const n of s.host.numaNodes) {
    const sc = nodeScope(n.node);
    emit(sc, 'cpuPct', n.cpuUsagePct);
    emit(sc, 'memUsedBytes', n.memTotalBytes !== null && n.memFreeBytes !== null ? n.memTotalBytes - n.memFreeBytes : null);
    for (const [size, p] of Object.entries(n.hugepages)) emit(sc, `hugepagesFree.${size}`, p.free);
  }
}
