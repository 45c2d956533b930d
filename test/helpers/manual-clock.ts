// Owns ManualClock, the Clock test double: time moves only when the test says so.

import type { Clock } from '../../src/engine/ports/clock.js';

export class ManualClock implements Clock {
  private mono: number;
  private wall: number;
  private sleepers: Array<{ until: number; resolve: () => void }> = [];

  constructor(startMonoMs = 1000, startWallMs = Date.UTC(2026, 10, 25, 17, 0, 0)) {
    this.mono = startMonoMs;
    this.wall = startWallMs;
  }

  monoMs(): number { return this.mono; }
  wallMs(): number { return this.wall; }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = { until: this.mono + ms, resolve };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(new DOMException('aborted', 'AbortError'));
      }, { once: true });
    });
  }

  /** Advance time and wake every sleeper whose deadline passed. */
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
    const due = this.sleepers.filter((s) => s.until <= this.mono);
    this.sleepers = this.sleepers.filter((s) => s.until > this.mono);
    for (const s of due) s.resolve();
  }

  get pendingSleepers(): number { return this.sleepers.length; }
}
