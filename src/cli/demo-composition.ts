// Owns what a demo engine is made of, besides the engine itself: the simulator in its own process
// (demo/process.ts), the simulated CommandRunner that answers every program the engine would run
// (demo/sim-runner.ts — a demo engine never gets a real runner), and a descriptor pool sized so the
// guests' QMP connections always fit under the open-file limit.

import { readFileSync } from 'node:fs';
import { VirtuneError } from '../engine/model/errors.js';
import { parseOpenFileLimits, type OpenFileLimits } from '../engine/model/open-files.js';
import { startDemoProcess, type DemoProcessHost } from '../demo/process.js';
import { SimulatedRunner } from '../demo/sim-runner.js';

export interface DemoParts {
  demo: DemoProcessHost;
  runner: SimulatedRunner;
  /** cached descriptors the engine may keep (NodeHostFs maxCached) */
  maxCached: number;
}

/** The open-file limits of this process (null when unknown). */
function openFileLimits(): OpenFileLimits | null {
  try {
    return parseOpenFileLimits(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The most demo guests whose QMP sockets fit under a hard open-file limit: the simulator holds a
 * listening socket and a connection per guest (plus 128 for its files and the rest), the engine one
 * connection per guest plus 256. Null when the limit is unknown or unlimited.
 */
export function demoGuestsThatFit(hard: number | null): number | null {
  return hard === null ? null : Math.max(0, Math.floor((hard - 256) / 2));
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
  const limits = openFileLimits();
  const fit = demoGuestsThatFit(limits?.hard ?? null);
  if (fit !== null && guests > fit) {
    // node raises each process's soft limit to the hard one at start: the hard limit is what counts
    throw new VirtuneError(2, `--demo ${guests}: the simulated guests' QMP sockets need about ${2 * guests + 256} open files and this process may open ${limits?.hard ?? '?'} (ulimit -Hn): ask for at most ${fit} guests or raise the limit`);
  }
  // the simulation steps 4× per second; a large demo (a step costs ~1 ms per guest) steps twice per
  // sampling interval instead, so it never aliases with the sampler and stays cheap
  const stepMs = guests <= 64 ? 250 : Math.max(250, (intervalSec * 1000) / 2);
  const demo = await startDemoProcess({ guests, qmp: true, stepMs });
  return { demo, runner: new SimulatedRunner(demo.root), maxCached: demoMaxCached(guests, limits?.soft ?? null) };
}
