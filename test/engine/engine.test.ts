// Tests the Engine with a fake SampleSource and a ManualClock: cadences of sample tasks, no overlap
// (a slow sample delays the next), cost reporting, history ring buffers, read-only refusal, auto-revert.

import { describe, expect, it } from 'vitest';
import { createEngine, type EngineDeps } from '../../src/engine/core/engine.js';
import { History } from '../../src/engine/core/history.js';
import { Cadences } from '../../src/engine/core/scheduler.js';
import { VirtuneError } from '../../src/engine/model/errors.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { derive } from '../../src/engine/core/derive.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeSampleSource, rawGuest, rawHost, rawSample } from './raw-builders.js';
import { RecordingTuner } from './fake-tuner.js';

const flush = async (n = 20): Promise<void> => { for (let i = 0; i < n; i++) await Promise.resolve(); };

function deps(clock: ManualClock, sampler: FakeSampleSource, over: Partial<EngineDeps> = {}): EngineDeps {
  return {
    sampler, clock, tuner: null, advisor: null, readOnly: true, demo: false, root: '/', intervalSec: 1,
    version: 'test', ...over,
  };
}

describe('Cadences', () => {
  it('runs counters every tick, discovery every 5 ticks, numa and qmpSlow every 30 s, static once', () => {
    const c = new Cadences();
    const seen: string[][] = [];
    for (let t = 0; t < 31; t++) seen.push([...c.due(t * 1000)].sort());
    expect(seen[0]).toEqual(['counters', 'discovery', 'numa', 'qmp', 'qmpSlow', 'settings', 'static']);
    expect(seen[1]).toEqual(['counters', 'qmp']);
    expect(seen[5]).toEqual(['counters', 'discovery', 'qmp', 'settings']);
    expect(seen[10]).toEqual(['counters', 'discovery', 'qmp', 'settings']);
    expect(seen[20]).toEqual(['counters', 'discovery', 'qmp', 'settings']);
    expect(seen[30]).toEqual(['counters', 'discovery', 'numa', 'qmp', 'qmpSlow', 'settings']);
    expect(seen.filter((s) => s.includes('static'))).toHaveLength(1);
  });

  it('a forced task runs on the next tick only (settings right after a tuning change)', () => {
    const c = new Cadences();
    c.due(0);
    expect(c.due(1000).has('settings')).toBe(false);
    c.force('settings');
    expect(c.due(2000).has('settings')).toBe(true);
    expect(c.due(3000).has('settings')).toBe(false);
  });

  it('a task forced with a settle time runs on the next tick and once more that long after it', () => {
    const c = new Cadences();
    c.due(0);
    c.force('numa', 2000);
    expect(c.due(1000).has('numa')).toBe(true); // the forced tick
    expect(c.due(2000).has('numa')).toBe(false); // 1 s after it: not yet
    expect(c.due(3000).has('numa')).toBe(true); // 2 s after it: once more
    expect(c.due(4000).has('numa')).toBe(false);
    expect(c.due(9000).has('numa')).toBe(false); // and then on its own 30 s cadence again
  });
});

