// The replay controls over every transport (direct, loopback, unix socket, websocket, Electron IPC):
// the same replay scenario (recording in a temp SQLite file) gives identical results everywhere, and a
// live engine refuses replay controls with code 2 over every transport.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/core/engine.js';
import type { ChangeRecord } from '../../src/engine/model/tuning.js';
import { createRecording, openRecording } from '../../src/engine/node/sqlite-recording.js';
import type { CallerInfo } from '../../src/engine/protocol/api.js';
import { Recorder } from '../../src/engine/record/recorder.js';
import { ReplaySource } from '../../src/engine/record/replay-source.js';
import { FakeSampleSource } from '../engine/raw-builders.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { TRANSPORTS } from '../contract/transports.js';

const CALLER: CallerInfo = { uid: 1000, user: 'contract', pid: 4242, via: 'contract' };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { code: number; message: string }> {
  try { return { ok: await p }; } catch (e) {
    const x = e as { exitCode?: number; message: string };
    return { code: x.exitCode ?? -1, message: x.message };
  }
}

/** 12 samples of the fake host, 1 s apart, and one change at the 6th */
async function recording(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-replay-contract-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'c.vtr');
  const clock = new ManualClock();
  const src = new FakeSampleSource(clock);
  const store = createRecording(file, { hostname: 'h', demo: false, intervalSec: 1, nowWallMs: clock.wallMs() });
  const rec = new Recorder(store, { blockSamples: 5 });
  let changes: ChangeRecord[] = [];
  const feed = { changes: async () => changes, auditLog: async () => [] };
  await rec.pollEvents(feed, clock.wallMs());
  let changeAt = 0;
  for (let i = 0; i < 12; i++) {
    const s = await src.sample({ tasks: new Set(['counters']) });
    rec.add(s);
    if (i === 5) changeAt = s.wallMs + 10;
    clock.advance(1000);
  }
  changes = [{
    changeId: 'c1', guest: 'qemu:beta', guestUuid: null, appliedAt: new Date(changeAt).toISOString(), state: 'applied', revertAt: null,
    undoSteps: [], plan: { guest: 'qemu:beta', applied: true, changeId: 'c1', warnings: [], steps: [] },
  }];
  await rec.pollEvents(feed, clock.wallMs());
  await rec.flush();
  store.close();
  return file;
}

async function scenario(name: string, file: string): Promise<unknown> {
  const source = new ReplaySource(openRecording(file), { playing: false });
  const engine = createEngine({
    sampler: source, clock: new ManualClock(), tuner: null, advisor: null, readOnly: true, demo: false,
    root: file, intervalSec: 1, version: 'contract', replay: source,
  });
  const conn = await TRANSPORTS[name]!(engine, { readOnly: false, caller: CALLER });
  cleanups.push(async () => { await conn.cleanup(); await engine.stop(); });
  const api = conn.api;
  await engine.tick();
  return {
    first: await api.latest(),
    seek: await api.replayControl({ action: 'seek', wallMs: 0 }),
    next: await api.replayControl({ action: 'nextEvent' }),
    atEvent: await api.latest(),
    speed: await api.replayControl({ action: 'speed', speed: 8 }),
    badSpeed: await outcome(api.replayControl({ action: 'speed', speed: 0 })),
    play: await api.replayControl({ action: 'play' }),
    pause: await api.replayControl({ action: 'pause' }),
    status: (await api.status()).replay,
    tune: await outcome(api.applyTuning({ guest: 'beta', changes: [{ kind: 'cpuWeight', value: 300, flag: 'cpu-weight' }] })),
    history: await api.history({ guest: 'qemu:beta', metric: 'cpu.usagePct', windowSec: 60 }),
  };
}

describe('replay controls: the same scenario over every transport', () => {
  it('gives identical results over every transport, with the expected positions', async () => {
    const file = await recording();
    const ref = JSON.parse(JSON.stringify(await scenario('direct', file))) as Record<string, any>;
    expect(ref.seek).toMatchObject({ index: 0, count: 12, playing: false });
    expect(ref.next).toMatchObject({ index: 6 });
    expect(ref.atEvent.intervalSec).toBe(1); // derived from the sample before the jump, as live
    expect(ref.speed.speed).toBe(8);
    expect(ref.badSpeed).toMatchObject({ code: 2 });
    expect(ref.play.playing).toBe(true);
    expect(ref.pause.playing).toBe(false);
    expect(ref.tune).toMatchObject({ code: 4, message: expect.stringContaining('replay is read-only') });
    for (const name of Object.keys(TRANSPORTS).filter((n) => n !== 'direct')) {
      expect(JSON.parse(JSON.stringify(await scenario(name, file))), name).toEqual(ref);
    }
  });

  it('a live engine refuses replay controls with code 2 over every transport', async () => {
    for (const name of Object.keys(TRANSPORTS)) {
      const clock = new ManualClock();
      const engine = createEngine({
        sampler: new FakeSampleSource(clock), clock, tuner: null, advisor: null, readOnly: true, demo: false,
        root: '/', intervalSec: 1, version: 'contract',
      });
      const conn = await TRANSPORTS[name]!(engine, { readOnly: true, caller: CALLER });
      cleanups.push(async () => { await conn.cleanup(); await engine.stop(); });
      expect(await outcome(conn.api.replayControl({ action: 'play' })), name).toMatchObject({ code: 2, message: expect.stringContaining('not replaying') });
    }
  });
});
