// Tests the daemon's stepped tick: deriveSteps and History.recordSteps give exactly what derive and
// record give; an Engine with yieldToLoop answers status/latest between the steps of a big tick
// (with the previous tick's figures), holds a history query until the append is complete, and ends
// with the same snapshot and history as the one-piece engine fed the same samples. A source that
// derives where it samples (the daemon's worker) hands over its snapshot: the engine publishes it and
// does not read the raw guests unless asked.

import { describe, expect, it } from 'vitest';
import { createEngine, GUESTS_PER_STEP, type EngineDeps } from '../../src/engine/core/engine.js';
import { derive, deriveSteps } from '../../src/engine/core/derive.js';
import { History } from '../../src/engine/core/history.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { DerivedSample, SampleRequest } from '../../src/engine/ports/sources.js';
import type { EngineStatus } from '../../src/engine/protocol/api.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeSampleSource } from './raw-builders.js';

const flush = async (n = 20): Promise<void> => { for (let i = 0; i < n; i++) await Promise.resolve(); };
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `qemu:g${i}`);

function deps(clock: ManualClock, sampler: FakeSampleSource, over: Partial<EngineDeps> = {}): EngineDeps {
  return {
    sampler, clock, tuner: null, advisor: null, readOnly: true, demo: false, root: '/', intervalSec: 1,
    version: 'test', ...over,
  };
}

/** Run a generator to its end; returns its value and how many times it paused. */
function drain<T>(g: Generator<void, T, void>): { value: T; pauses: number } {
  let pauses = 0;
  for (;;) {
    const r = g.next();
    if (r.done === true) return { value: r.value, pauses };
    pauses++;
  }
}

describe('deriveSteps and History.recordSteps', () => {
  it('derive in steps of 7 guests gives the very snapshot derive gives, pausing between the steps', async () => {
    const clock = new ManualClock();
    const src = new FakeSampleSource(clock, ids(30));
    const a = await src.sample({ tasks: new Set(['counters']) });
    clock.advance(1000);
    const b = await src.sample({ tasks: new Set(['counters']) });
    const stepped = drain(deriveSteps(a, b, 7));
    expect(stepped.value).toEqual(derive(a, b));
    expect(stepped.value.guests.map((g) => g.id)).toEqual(ids(30));
    expect(stepped.pauses).toBe(4); // after 7, 14, 21 and 28 guests
    expect(stepped.value.guests[29]!.cpu.usagePct).not.toBeNull();
  });

  it('record in steps keeps the same series as record, including a guest that went away', async () => {
    const clock = new ManualClock();
    const big = new FakeSampleSource(clock, ids(12));
    const small = new FakeSampleSource(clock, ids(5));
    const whole = new History(10, 1);
    const steps = new History(10, 1);
    let prev = null;
    let pauses = 0;
    for (let t = 0; t < 4; t++) {
      const raw = await (t === 3 ? small : big).sample({ tasks: new Set(['counters']) });
      const s = derive(prev, raw);
      whole.record(s, raw.monoMs, raw.wallMs);
      pauses += drain(steps.recordSteps(s, raw.monoMs, raw.wallMs, 3)).pauses;
      prev = raw;
      clock.advance(1000);
    }
    expect(pauses).toBeGreaterThan(0);
    for (const g of ['qemu:g0', 'qemu:g4', 'qemu:g11', null]) {
      expect(steps.metrics(g)).toEqual(whole.metrics(g));
      for (const m of whole.metrics(g)) expect(steps.query({ guest: g, metric: m, windowSec: 10 })).toEqual(whole.query({ guest: g, metric: m, windowSec: 10 }));
    }
    // the vanished guest's last point is unknown in both
    expect(steps.query({ guest: 'qemu:g11', metric: 'cpu.usagePct', windowSec: 10 }).points.at(-1)![1]).toBeNull();
  });
});

describe('History series lookup', () => {
  it('a guest gone for a whole window is dropped, and when it comes back its series start afresh', async () => {
    const clock = new ManualClock();
    const both = new FakeSampleSource(clock, ['qemu:a', 'qemu:b']);
    const onlyA = new FakeSampleSource(clock, ['qemu:a']);
    const h = new History(3, 1); // 4 slots
    let prev: RawSample | null = null;
    const feed = async (src: FakeSampleSource): Promise<void> => {
      const raw = await src.sample({ tasks: new Set(['counters']) });
      h.record(derive(prev, raw), raw.monoMs, raw.wallMs);
      prev = raw;
      clock.advance(1000);
    };
    await feed(both);
    await feed(both);
    for (let i = 0; i < 4; i++) await feed(onlyA);
    expect(h.metrics('qemu:b')).toEqual([]);
    await feed(both);
    await feed(both);
    const pts = h.query({ guest: 'qemu:b', metric: 'memory.currentBytes', windowSec: 3 }).points;
    // only the two samples since it came back have values: nothing of its first life remains
    expect(pts.filter(([, v]) => v !== null)).toHaveLength(2);
    expect(pts.slice(-2).every(([, v]) => v !== null)).toBe(true);
    expect(h.metrics('qemu:b')).toEqual(h.metrics('qemu:a'));
  });
});

