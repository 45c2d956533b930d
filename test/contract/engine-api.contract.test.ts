// The contract suite: ONE scenario (fake host with deterministic counters, ManualClock, three ticks, a
// tuning preview, an apply, an undo, history, audit, errors) run over every transport — direct,
// loopback, unix socket, websocket, Electron IPC (fake ipcMain) — asserting identical results.

import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/core/engine.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { CallerInfo, EngineApi } from '../../src/engine/protocol/api.js';
import type { TuningRequest } from '../../src/engine/model/tuning.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeSampleSource } from '../engine/raw-builders.js';
import { RecordingTuner } from '../engine/fake-tuner.js';
import { TRANSPORTS, type Connected } from './transports.js';

const CALLER: CallerInfo = { uid: 1000, user: 'contract', pid: 4242, via: 'contract' };
const REQ: TuningRequest = { guest: 'beta', changes: [{ kind: 'cpuWeight', value: 300, flag: 'cpu-weight' }] };

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { code: number; message: string }> {
  try { return { ok: await p }; } catch (e) {
    const x = e as { exitCode?: number; message: string };
    return { code: x.exitCode ?? -1, message: x.message };
  }
}

async function scenario(connect: (typeof TRANSPORTS)[string]): Promise<{ result: unknown; tunerCalls: unknown }> {
  const clock = new ManualClock();
  const tuner = new RecordingTuner(clock);
  const engine = createEngine({
    sampler: new FakeSampleSource(clock), clock, tuner, advisor: null, readOnly: false, demo: false,
    root: '/', intervalSec: 1, version: 'contract', caller: CALLER,
  });
  const conn: Connected = await connect(engine, { readOnly: false, caller: CALLER });
  cleanups.push(async () => { await conn.cleanup(); await engine.stop(); });
  const api: EngineApi = conn.api;
  const snaps: Snapshot[] = [];
  const sub = await api.subscribe((s) => snaps.push(s));
  for (let i = 0; i < 3; i++) {
    await engine.tick();
    clock.advance(1000);
  }
  await waitFor(() => snaps.length >= 3);
  const result = {
    snaps,
    latest: await api.latest(),
    guests: await api.listGuests(),
    preview: await outcome(api.previewTuning(REQ)),
    applied: await outcome(api.applyTuning(REQ)),
    changes: await api.changes(),
    undone: await outcome(api.undo(null)),
    undoAgain: await outcome(api.undo(null)),
    audit: await api.auditLog(10),
    history: await api.history({ guest: 'qemu:beta', metric: 'cpu.usagePct', windowSec: 60 }),
    badMetric: await outcome(api.history({ guest: 'qemu:beta', metric: 'nope', windowSec: 60 })),
    missingGuest: await outcome(api.previewTuning({ guest: 'gamma', changes: [] })),
    advise: await outcome(api.advise({ need: { vcpus: 1, memMiB: 1 } })),
    diagnosis: await api.diagnose('beta', 60),
    diagnoseMissing: await outcome(api.diagnose('gamma', 10)),
  };
  const status = await api.status();
  await sub.unsubscribe();
  // unsubscribed: a fourth tick does not reach this client
  await engine.tick();
  await new Promise((r) => setTimeout(r, 30));
  expect(snaps).toHaveLength(3);
  expect(status).toMatchObject({ samples: 3, protocolVersion: 1, readOnly: false, version: 'contract' });
  return { result, tunerCalls: tuner.calls };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

describe('EngineApi contract: the same scenario over every transport', () => {
  let reference: { result: unknown; tunerCalls: unknown } | null = null;

  it('direct (reference run) gives the expected results', async () => {
    reference = await scenario(TRANSPORTS.direct!);
    const r = reference.result as Record<string, any>;
    expect(r.snaps.map((s: Snapshot) => s.intervalSec)).toEqual([null, 1, 1]);
    expect(r.snaps[2].guests[1].cpu.usagePct).toBeCloseTo(40, 6);
    expect(r.snaps[2].guests[0].disks[0].readLatencyMs).toBeCloseTo(0.5, 6);
    expect(r.preview.ok).toMatchObject({ guest: 'qemu:beta', applied: false, changeId: null });
    expect(r.applied.ok).toMatchObject({ guest: 'qemu:beta', applied: true, changeId: 'c1' });
    expect(r.undone.ok.warnings).toEqual(['undid c1']);
    expect(r.undoAgain).toMatchObject({ code: 3 });
    expect(r.audit[0]).toMatchObject({ uid: 1000, peerPid: 4242, action: 'apply' });
    expect(r.history.points.map((p: [number, number | null]) => p[1])).toEqual([null, 40, 40]);
    expect(r.badMetric).toMatchObject({ code: 2 });
    expect(r.missingGuest).toMatchObject({ code: 3 });
    expect(r.advise).toMatchObject({ code: 1 });
    expect(r.diagnosis).toMatchObject({ guest: 'qemu:beta', windowSec: 60, samples: 3 });
    expect(r.diagnoseMissing).toMatchObject({ code: 3 });
  });

  for (const name of Object.keys(TRANSPORTS).filter((n) => n !== 'direct')) {
    it(`${name} gives results identical to direct calls`, async () => {
      if (!reference) reference = await scenario(TRANSPORTS.direct!);
      const run = await scenario(TRANSPORTS[name]!);
      expect(JSON.parse(JSON.stringify(run.result))).toEqual(JSON.parse(JSON.stringify(reference.result)));
      expect(run.tunerCalls).toEqual(reference.tunerCalls);
    });
  }
});