describe('Engine loop', () => {
  it('samples on start, then once per interval from the clock, with the due tasks', async () => {
    const clock = new ManualClock();
    const src = new FakeSampleSource(clock);
    const engine = createEngine(deps(clock, src));
    const snaps: Snapshot[] = [];
    await engine.subscribe((s) => snaps.push(s));
    await engine.start();
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.intervalSec).toBeNull();
    for (let i = 0; i < 5; i++) { clock.advance(1000); await flush(); }
    expect(snaps).toHaveLength(6);
    expect(snaps[5]!.intervalSec).toBe(1);
    expect(src.requests[0]!.has('static')).toBe(true);
    expect(src.requests[1]!.has('discovery')).toBe(false);
    expect(src.requests[5]!.has('discovery')).toBe(true);
    const st = await engine.status();
    expect(st.samples).toBe(6);
    expect(st.lastSampleCostUsec).toBe(0);
    expect(st.lastDeriveCostUsec).not.toBeNull();
    await engine.stop();
    expect(src.closed).toBe(true);
    clock.advance(5000);
    await flush();
    expect(snaps).toHaveLength(6);
  });

  it('never overlaps samples: a slow sample delays the next one, no pile-up', async () => {
    const clock = new ManualClock();
    const src = new FakeSampleSource(clock, ['qemu:a'], { delayMs: 2500 });
    const engine = createEngine(deps(clock, src));
    const started = engine.start();
    await flush();
    clock.advance(2500); // first sample finishes
    await started;
    // the first interval counts from the end of the first sample
    await flush();
    expect(src.requests).toHaveLength(1);
    clock.advance(1000);
    await flush();
    expect(src.requests).toHaveLength(2);
    clock.advance(2500); // the second sample finishes, 1.5 s later than its interval
    await flush();
    // it took longer than the interval: the next starts right away, not several at once
    expect(src.requests).toHaveLength(3);
    clock.advance(1000);
    await flush();
    expect(src.requests).toHaveLength(3);
    clock.advance(1500);
    await flush();
    expect(src.requests).toHaveLength(4);
    const st = await engine.status();
    expect(st.lastSampleCostUsec).toBe(2_500_000);
    const stopping = engine.stop();
    clock.advance(5000);
    await stopping;
  });

  it('counts the first interval from the end of the slow first sample, so the first rates cover the interval', async () => {
    const clock = new ManualClock();
    // the first sample (discovery, inventory, NUMA) takes 400 ms and reads its counters at its end
    const src = new FakeSampleSource(clock, ['qemu:a'], { firstDelayMs: 400 });
    const engine = createEngine(deps(clock, src));
    const snaps: Snapshot[] = [];
    await engine.subscribe((s) => snaps.push(s));
    const started = engine.start();
    await flush();
    clock.advance(400);
    await started;
    clock.advance(600); // 1 s after the first sample started: not yet
    await flush();
    expect(src.requests).toHaveLength(1);
    clock.advance(400); // 1 s after it ended
    await flush();
    expect(src.requests).toHaveLength(2);
    expect(snaps[1]!.intervalSec).toBe(1);
    // then a fixed rate from start to start
    for (let i = 0; i < 3; i++) { clock.advance(1000); await flush(); }
    expect(src.requests).toHaveLength(5);
    expect(snaps[4]!.intervalSec).toBe(1);
    await engine.stop();
  });

  it('keeps history per guest and metric in a fixed window', async () => {
    const clock = new ManualClock();
    const engine = createEngine(deps(clock, new FakeSampleSource(clock), { historySec: 3 }));
    await engine.start();
    for (let i = 0; i < 6; i++) { clock.advance(1000); await flush(); }
    const h = await engine.history({ guest: 'qemu:beta', metric: 'cpu.usagePct', windowSec: 3 });
    expect(h.points).toHaveLength(4);
    for (const [, v] of h.points) expect(v).toBeCloseTo(40, 6);
    const vcpu = await engine.history({ guest: 'qemu:alpha', metric: 'vcpus.1.usagePct', windowSec: 2 });
    expect(vcpu.points.map((p) => p[1])).toEqual([10, 10, 10]);
    const host = await engine.history({ guest: null, metric: 'host.cpuUsagePct', windowSec: 60 });
    expect(host.points.length).toBe(4); // the ring holds 3 s / 1 s + 1 samples
    await expect(engine.history({ guest: 'qemu:alpha', metric: 'nope', windowSec: 5 })).rejects.toMatchObject({ exitCode: 2 });
    await engine.stop();
  });

  it('read-only engine refuses tuning with code 4 and says read-only', async () => {
    const clock = new ManualClock();
    const engine = createEngine(deps(clock, new FakeSampleSource(clock)));
    await engine.start();
    const req = { guest: 'qemu:alpha', changes: [{ kind: 'cpuPeriod' as const, usec: 100000 }] };
    const err = await engine.applyTuning(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirtuneError);
    expect((err as VirtuneError).exitCode).toBe(4);
    expect((err as VirtuneError).message).toMatch(/^read-only: /);
    await expect(engine.previewTuning(req)).rejects.toMatchObject({ exitCode: 4 });
    await expect(engine.undo()).rejects.toMatchObject({ exitCode: 4 });
    expect((await engine.status()).readOnly).toBe(true);
    await engine.stop();
  });

  it('forwards tuning with the caller and calls revertDue from the loop', async () => {
    const clock = new ManualClock();
    const tuner = new RecordingTuner(clock);
    const src = new FakeSampleSource(clock);
    const engine = createEngine(deps(clock, src, { tuner, readOnly: false }));
    await engine.start();
    const req = { guest: 'qemu:alpha', changes: [{ kind: 'cpuWeight' as const, value: 200, flag: 'cpu-weight' as const }] };
    const plan = await engine.applyTuning(req, { uid: 7, user: 'u', pid: 42, via: 'unix' });
    expect(plan.applied).toBe(true);
    expect(tuner.calls.find((c) => c.op === 'apply')!.caller).toEqual({ uid: 7, user: 'u', pid: 42, via: 'unix' });
    const before = tuner.calls.filter((c) => c.op === 'revertDue').length;
    clock.advance(1000);
    await flush();
    expect(tuner.calls.filter((c) => c.op === 'revertDue').length).toBe(before + 1);
    // the tick right after a change re-reads the settings files and QEMU's throttles (query-block, in
    // the slow QMP batch otherwise due every 30 s), so the new limit shows at once
    expect(src.requests.at(-1)?.has('settings')).toBe(true);
    expect(src.requests.at(-1)?.has('qmpSlow')).toBe(true);
    // and numa_maps, so per-node memory is fresh after a change instead of up to 30 s old
    expect(src.requests.at(-1)?.has('numa')).toBe(true);
    await engine.stop();
  });

  it("a corrupt journal record is named in every snapshot's errors while it is there (source tuning)", async () => {
    const clock = new ManualClock();
    const problems: string[] = ['undo journal record /s/changes/x.json is corrupt (not valid JSON): it is not listed and cannot be undone; fix or remove the file'];
    const tuner = Object.assign(new RecordingTuner(clock), { journalProblems: () => [...problems] });
    const src = new FakeSampleSource(clock);
    const engine = createEngine(deps(clock, src, { tuner, readOnly: true }));
    await engine.start();
    const first = (await engine.latest())!.errors.filter((e) => e.source === 'tuning').map((e) => e.message);
    expect(first).toEqual([problems[0]]);
    clock.advance(1000);
    await flush();
    expect((await engine.latest())!.errors.filter((e) => e.source === 'tuning')).toHaveLength(1);
    problems.length = 0; // the operator removed the file
    clock.advance(1000);
    await flush();
    expect((await engine.latest())!.errors.filter((e) => e.source === 'tuning')).toEqual([]);
    await engine.stop();
  });

  it('listGuests comes from the latest sample', async () => {
    const clock = new ManualClock();
    const engine = createEngine(deps(clock, new FakeSampleSource(clock)));
    await engine.start();
    expect((await engine.listGuests()).map((g) => g.id)).toEqual(['qemu:alpha', 'qemu:beta']);
    await engine.stop();
  });
});

