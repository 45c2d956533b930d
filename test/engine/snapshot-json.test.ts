// Tests the snapshot's JSON made once (engine/protocol/snapshot-json.ts) and its use by the daemon's
// dispatcher: a text remembered for a snapshot (the sampler worker's) is what subscribers receive,
// byte for byte, made only when someone subscribes; without one the dispatcher stringifies the
// snapshot itself. The snapshot's JSON in parts joins back into exactly JSON.stringify.

import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/core/engine.js';
import { derive } from '../../src/engine/core/derive.js';
import { joinSnapshotJson, rememberSnapshotJson, snapshotJson, snapshotJsonParts } from '../../src/engine/protocol/snapshot-json.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { DerivedSample, SampleRequest } from '../../src/engine/ports/sources.js';
import { createLoopbackPair } from '../../src/engine/rpc/loopback.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeSampleSource } from './raw-builders.js';

const flush = async (n = 50): Promise<void> => { for (let i = 0; i < n; i++) await Promise.resolve(); };

/** Derives where it samples and makes the JSON text with a marker whitespace, to tell it apart. */
class TextSource extends FakeSampleSource {
  private prev: RawSample | null = null;
  /** per sample: was its JSON text made? */
  jsonMade: boolean[] = [];
  async sampleDerived(req: SampleRequest): Promise<DerivedSample> {
    const raw = await this.sample(req);
    const snapshot = derive(this.prev, raw);
    this.prev = raw;
    const n = this.jsonMade.push(false) - 1;
    return { raw, snapshot, deriveUsec: 1, snapshotJson: () => { this.jsonMade[n] = true; return JSON.stringify(snapshot, null, 1); } };
  }
}

describe('snapshot JSON made once', () => {
  it('snapshotJson is JSON.stringify, or the remembered text', () => {
    const a = { x: 1 };
    const b = { x: 2 };
    expect(snapshotJson(a)).toBe('{"x":1}');
    rememberSnapshotJson(b, '{ "x": 2 }');
    expect(snapshotJson(b)).toBe('{ "x": 2 }');
  });

  it('subscribers get the text the source made; it is made only while someone subscribes', async () => {
    const clock = new ManualClock();
    const src = new TextSource(clock);
    const engine = createEngine({
      sampler: src, clock, tuner: null, advisor: null, readOnly: true, demo: false, root: '/', intervalSec: 1,
      version: 'test', yieldToLoop: () => Promise.resolve(),
    });
    await engine.start();
    const [server, client] = createLoopbackPair();
    serveEngine(engine, server, { readOnly: true, caller: { uid: null, user: null, pid: null, via: 'loopback' } });
    const got: string[] = [];
    client.onMessage((t) => got.push(t));
    client.send(JSON.stringify({ v: 1, kind: 'req', id: 1, method: 'subscribe', params: {} }));
    await flush();
    clock.advance(1000);
    await flush(300);
    const event = got.find((t) => t.includes('"kind":"event"'));
    expect(event).toBeDefined();
    const snap = await engine.latest();
    // the marker text (indented) is inside the event, and it is the latest snapshot's JSON
    expect(event).toContain(JSON.stringify(snap, null, 1));
    expect(JSON.parse(event!).snapshot).toEqual(JSON.parse(JSON.stringify(snap)));
    expect(src.jsonMade).toEqual([false, true]);
    await engine.stop();
  });

  it('a snapshot in JSON parts joins back into exactly JSON.stringify of it, for any number of guests', async () => {
    for (const n of [0, 1, 49, 50, 51, 130]) {
      const clock = new ManualClock();
      const src = new FakeSampleSource(clock, Array.from({ length: n }, (_, i) => `qemu:g${i}`));
      const a = await src.sample({ tasks: new Set(['counters']) });
      clock.advance(1000);
      const snap = derive(a, await src.sample({ tasks: new Set(['counters']) }));
      snap.errors.push({ source: 'qmp', guest: null, message: 'a "guests":[] inside a message' });
      const parts = snapshotJsonParts(snap, 50);
      expect(parts.parts).toHaveLength(Math.ceil(n / 50));
      expect(joinSnapshotJson(parts)).toBe(JSON.stringify(snap));
      expect(snap.guests).toHaveLength(n); // the parts are made from a copy: the snapshot keeps its guests
    }
  });
});
