// Retention of a recording, through the Recorder and the real SQLite file adapter: once blocks are older
// than the full-resolution span they become per-minute aggregates, and every downsampled sample that has
// a sample before it counts in them, even when each downsampling pass holds one block of one sample
// (`record --commit 1`): its rates come from the last sample of the pass before. Synthetic 3-guest samples
// 1 s apart (the bench's generator: counters that move every second).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticSample } from '../../src/bench/synthetic.js';
import { createRecording, openRecording } from '../../src/engine/node/sqlite-recording.js';
import { Recorder } from '../../src/engine/record/recorder.js';
import { useLab } from '../helpers/lab.js';

const lab = useLab();

describe('Recorder retention (real SQLite file)', () => {
  it('a block per sample: every downsampled sample but the first is in the per-minute aggregates', async () => {
    const dir = lab.tmpdir('vt-ret');
    const file = path.join(dir, 'r.vtr');
    const store = createRecording(file, { hostname: null, demo: true, intervalSec: 1, nowWallMs: syntheticSample(0, 0).wallMs });
    const rec = new Recorder(store, { blockSamples: 1, fullSec: 4 });
    const total = 12;
    for (let t = 0; t < total; t++) {
      rec.add(syntheticSample(3, t));
      await rec.drain(); // each block committed (and the old ones downsampled) before the next sample
    }
    store.close();

    const r = openRecording(file);
    const fullRes = r.blocks().filter((b) => b.stepSec === 0).reduce((n, b) => n + b.samples, 0);
    const rows = r.minutes();
    r.close();
    const downsampled = total - fullRes;
    expect(downsampled).toBeGreaterThanOrEqual(3); // older than 4 s at the last commit

    // per series, the samples its minute rows stand for: at most every downsampled sample with a
    // predecessor, and a series known every second (a guest's CPU) has exactly that many
    const counted = new Map<string, number>();
    for (const row of rows) counted.set(`${row.scope}|${row.metric}`, (counted.get(`${row.scope}|${row.metric}`) ?? 0) + row.n);
    expect(counted.size).toBeGreaterThan(0);
    expect(Math.max(...counted.values())).toBe(downsampled - 1);
  });
});