describe('History', () => {
  it('keeps values in float32 but gives fractions back as written (7 significant digits)', () => {
    const h = new History(10, 1);
    const s = derive(null, rawSample(0, rawHost(), [rawGuest('qemu:x')]));
    s.guests[0]!.cpu.usagePct = 97.2;
    s.guests[0]!.memory.currentBytes = 123456789;
    h.record(s, 0, 0);
    expect(h.query({ guest: 'qemu:x', metric: 'cpu.usagePct', windowSec: 10 }).points).toEqual([[0, 97.2]]);
    // large integers land on the float32 grid (relative error < 1e-7)
    const [[, v]] = h.query({ guest: 'qemu:x', metric: 'memory.currentBytes', windowSec: 10 }).points as [[number, number]];
    expect(Math.abs(v - 123456789) / 123456789).toBeLessThan(1e-7);
  });

  it('drops the series of a vanished guest after a whole window, and holds at most capacity points', () => {
    const h = new History(2, 1);
    const s1 = derive(null, rawSample(0, rawHost(), [rawGuest('qemu:x')]));
    const s2 = derive(null, rawSample(0, rawHost(), []));
    h.record(s1, 0, 0);
    for (let i = 1; i <= 2; i++) h.record(s2, i * 1000, i * 1000);
    expect(h.metrics('qemu:x')).toContain('memory.currentBytes');
    const q = h.query({ guest: 'qemu:x', metric: 'memory.currentBytes', windowSec: 10 });
    expect(q.points).toEqual([[0, 2 ** 30], [1000, null], [2000, null]]);
    h.record(s2, 3000, 3000);
    expect(h.metrics('qemu:x')).toEqual([]);
    const host = h.query({ guest: null, metric: 'host.memAvailableBytes', windowSec: 100 });
    expect(host.points).toHaveLength(h.capacity);
  });
});
