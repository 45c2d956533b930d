// Owns the rule that counts a guest's disk I/O once. A guest's virtual disks (source `qmp` or
// `libvirt`, one entry per disk QEMU shows) and the host block devices its cgroup did I/O on (source
// `cgroup`) describe the SAME I/O from two sides, so they are never added together: when per-virtual-
// disk figures exist they are the guest's disk I/O; only a guest without them falls back to its
// cgroup per-device figures. Every face (tables, charts, history) sums through countedDisks(). A
// snapshot keeps the two apart (disks[] and blockDevices[]); allDisks() gives both for that rule.

import type { DiskSnap, GuestSnap } from './snapshot.js';
import { sumKnown } from './sum-known.js';

/**
 * Every disk entry of a guest: its virtual disks, then the host block devices of its cgroup. A snapshot
 * from before blockDevices[] existed (a recording, an older daemon) has its cgroup entries in disks[].
 */
export function allDisks(g: Pick<GuestSnap, 'disks'> & { blockDevices?: DiskSnap[] }): DiskSnap[] {
  const b = g.blockDevices;
  return b === undefined || b.length === 0 ? g.disks : [...g.disks, ...b];
}

/** The disks whose figures make up the guest's disk I/O, each I/O counted once. */
export function countedDisks(disks: readonly DiskSnap[]): readonly DiskSnap[] {
  let virtual = 0;
  for (const d of disks) if (d.source !== 'cgroup') virtual++;
  if (virtual === 0 || virtual === disks.length) return disks;
  return disks.filter((d) => d.source !== 'cgroup');
}

/** Sum of one figure over the counted disks; null when there are none or any part is unknown. */
export function sumCounted(disks: readonly DiskSnap[], get: (d: DiskSnap) => number | null): number | null {
  return sumKnown(countedDisks(disks), get);
}

/** True when any throttle limit of the disk is known (set). */
export function diskHasLimit(d: DiskSnap): boolean {
  const l = d.limits as unknown as Record<string, unknown>;
  for (const k in l) if (l[k] !== null) return true;
  return false;
}
