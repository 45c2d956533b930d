// Owns the cgroup route's memory between discoveries: for each guest-shaped cgroup directory, the pids
// its cgroup.procs (and those of its libvirt/, emulator/ and libvirt/emulator/ children) held last time.
// A directory listed again whose remembered processes all still exist is not read again (a guest's
// cgroup keeps its QEMU for the guest's life; a restarted guest gets a new scope, or its old process is
// gone). A new directory, a directory one of whose processes went away, one that held no process (a
// scope libvirt has not moved QEMU into yet) and every FULL_EVERY-th discovery (one the quiet gate
// answered counts: skipped()) read everything again; a
// directory no longer listed is forgotten. What it can miss until that full scan: a further process
// started in a cgroup whose processes all still live — the /proc scan and the pidfiles still find
// such a QEMU.

import { FULL_EVERY } from './proc-memo.js';

export class CgroupScanMemo {
  private seen = new Map<string, number[]>();
  private next = new Map<string, number[]>();
  /** discoveries since the last full scan (scans and those the quiet gate answered); -1: never scanned */
  private sinceFull = -1;
  private full = true;

  /** Start a scan; returns whether this scan reads every directory. */
  begin(): boolean {
    this.full = this.sinceFull < 0 || this.sinceFull + 1 >= FULL_EVERY;
    this.sinceFull = this.full ? 0 : this.sinceFull + 1;
    this.next = new Map();
    return this.full;
  }

  /** A discovery the quiet gate answered without a scan: it counts towards the next full scan. */
  skipped(): void {
    if (this.sinceFull >= 0) this.sinceFull++;
  }

  /** The pids remembered for a directory, when they may be reused: none gone (`alive`), not a full scan. */
  known(dir: string, alive: (pid: number) => boolean): number[] | undefined {
    if (this.full) return undefined;
    const v = this.seen.get(dir);
    if (v === undefined || v.length === 0) return undefined;
    for (const pid of v) if (!alive(pid)) return undefined;
    this.next.set(dir, v);
    return v;
  }

  /** Remember what a directory held. */
  record(dir: string, pids: number[]): void {
    this.next.set(dir, pids);
  }

  /** End the scan: directories not listed this time are forgotten. */
  end(): void {
    this.seen = this.next;
    this.next = new Map();
  }

  get size(): number { return this.seen.size; }
}
