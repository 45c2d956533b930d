// Owns the adapter between the benchmarks and the engine's history (src/engine/core/history.ts):
// create a history of a given window at 1 s and append one derived snapshot per second to it.

import type { Snapshot } from '../engine/model/snapshot.js';
import { tryImport } from './parts.js';

interface HistoryLike { record(s: Snapshot, monoMs: number, wallMs: number): void }
interface HistoryModule { History: new (windowSec: number, intervalSec: number) => HistoryLike }

export interface HistoryAdapter {
  create(windowSec: number): HistoryLike;
  /** append snap as the second-th sample (1000 ms apart) */
  append(history: HistoryLike, snap: Snapshot, second: number): void;
}

const START_WALL = Date.UTC(2026, 0, 1);

export async function loadHistory(): Promise<HistoryAdapter | null> {
  const mod = await tryImport<HistoryModule>('../engine/core/history.js', 'history');
  if (!mod) return null;
  return {
    create: (windowSec) => new mod.History(windowSec, 1),
    append: (h, snap, second) => h.record(snap, 1_000_000 + second * 1000, START_WALL + second * 1000),
  };
}
