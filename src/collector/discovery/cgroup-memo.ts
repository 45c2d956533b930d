// Owns the cgroup route's memory between discoveries: for each guest-shaped cgroup directory, the pids
// its cgroup.procs (and those of its libvirt/, emulator/ and libvirt/emulator/ children) held last time.
// A directory listed again whose remembered processes all still exist is not read again (a guest's
// cgroup keeps its QEMU for the guest's life; a restarted guest gets a new scope, or its old process is
// gone). A new directory, a directory one of whose processes went away, one that held no process (a
// scope libvirt has not moved QEMU into yet) and every FULL_EVERY-th scan read everything again; a
// directory no longer listed is forgotten. What it can miss until that full scan: a further process
// started in a cgroup whose processes all still live — the /proc scan and the pidfiles still find
// such a QEMU.

import { FULL_EVERY } from './proc-memo.js';

export class CgroupScanMemo {
  private seen = new Map<string, number[]>();
  private next = new Map<string, number[]>();
  private scans = 0;
  private full = true;

  /** Start a scan; returns whether this scan reads every directory. */
  begin(): boolean {
    this.full = this.scans % FULL_EVERY === 0;
    this.scans++;
    this.next = new Map();
    return this.full;
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
