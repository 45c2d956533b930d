// Owns the TUI's one render scheduler: views never draw on their own; anything that changes what is on
// screen calls invalidate(), and at most one frame is drawn per `minFrameMs` (several snapshots, keys
// and replies in between are coalesced into one frame). The clock is injected so tests drive it.

export interface TimerPort {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class RenderScheduler {
  private dirty = false;
  private timer: unknown = null;
  private last = Number.NEGATIVE_INFINITY;
  private disposed = false;
  /** frames drawn (for tests and the bench) */
  frames = 0;

  constructor(private readonly draw: () => void, private readonly timers: TimerPort, private readonly minFrameMs = 40) {}

  invalidate(): void {
    if (this.disposed) return;
    this.dirty = true;
    if (this.timer !== null) return;
    const wait = Math.max(0, this.last + this.minFrameMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => { this.timer = null; this.flush(); }, wait);
  }

  /** Draw now if anything changed. */
  flush(): void {
    if (this.disposed || !this.dirty) return;
    this.dirty = false;
    this.last = this.timers.now();
    this.frames++;
    this.draw();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
