// Tests how a RawSample crosses from the sampler worker to the engine's thread
// (engine/node/worker-sampler.ts): the decoded sample equals the sample, guests in order; decoding
// gives the event loop a turn before each part (other callbacks run in between); each part's buffer
// can be handed over whole; a lazy sample decodes its guests only when they are read; a snapshot
// crosses as its JSON text in parts, parsed one part per turn.

import { describe, expect, it } from 'vitest';
import { derive } from '../../src/engine/core/derive.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { decodeRawSample, decodeSnapshotJson, encodeRawSample, GUESTS_PER_PART, lazyRawSample, transferables } from '../../src/engine/node/worker-sampler.js';
import { snapshotJsonParts } from '../../src/engine/protocol/snapshot-json.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeSampleSource } from './raw-builders.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `qemu:g${i}`);

describe('the sampler worker codec', () => {
  it('decodes exactly the sample it encoded, in parts of GUESTS_PER_PART guests', async () => {
    const clock = new ManualClock();
    const raw = await new FakeSampleSource(clock, ids(GUESTS_PER_PART * 2 + 7)).sample({ tasks: new Set(['counters']) });
    raw.errors.push({ source: 'qmp', guest: 'qemu:g3', message: 'no answer' });
    const e = encodeRawSample(raw);
    expect(e.parts).toHaveLength(3);
    expect(transferables(e)).toHaveLength(4); // head + 3 parts, each its own buffer
    expect(await decodeRawSample(e)).toEqual(raw);
  });

  it('a sample without guests is its head alone', async () => {
    const raw = await new FakeSampleSource(new ManualClock(), []).sample({ tasks: new Set(['counters']) });
    const e = encodeRawSample(raw);
    expect(e.parts).toHaveLength(0);
    expect(await decodeRawSample(e)).toEqual(raw);
  });

  it('lets the event loop turn before each part: callbacks queued meanwhile run before the sample is whole', async () => {
    const raw = await new FakeSampleSource(new ManualClock(), ids(40)).sample({ tasks: new Set(['counters']) });
    const e = encodeRawSample(raw, 10);
    const order: string[] = [];
    let turns = 0;
    const tick = (): void => { turns++; order.push('other'); if (turns < 10) setImmediate(tick); };
    setImmediate(tick);
    const decoded = decodeRawSample(e).then((r) => { order.push('decoded'); return r; });
    expect((await decoded).guests).toHaveLength(40);
    // 4 parts: the other callbacks got at least 3 turns before the decode finished
    expect(order.indexOf('decoded')).toBeGreaterThanOrEqual(3);
  });

  it('a lazy sample holds its guests encoded until read, then gives the very guests (JSON too)', async () => {
    const raw = await new FakeSampleSource(new ManualClock(), ids(75)).sample({ tasks: new Set(['counters']) });
    const lazy = lazyRawSample(encodeRawSample(raw));
    expect(lazy.monoMs).toBe(raw.monoMs);
    expect(lazy.guests).toEqual(raw.guests);
    expect(lazy.guests).toBe(lazy.guests); // decoded once, kept
    expect(JSON.parse(JSON.stringify(lazy))).toEqual(JSON.parse(JSON.stringify(raw)));
  });

  it('a snapshot crosses as JSON parts, parsed one part per turn of the event loop', async () => {
    const clock = new ManualClock();
    const src = new FakeSampleSource(clock, ids(120));
    const a = await src.sample({ tasks: new Set(['counters']) });
    clock.advance(1000);
    const snap: Snapshot = derive(a, await src.sample({ tasks: new Set(['counters']) }));
    const e = snapshotJsonParts(snap, GUESTS_PER_PART);
    expect(e.parts).toHaveLength(3);
    let turns = 0;
    const tick = (): void => { turns++; if (turns < 20) setImmediate(tick); };
    setImmediate(tick);
    const got = await decodeSnapshotJson(e);
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(got).toEqual(snap);
    expect(JSON.stringify(got)).toBe(JSON.stringify(snap));
  });
});
