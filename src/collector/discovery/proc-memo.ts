// Owns the /proc scan's memory between discoveries: for each pid seen last time, its start time
// (field 22 of /proc/PID/stat, clock ticks since boot) and its verdict (the argv of a QEMU, or "not a
// QEMU"). A pid listed again with the same start time is not re-read; a reused pid (another start
// time) is read as new; a pid no longer listed is dropped. Cheaper still, when the kernel's last
// allocated pid (/proc/sys/kernel/ns_last_pid) is known at both scans: a known pid outside the range
// allocated since the last scan cannot have been reused, so not even its stat is read (pids are handed
// out cyclically; a whole wrap of pid_max between two scans 5 s apart is caught by the full rescan).
// Two guards keep a stale verdict short-lived:
// a "not a QEMU" verdict is kept only for a process that was already SETTLE_TICKS old when its command
// line was read (a fork of libvirtd or a shell about to exec QEMU carries its parent's argv for a
// moment), and every FULL_EVERY-th discovery reads every command line again (a discovery the quiet gate
// answered counts: skipped()).

/** A process younger than this (in clock ticks, 10 s at 100 Hz) when read is read again next scan. */
export const SETTLE_TICKS = 1000;
/** Every this many scans, every command line is read again (12 × 5 s discovery cadence = 1 min). */
export const FULL_EVERY = 12;

export interface ProcVerdict {
  start: number;
  /** the QEMU's argv, or null: not a QEMU */
  argv: string[] | null;
}

export class ProcScanMemo {
  private seen = new Map<number, ProcVerdict>();
  private next = new Map<number, ProcVerdict>();
  /** discoveries since the last full scan (scans and those the quiet gate answered); -1: never scanned */
  private sinceFull = -1;
  private full = true;
  private nowTicks: number | null = null;
  private lastPid: number | null = null;
  private prevLastPid: number | null = null;

  /**
   * Start a scan. `nowTicks` is the time since boot in clock ticks (from /proc/uptime), null when
   * unknown (then no "not a QEMU" verdict is kept). Returns whether this scan reads everything.
   */
  begin(nowTicks: number | null, lastPid: number | null = null): boolean {
    this.full = this.sinceFull < 0 || this.sinceFull + 1 >= FULL_EVERY;
    this.sinceFull = this.full ? 0 : this.sinceFull + 1;
    this.nowTicks = nowTicks;
    this.prevLastPid = this.lastPid;
    this.lastPid = lastPid;
    this.next = new Map();
    return this.full;
  }

  /**
   * A discovery the quiet gate answered without a scan: it counts towards the next full scan, so every
   * command line is still read again once FULL_EVERY discoveries have passed (1 min), not FULL_EVERY scans.
   */
  skipped(): void {
    if (this.sinceFull >= 0) this.sinceFull++;
  }

  /** Whether a pid may have been handed out since the last scan (true when that is unknown). */
  private allocatedSince(pid: number): boolean {
    const a = this.prevLastPid;
    const b = this.lastPid;
    if (a === null || b === null) return true;
    return b >= a ? pid > a && pid <= b : pid > a || pid <= b;
  }

  /** The remembered verdict of a pid that cannot have been reused since the last scan, without reading it. */
  carried(pid: number): ProcVerdict | undefined {
    if (this.full || this.allocatedSince(pid)) return undefined;
    const v = this.seen.get(pid);
    if (v !== undefined) this.next.set(pid, v);
    return v;
  }

  /** The remembered verdict for a pid started at `start`, or undefined: read it. */
  known(pid: number, start: number): ProcVerdict | undefined {
    if (this.full) return undefined;
    const v = this.seen.get(pid);
    if (v === undefined || v.start !== start) return undefined;
    this.next.set(pid, v);
    return v;
  }

  /** Remember what was read for a pid (QEMU argv or null). */
  record(pid: number, start: number, argv: string[] | null): void {
    if (argv === null && (this.nowTicks === null || this.nowTicks - start < SETTLE_TICKS)) return;
    this.next.set(pid, { start, argv });
  }

  /** End the scan: pids not listed this time are forgotten. */
  end(): void {
    this.seen = this.next;
    this.next = new Map();
  }

  get size(): number { return this.seen.size; }
}
