// Owns the sampling cadence: which SampleTasks are due on a tick. Pure bookkeeping driven by tick
// numbers and the monotonic clock; the engine's loop runs the ticks one after the other (never
// overlapping) and sleeps the rest of the interval, so a slow sample delays the next one instead of
// piling up.

import type { SampleTask } from '../ports/sources.js';

export interface Cadence {
  /** due every N ticks (1 = every tick) */
  everyTicks?: number;
  /** due when at least this many ms passed since it last ran */
  everyMs?: number;
  /** only on the first tick */
  once?: boolean;
}

export const DEFAULT_CADENCES: Record<SampleTask, Cadence> = {
  counters: { everyTicks: 1 },
  qmp: { everyTicks: 1 },
  discovery: { everyTicks: 5 },
  // numa_maps walks every guest's page tables (6 % of a watch's CPU at 10 s with 8 guests): 30 s,
  // plus right after a tuning change (Engine forces it)
  numa: { everyMs: 30_000 },
  qmpSlow: { everyMs: 30_000 },
  settings: { everyTicks: 5 },
  static: { once: true },
};

export class Cadences {
  private readonly lastRun = new Map<SampleTask, number>();
  private readonly forced = new Set<SampleTask>();
  /** forced again once this much time has passed after the forced tick (set on that tick) */
  private readonly againAfter = new Map<SampleTask, number>();
  /** monotonic time from which a task is forced once more */
  private readonly againAt = new Map<SampleTask, number>();
  private tick = 0;

  constructor(private readonly cadences: Record<SampleTask, Cadence> = DEFAULT_CADENCES) {}

  /** The tasks due now; records them as run. The first tick runs every task. */
  due(monoMs: number): Set<SampleTask> {
    const out = new Set<SampleTask>();
    for (const [task, c] of Object.entries(this.cadences) as Array<[SampleTask, Cadence]>) {
      const last = this.lastRun.get(task);
      let due: boolean;
      if (last === undefined) due = true;
      else if (c.once) due = false;
      else if (c.everyMs !== undefined) due = monoMs - last >= c.everyMs;
      else due = this.tick % Math.max(1, c.everyTicks ?? 1) === 0;
      if (this.forced.delete(task)) {
        due = true;
        const after = this.againAfter.get(task);
        if (after !== undefined) { this.againAfter.delete(task); this.againAt.set(task, monoMs + after); }
      } else {
        const at = this.againAt.get(task);
        if (at !== undefined && monoMs >= at) { this.againAt.delete(task); due = true; }
      }
      if (due) {
        out.add(task);
        this.lastRun.set(task, monoMs);
      }
    }
    this.tick++;
    return out;
  }

  /**
   * Make a task due on the next tick (e.g. settings right after a tuning change), and with `againAfterMs`
   * once more on the first tick that much later: what settles after the change (pages migrating to a new
   * node, a thread moved off a CPU it may no longer use) shows then, not a whole cadence later.
   */
  force(task: SampleTask, againAfterMs?: number): void {
    this.forced.add(task);
    if (againAfterMs !== undefined) this.againAfter.set(task, againAfterMs);
  }

  get ticks(): number { return this.tick; }
}
