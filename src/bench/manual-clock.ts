// Owns the benchmarks' manual Clock: time moves only when advanced (used to feed an hour of 1-second
// history through the engine in a few seconds).

import type { Clock } from '../engine/ports/clock.js';

export class BenchClock implements Clock {
  private mono = 1_000_000;
  private wall = Date.UTC(2026, 0, 1);
  monoMs(): number { return this.mono; }
  wallMs(): number { return this.wall; }
  advance(ms: number): void { this.mono += ms; this.wall += ms; }
  sleep(): Promise<void> { return new Promise(() => undefined); } // the benchmark drives ticks itself
}
