// Over every transport (the direct engine has no connection), a read-only connection to a read-write engine reports status().readOnly = true,
// so a face (the TUI's tuning panel) can say why tuning is unavailable before the operator tries.

import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/core/engine.js';
import type { CallerInfo } from '../../src/engine/protocol/api.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeSampleSource } from '../engine/raw-builders.js';
import { RecordingTuner } from '../engine/fake-tuner.js';
import { TRANSPORTS } from './transports.js';

const CALLER: CallerInfo = { uid: 0, user: 'root', pid: 1, via: 'test' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

describe.each(Object.keys(TRANSPORTS).filter((k) => k !== 'direct'))('status over %s', (name) => {
  it('says read-only on a read-only connection, read-write otherwise', async () => {
    const clock = new ManualClock();
    const engine = createEngine({
      sampler: new FakeSampleSource(clock), clock, tuner: new RecordingTuner(clock), advisor: null, readOnly: false, demo: false,
      root: '/', intervalSec: 1, version: 'contract', caller: CALLER,
    });
    const connect = TRANSPORTS[name]!;
    const ro = await connect(engine, { readOnly: true, caller: CALLER });
    const rw = await connect(engine, { readOnly: false, caller: CALLER });
    cleanups.push(async () => { await ro.cleanup(); await rw.cleanup(); await engine.stop(); });
    expect((await ro.api.status()).readOnly).toBe(true);
    expect((await rw.api.status()).readOnly).toBe(false);
  });
});