describe('Engine with yieldToLoop (the daemon)', () => {
  it('answers status and latest between the steps of a tick, with the previous tick until the new one is complete', async () => {
    const n = GUESTS_PER_STEP * 4 + 3;
    const clock = new ManualClock();
    let yields = 0;
    const seen: Array<Promise<[EngineStatus, Snapshot | null]>> = [];
    const engine = createEngine(deps(clock, new FakeSampleSource(clock, ids(n)), {
      yieldToLoop: () => {
        yields++;
        // a client's requests, handled while the tick is between two steps
        seen.push(Promise.all([engine.status(), engine.latest()]));
        return Promise.resolve();
      },
    }));
    await engine.start();
    const first = await engine.latest();
    expect(first!.guests).toHaveLength(n);
    const yieldsAtStart = yields;
    // derivation pauses 4 times (after 50, 100, 150, 200 guests), the history append at least 4 times
    expect(yieldsAtStart).toBeGreaterThanOrEqual(8);
    seen.length = 0;
    clock.advance(1000);
    await flush(200);
    expect(yields - yieldsAtStart).toBeGreaterThanOrEqual(8);
    const answers = await Promise.all(seen);
    expect(answers.length).toBe(yields - yieldsAtStart);
    for (const [status, latest] of answers) {
      expect(status.samples).toBe(1);      // the tick in progress is not counted yet
      expect(latest).toBe(first);           // nor shown: the previous snapshot, whole
    }
    expect((await engine.status()).samples).toBe(2);
    expect((await engine.latest())!.intervalSec).toBe(1);
    await engine.stop();
  });

  it('a history query made in the middle of the append waits for it, and sees the new point', async () => {
    const n = GUESTS_PER_STEP * 3;
    const clock = new ManualClock();
    let asked: Promise<unknown> | null = null;
    let settledBeforeEnd = false;
    let yields = 0;
    let secondTick = false;
    const order: string[] = [];
    const engine = createEngine(deps(clock, new FakeSampleSource(clock, ids(n)), {
      yieldToLoop: () => {
        // the second tick: derivation pauses twice (after 50 and 100 guests), then the append pauses
        if (secondTick && ++yields === 4) {
          asked = engine.history({ guest: 'qemu:g0', metric: 'cpu.usagePct', windowSec: 60 }).then((h) => { order.push('history'); return h; });
        }
        return Promise.resolve();
      },
    }));
    await engine.subscribe(() => { order.push('snapshot'); if (asked !== null) settledBeforeEnd = order.includes('history'); });
    await engine.start();
    secondTick = true;
    clock.advance(1000);
    await flush(400);
    expect(asked).not.toBeNull();
    const h = await (asked as unknown as Promise<{ points: Array<[number, number | null]> }>);
    expect(settledBeforeEnd).toBe(false);
    // both samples are in it: the query did not read a half-written slot
    expect(h.points).toHaveLength(2);
    expect(h.points[1]![1]).not.toBeNull();
    await engine.stop();
  });

  it('ends with the same snapshots and history as the engine that ticks in one piece', async () => {
    const n = GUESTS_PER_STEP * 2 + 1;
    const run = async (stepped: boolean): Promise<{ snaps: Snapshot[]; hist: unknown }> => {
      const clock = new ManualClock();
      const engine = createEngine(deps(clock, new FakeSampleSource(clock, ids(n)), stepped ? { yieldToLoop: () => Promise.resolve() } : {}));
      const snaps: Snapshot[] = [];
      await engine.subscribe((s) => snaps.push(s));
      await engine.start();
      for (let i = 0; i < 3; i++) { clock.advance(1000); await flush(300); }
      const hist = await engine.history({ guest: `qemu:g${n - 1}`, metric: 'disks.readIops', windowSec: 60 });
      await engine.stop();
      return { snaps, hist };
    };
    const one = await run(false);
    const steps = await run(true);
    expect(steps.snaps).toHaveLength(4);
    expect(steps.snaps).toEqual(one.snaps);
    expect(steps.hist).toEqual(one.hist);
  });
});

/** A source that derives where it samples, like the daemon's worker; counts reads of raw.guests. */
class DerivingSource extends FakeSampleSource {
  guestReads = 0;
  private prev: RawSample | null = null;
  async sampleDerived(req: SampleRequest): Promise<DerivedSample> {
    const raw = await this.sample(req);
    const snapshot = derive(this.prev, raw);
    this.prev = raw;
    const guests = raw.guests;
    const lazy = { ...raw } as RawSample;
    Object.defineProperty(lazy, 'guests', { enumerable: true, get: () => { this.guestReads++; return guests; } });
    return { raw: lazy, snapshot, deriveUsec: 123 };
  }
}

