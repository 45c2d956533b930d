// Owns what a demo engine is made of, besides the engine itself: the simulator in its own process
// (demo/process.ts), the simulated CommandRunner that answers every program the engine would run
// (demo/sim-runner.ts — a demo engine never gets a real runner), and a descriptor pool sized so the
// guests' QMP connections always fit under the open-file limit.

import { readFileSync } from 'node:fs';
import { startDemoProcess, type DemoProcessHost } from '../demo/process.js';
import { SimulatedRunner } from '../demo/sim-runner.js';

export interface DemoParts {
  demo: DemoProcessHost;
  runner: SimulatedRunner;
  /** cached descriptors the engine may keep (NodeHostFs maxCached) */
  maxCached: number;
}

/** The soft open-file limit of this process (null when unknown or unlimited). */
function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Cached descriptors: 60 % of the limit at most, and never more than what is left after one QMP
 * connection per guest plus 256 for clients and the rest (the excess is read by open/read/close).
 */
export function demoMaxCached(guests: number, limit: number | null): number {
  const lim = limit ?? 1024;
  return Math.max(32, Math.min(Math.floor(lim * 0.6), lim - guests - 256));
}

export async function startDemo(guests: number, intervalSec: number): Promise<DemoParts> {
  // the simulation steps 4× per second; a large demo (a step costs ~1 ms per guest) steps twice per
  // sampling interval instead, so it never aliases with the sampler and stays cheap
  const stepMs = guests <= 64 ? 250 : Math.max(250, (intervalSec * 1000) / 2);
  const demo = await startDemoProcess({ guests, qmp: true, stepMs });
  return { demo, runner: new SimulatedRunner(demo.root), maxCached: demoMaxCached(guests, openFileLimit()) };
}
