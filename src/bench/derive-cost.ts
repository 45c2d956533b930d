// Owns the derivation benchmark at 1000 guests: derive(prev, cur), appending the snapshot to the
// history, and serialising the snapshot with JSON.stringify (what every transport does per tick).

import type { RawSample } from '../engine/model/sample.js';
import { loadDerive } from './parts.js';
import { loadHistory } from './history-part.js';
import { timeRuns, type Stat } from './stats.js';
import { syntheticSample } from './synthetic.js';

export interface DeriveCost {
  guests: number;
  input: 'demo' | 'synthetic';
  derive: Stat;
  historyAppend: Stat | null;
  serialize: Stat;
  snapshotBytes: number;
}

export async function measureDeriveCost(
  guests: number, pair: [RawSample, RawSample] | null, runs: number, warmup: number,
): Promise<DeriveCost | null> {
  const mod = await loadDerive();
  if (!mod) return null;
  const [prev, cur] = pair ?? [syntheticSample(guests, 0), syntheticSample(guests, 1)];
  const derive = await timeRuns(() => mod.derive(prev, cur), { runs, warmup });
  const snap = mod.derive(prev, cur);
  let json = '';
  const serialize = await timeRuns(() => { json = JSON.stringify(snap); }, { runs, warmup });
  const history = await loadHistory();
  let historyAppend: Stat | null = null;
  if (history) {
    const h = history.create(3600);
    // one derived snapshot per second: each append is one second later
    let t = 0;
    historyAppend = await timeRuns(() => { history.append(h, snap, t++); }, { runs, warmup });
  }
  return {
    guests, input: pair ? 'demo' : 'synthetic', derive, historyAppend, serialize, snapshotBytes: Buffer.byteLength(json),
  };
}