/** A source that keeps the raw guests where it sampled unless asked (raw: true), like the worker with keepGuests. */
class KeepingSource extends FakeSampleSource {
  loads: number[] = [];
  rawAsked: boolean[] = [];
  private prev: RawSample | null = null;
  private n = 0;
  async sampleDerived(req: SampleRequest, opts: { raw?: boolean } = {}): Promise<DerivedSample> {
    const raw = await this.sample(req);
    const snapshot = derive(this.prev, raw);
    this.prev = raw;
    const n = ++this.n;
    this.rawAsked.push(opts.raw === true);
    if (opts.raw === true) return { raw, snapshot, deriveUsec: 1 };
    const guests = raw.guests;
    let here = false;
    const lazy = { ...raw } as RawSample;
    Object.defineProperty(lazy, 'guests', { enumerable: true, get: () => { if (!here) throw new Error('not fetched'); return guests; } });
    return { raw: lazy, snapshot, deriveUsec: 1, loadRawGuests: async () => { await Promise.resolve(); this.loads.push(n); here = true; } };
  }
}

describe('Engine with a source that derives (the daemon\'s worker)', () => {
  it('leaves the raw guests in the source until a request needs them, then fetches those of the latest sample once', async () => {
    const clock = new ManualClock();
    const src = new KeepingSource(clock, ids(5));
    const engine = createEngine(deps(clock, src, { yieldToLoop: () => Promise.resolve() }));
    await engine.start();
    for (let i = 0; i < 2; i++) { clock.advance(1000); await flush(300); }
    expect(src.rawAsked).toEqual([false, false, false]);
    expect(src.loads).toEqual([]); // three ticks, nobody read a raw guest
    expect((await engine.listGuests()).map((g) => g.id)).toEqual(ids(5));
    expect((await engine.latestRaw())?.guests).toHaveLength(5);
    expect(src.loads).toEqual([3]); // the latest sample's, once
    await engine.stop();
    // with a raw-sample feed (the recorder) every raw sample comes whole
    const clock2 = new ManualClock();
    const src2 = new KeepingSource(clock2, ids(2));
    const fed: number[] = [];
    const rec = createEngine(deps(clock2, src2, { yieldToLoop: () => Promise.resolve(), onRawSample: (r) => fed.push(r.guests.length) }));
    await rec.start();
    clock2.advance(1000); await flush(300);
    expect(src2.rawAsked).toEqual([true, true]);
    expect(fed).toEqual([2, 2]);
    await rec.stop();
  });

  it('publishes the source\'s snapshots and never reads the raw guests unless a request needs them', async () => {
    const clock = new ManualClock();
    const src = new DerivingSource(clock, ids(120));
    const engine = createEngine(deps(clock, src, { yieldToLoop: () => Promise.resolve() }));
    const snaps: Snapshot[] = [];
    await engine.subscribe((s) => snaps.push(s));
    await engine.start();
    for (let i = 0; i < 2; i++) { clock.advance(1000); await flush(300); }
    expect(snaps).toHaveLength(3);
    expect(snaps[2]!.guests).toHaveLength(120);
    expect(snaps[2]!.guests[119]!.cpu.usagePct).not.toBeNull();
    const st = await engine.status();
    expect(st).toMatchObject({ samples: 3, guests: 120, lastDeriveCostUsec: 123 });
    expect(src.guestReads).toBe(0);
    // a request that needs the raw guests reads them
    expect((await engine.listGuests()).map((g) => g.id)).toEqual(ids(120));
    expect(src.guestReads).toBeGreaterThan(0);
    // the same figures as the engine that derives itself
    const clock2 = new ManualClock();
    const plain = createEngine(deps(clock2, new FakeSampleSource(clock2, ids(120))));
    const plainSnaps: Snapshot[] = [];
    await plain.subscribe((s) => plainSnaps.push(s));
    await plain.start();
    for (let i = 0; i < 2; i++) { clock2.advance(1000); await flush(300); }
    expect(snaps).toEqual(plainSnaps);
    await engine.stop();
    await plain.stop();
  });

  it('the in-process engine (no yieldToLoop) derives itself even when the source could', async () => {
    const clock = new ManualClock();
    const src = new DerivingSource(clock, ids(3));
    const engine = createEngine(deps(clock, src));
    await engine.start();
    expect((await engine.status()).lastDeriveCostUsec).not.toBe(123);
    expect((await engine.latest())!.guests).toHaveLength(3);
    await engine.stop();
  });
});
