// Replay through the engine (SQLite file in a temp dir, samples from the test's own builders): the
// replayed snapshots are exactly what live derivation made, pause/seek/next event/speed work over the
// JSON loopback, tuning is refused with code 4, and a non-replaying engine refuses replay controls.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/core/engine.js';
import { VirtuneError } from '../../src/engine/model/errors.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { ChangeRecord } from '../../src/engine/model/tuning.js';
import { createRecording, openRecording } from '../../src/engine/node/sqlite-recording.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { Recorder } from '../../src/engine/record/recorder.js';
import { ReplaySource } from '../../src/engine/record/replay-source.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { createLoopbackPair } from '../../src/engine/rpc/loopback.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import { cpuTimes, rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';
import { liveSnapshots } from './helpers.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const T0 = Date.UTC(2026, 10, 25, 17);

function samples(n: number): RawSample[] {
  const out: RawSample[] = [];
  for (let i = 0; i < n; i++) {
    const g = rawGuest('qemu:a');
    g.cpu.usageUsec = 1_000_000 + i * (300_000 + (i % 3) * 50_000);
    const h = rawHost({ cpuTotal: cpuTimes(1000 + i * 40, 5000 + i * 60) });
    out.push(rawSample(1000 + i * 100, h, [g], T0 + i * 100));
  }
  return out;
}

function change(id: string, wallMs: number): ChangeRecord {
  return {
    changeId: id, guest: 'qemu:a', guestUuid: null, appliedAt: new Date(wallMs).toISOString(), state: 'applied', revertAt: null, undoSteps: [],
    plan: { guest: 'qemu:a', applied: true, changeId: id, warnings: [], steps: [{ kind: 'cgroup-write', path: '/sys/fs/cgroup/cpu/a/cpu.cfs_quota_us', from: '-1', to: '50000' }] },
  };
}

async function recordFile(s: RawSample[], events: ChangeRecord[]): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-replay-'));
  dirs.push(dir);
  const file = path.join(dir, 'r.vtr');
  const store = createRecording(file, { hostname: 'h', demo: false, intervalSec: 0.1, nowWallMs: T0 });
  const rec = new Recorder(store, { blockSamples: 7, blockSec: 100 });
  let feed: ChangeRecord[] = [];
  await rec.pollEvents({ changes: async () => feed, auditLog: async () => [] }, T0);
  for (const x of s) rec.add(x);
  feed = events;
  await rec.pollEvents({ changes: async () => feed, auditLog: async () => [] }, T0);
  await rec.flush();
  store.close();
  return file;
}

function replayApi(file: string) {
  const source = new ReplaySource(openRecording(file), { playing: false, speed: 100 });
  const engine = createEngine({
    sampler: source, clock: new SystemClock(), tuner: null, advisor: null, readOnly: true, demo: false,
    root: file, intervalSec: 0.1, version: 't', replay: source,
  });
  const [a, b] = createLoopbackPair();
  serveEngine(engine, a, { readOnly: false, caller: { uid: 0, user: 'root', pid: 1, via: 'loopback' } });
  return { engine, api: connectEngine(b), source };
}

describe('replay engine', () => {
  it('replays every recorded snapshot exactly as live derivation made it, then stops at the end', async () => {
    const s = samples(20);
    const file = await recordFile(s, []);
    const { engine, api } = replayApi(file);
    const got: Snapshot[] = [];
    await engine.start();
    got.push((await api.latest()) as Snapshot);
    await api.subscribe((x) => got.push(x));
    await api.replayControl({ action: 'play' });
    for (let i = 0; i < 200 && got.length < 20; i++) await new Promise((r) => setTimeout(r, 20));
    const st = await api.status();
    expect(got).toEqual(liveSnapshots(s));
    expect(st.replay).toMatchObject({ count: 20, index: 19, atEnd: true, playing: false, startWallMs: T0, endWallMs: T0 + 1900 });
    await engine.stop();
  });

  it('seeks, jumps to the next tuning event, changes speed, and derives rates right after a jump', async () => {
    const s = samples(20);
    const file = await recordFile(s, [change('c-1', T0 + 1250)]);
    const { engine, api } = replayApi(file);
    await engine.start();
    const live = liveSnapshots(s);
    let st = await api.replayControl({ action: 'seek', wallMs: T0 + 500 });
    expect(st.index).toBe(5);
    expect(await api.latest()).toEqual(live[5]);
    st = await api.replayControl({ action: 'nextEvent' });
    expect(st.index).toBe(13); // first sample at or after 1250 ms
    expect(st.events).toEqual([expect.objectContaining({ kind: 'change', guest: 'qemu:a', wallMs: T0 + 1250 })]);
    expect(st.events[0]?.summary).toContain('cpu.cfs_quota_us -1 -> 50000');
    expect(await api.latest()).toEqual(live[13]);
    st = await api.replayControl({ action: 'nextEvent' });
    expect(st.index).toBe(13); // no later event: stays
    st = await api.replayControl({ action: 'speed', speed: 4 });
    expect(st.speed).toBe(4);
    await expect(api.replayControl({ action: 'speed', speed: 1000 })).rejects.toMatchObject({ exitCode: 2 });
    await engine.stop();
  });

  it('refuses tuning while replaying (code 4, "replay is read-only")', async () => {
    const file = await recordFile(samples(3), []);
    const { engine, api } = replayApi(file);
    await engine.start();
    const req = { guest: 'qemu:a', changes: [{ kind: 'cpuQuota' as const, quota: { kind: 'max' as const } }] };
    await expect(api.applyTuning(req)).rejects.toSatisfy((e: unknown) => e instanceof VirtuneError && e.exitCode === 4 && /replay is read-only/.test(e.message));
    await expect(api.previewTuning(req)).rejects.toMatchObject({ exitCode: 4 });
    await expect(api.undo(null)).rejects.toMatchObject({ exitCode: 4 });
    await engine.stop();
  });

  it('a live engine refuses replay controls with code 2', async () => {
    const s = samples(2);
    let i = 0;
    const engine = createEngine({
      sampler: { sample: async () => s[Math.min(i++, 1)] as RawSample, close: async () => undefined },
      clock: new SystemClock(), tuner: null, advisor: null, readOnly: true, demo: false, root: '/', intervalSec: 1, version: 't',
    });
    await expect(engine.replayControl({ action: 'play' })).rejects.toMatchObject({ exitCode: 2 });
    expect((await engine.status()).replay).toBeNull();
  });
});

