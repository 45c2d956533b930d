// Owns the short cut of a discovery that has nothing new to find. When the kernel has handed out no
// pid or thread id since the last full discovery (/proc/sys/kernel/ns_last_pid unchanged: no process
// and no thread was created anywhere in the pid namespace), the mount table is the same text, and
// every guest found then still runs, then no QEMU started (it creates threads), no vCPU was
// hot-plugged (a new thread), no restarted domain has a new pid or pidfile, and the last result
// stands. What can change without a new id — a process moved into a guest-shaped cgroup, a NIC
// hot-plugged as a passed fd into a guest whose command line names no netdev — is seen by the full
// discovery that runs at least every FULL_EVERY-th time (1 min at the 5-s cadence) and whenever an id
// was handed out. Unknown ns_last_pid (a captured tree, an older kernel): always the full discovery.

import { FULL_EVERY } from './proc-memo.js';
import type { DiscoveredGuest, DiscoveryResult } from './types.js';

export class DiscoveryGate<R extends DiscoveryResult = DiscoveryResult> {
  private last: { lastPid: number; mountinfo: string; result: R } | null = null;
  private since = 0;
  /** how many discoveries the gate answered from the last result (for tests and the bench) */
  skipped = 0;

  /**
   * The last result when nothing can have changed, else null (then run the discovery and `store` it).
   * `alive` says whether a guest's process still exists.
   */
  check(lastPid: number | null, mountinfo: string | null, alive: (g: DiscoveredGuest) => boolean): R | null {
    const l = this.last;
    if (l === null || lastPid === null || mountinfo === null || this.since + 1 >= FULL_EVERY) return null;
    if (lastPid !== l.lastPid || mountinfo !== l.mountinfo || !l.result.guests.every(alive)) return null;
    this.since++;
    this.skipped++;
    return l.result;
  }

  /** Remember a full discovery's result and the ids and mounts it saw (read before it ran). */
  store(lastPid: number | null, mountinfo: string | null, result: R): void {
    this.since = 0;
    this.last = lastPid === null || mountinfo === null ? null : { lastPid, mountinfo, result };
  }
}