describe('replay of a downsampled stretch', () => {
  /** 1 s apart for 4 minutes, full resolution kept for the last 60 s only */
  async function downsampledFile(): Promise<{ file: string; s: RawSample[] }> {
    const s: RawSample[] = [];
    for (let i = 0; i < 240; i++) {
      const g = rawGuest('qemu:a');
      g.cpu.usageUsec = 1_000_000 + i * (i < 120 ? 900_000 : 200_000);
      s.push(rawSample(i * 1000, rawHost({ cpuTotal: cpuTimes(1000 + i * 40, 5000 + i * 60) }), [g], T0 + i * 1000));
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-replay-ds-'));
    dirs.push(dir);
    const file = path.join(dir, 'r.vtr');
    const store = createRecording(file, { hostname: 'h', demo: false, intervalSec: 1, nowWallMs: T0 });
    const rec = new Recorder(store, { blockSamples: 10, fullSec: 60 });
    for (const x of s) rec.add(x);
    await rec.flush();
    store.close();
    return { file, s };
  }

  it('plays one snapshot per minute before the full-resolution span, marked downsampled, and seeks across the boundary', async () => {
    const { file, s } = await downsampledFile();
    const src = new ReplaySource(openRecording(file), { playing: false });
    const st0 = src.status();
    const fullFrom = st0.fullFromWallMs as number;
    expect(fullFrom).toBeGreaterThan(T0 + 150_000); // the last ~60-70 s are full resolution
    // the downsampled stretch: the first sample of each minute, exactly as recorded
    const perMinute = s.filter((x) => x.wallMs < fullFrom && x.wallMs % 60_000 === 0);
    const played: RawSample[] = [];
    for (let i = 0; i < src.count; i++) played.push(src.at(i));
    expect(played.slice(0, perMinute.length)).toEqual(perMinute);
    expect(played.slice(perMinute.length)).toEqual(s.filter((x) => x.wallMs >= fullFrom));
    expect(st0.downsampled).toBe(true);
    // derived through the same derive: a per-minute snapshot's rate is the minute's average (0.9 CPU = 90 %)
    const snaps = liveSnapshots(played);
    expect(snaps[1]?.intervalSec).toBe(60);
    expect(snaps[1]?.guests[0]?.cpu.usagePct).toBeCloseTo(90, 5);
    // seeking into the full-resolution span and back
    src.control({ action: 'seek', wallMs: fullFrom + 5000 });
    await src.sample({ tasks: new Set() });
    expect(src.status()).toMatchObject({ downsampled: false, positionWallMs: fullFrom + 5000 });
    src.control({ action: 'seek', wallMs: T0 + 61_000 });
    await src.sample({ tasks: new Set() });
    expect(src.status()).toMatchObject({ downsampled: true, positionWallMs: T0 + 120_000 }); // the next kept minute
    // pacing: a per-minute snapshot is shown one second at 1x, full resolution at its own pace
    src.control({ action: 'seek', wallMs: T0 + 1 });
    await src.sample({ tasks: new Set() }); // the minute-1 sample; the next one is minute 2's
    src.control({ action: 'play' });
    expect(src.nextDelayMs()).toBe(1000);
    src.control({ action: 'speed', speed: 4 });
    expect(src.nextDelayMs()).toBe(250);
    await src.close();
  });
});
