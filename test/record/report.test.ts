// The capacity report over a recording written by the real file adapter: percentiles equal the ones
// computed here from the recorded samples, before/after windows are equal and split at the change,
// downsampled spans still count (weighted minute means, true max), and percentiles of weighted values.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { ChangeRecord } from '../../src/engine/model/tuning.js';
import { createRecording, openRecording } from '../../src/engine/node/sqlite-recording.js';
import { Recorder, type RecorderOptions } from '../../src/engine/record/recorder.js';
import { buildReport, percentiles } from '../../src/engine/record/report.js';
import { decodeBlock } from '../../src/engine/record/codec.js';
import { adviseNeed } from '../../src/engine/advisor/advise.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { reportText } from '../../src/engine/present/report-text.js';
import { cpuTimes, rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';
import { expectedPercentiles, liveSnapshots, recordedSamples } from './helpers.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const T0 = Date.UTC(2026, 10, 25, 17);

/** guest a uses 100 % CPU before the change at sample 30 and 40 % after; 1 s apart */
function samples(n: number): RawSample[] {
  const out: RawSample[] = [];
  let usage = 0;
  for (let i = 0; i < n; i++) {
    usage += (i <= 30 ? 1_000_000 : 400_000) + (i % 5) * 1000;
    const g = rawGuest('qemu:a');
    g.cpu.usageUsec = usage;
    const per = { 0: cpuTimes(500 + i * (40 + (i % 7)), 2500 + i * 30), 1: cpuTimes(500 + i * 60, 2500 + i * 30) };
    out.push(rawSample(i * 1000, rawHost({ cpuTotal: cpuTimes(1000 + i * 100, 5000 + i * 60), cpuPerCpu: per }), [g], T0 + i * 1000));
  }
  return out;
}

async function write(s: RawSample[], changes: ChangeRecord[], opts: RecorderOptions = {}): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-report-'));
  dirs.push(dir);
  const file = path.join(dir, 'r.vtr');
  const store = createRecording(file, { hostname: 'h', demo: false, intervalSec: 1, nowWallMs: T0 });
  const rec = new Recorder(store, { blockSamples: 10, ...opts });
  let feed: ChangeRecord[] = [];
  const f = { changes: async () => feed, auditLog: async () => [] };
  await rec.pollEvents(f, T0);
  for (const x of s) rec.add(x);
  feed = changes;
  await rec.pollEvents(f, T0);
  await rec.flush();
  store.close();
  return file;
}

const change: ChangeRecord = {
  changeId: 'c-7', guest: 'qemu:a', guestUuid: null, appliedAt: new Date(T0 + 30_500).toISOString(), state: 'applied', revertAt: null, undoSteps: [],
  plan: { guest: 'qemu:a', applied: true, changeId: 'c-7', warnings: [], steps: [{ kind: 'cgroup-write', path: '/x/cpu.max', from: 'max 100000', to: '40000 100000' }] },
};

describe('capacity report', () => {
  it('percentiles per guest and node match the recorded samples; before/after split at the change', async () => {
    const s = samples(60);
    const file = await write(s, [change]);
    const r = openRecording(file);
    const rep = buildReport(r, { fit: { vcpus: 1, memMiB: 64 } });
    r.close();
    const snaps = liveSnapshots(recordedSamples(file)).filter((x) => x.intervalSec !== null);
    const cpu = snaps.map((x) => x.guests[0]?.cpu.usagePct as number);
    expect(rep.samples).toBe(60);
    expect(rep.guests[0]?.metrics.cpuPct).toEqual(expectedPercentiles(cpu));
    // a counter that went backwards gives no rate: those samples are not counted (absent is not zero)
    const node = snaps.map((x) => x.host.numaNodes[0]?.cpuUsagePct).filter((v): v is number => v !== null && v !== undefined);
    expect(node.length).toBeGreaterThan(40);
    expect(node.length).toBeLessThan(59);
    expect(rep.nodes[0]?.metrics.cpuPct).toEqual(expectedPercentiles(node));
    // disk and network of this guest were never known: no percentiles made up from nothing
    expect(rep.guests[0]?.metrics.latencyMs).toBeUndefined();
    const c = rep.changes[0];
    expect(c).toMatchObject({ changeId: 'c-7', guest: 'qemu:a', windowSec: 28.5 }); // the shorter side: 59 s - 30.5 s
    expect(c?.before.cpuPct?.p50).toBeGreaterThan(99);
    expect(c?.after.cpuPct?.p50).toBeLessThan(41);
    expect(c?.before.cpuPct?.n).toBe(c?.after.cpuPct?.n);
    // --fit is the advisor's answer on the busiest sample of the recording
    const raws = recordedSamples(file);
    const live = liveSnapshots(raws);
    let busiest = 1;
    for (let i = 1; i < live.length; i++) {
      if ((live[i]?.host.cpuUsagePct ?? -1) > (live[busiest]?.host.cpuUsagePct ?? -1)) busiest = i;
    }
    const want = adviseNeed(live[busiest] as Snapshot, raws[busiest] as RawSample, { vcpus: 1, memMiB: 64 }, { hugepages: null });
    expect(rep.fit).toEqual({ ...want, atWallMs: raws[busiest]?.wallMs });
    expect(rep.events).toHaveLength(1);
    expect(reportText(rep).join('\n')).toContain('Change c-7 on qemu:a');
  });

  it('downsampled blocks become per-minute aggregates that the report still counts', async () => {
    const s = samples(150);
    const file = await write(s, [], { fullSec: 30 });
    const r = openRecording(file);
    const rep = buildReport(r);
    const blocks = r.blocks();
    const minutes = r.minutes();
    r.close();
    const full = blocks.filter((b) => b.stepSec === 0);
    expect(full[0]?.firstWallMs).toBeGreaterThan(T0); // the oldest full-resolution blocks are gone
    // what replaces them for replay: the first sample of each minute, in blocks of step 60
    const again = openRecording(file);
    const kept = blocks.filter((b) => b.stepSec === 60).flatMap((b) => decodeBlock(again.readBlock(b.id)));
    again.close();
    const minutesOf = s.filter((x) => x.wallMs < (full[0]?.firstWallMs ?? 0)).map((x) => Math.floor(x.wallMs / 60_000));
    expect(kept.map((x) => x.wallMs)).toEqual(s.filter((x, i) => x.wallMs < (full[0]?.firstWallMs ?? 0) && (i === 0 || minutesOf[i] !== minutesOf[i - 1])).map((x) => x.wallMs));
    expect(kept.length).toBeGreaterThan(0);
    expect(minutes.length).toBeGreaterThan(0);
    expect(rep.downsampledMinutes).toBeGreaterThan(0);
    const agg = minutes.filter((m) => m.scope === 'guest:qemu:a' && m.metric === 'cpuPct').reduce((n, m) => n + m.n, 0);
    expect(rep.guests[0]?.metrics.cpuPct?.n).toBe(agg + rep.samples - 1);
    expect(rep.guests[0]?.metrics.cpuPct?.max).toBeGreaterThan(100); // the max of the 100 % minutes survives
  });

  it('past its memory budget the report folds values into per-minute buckets (weighted means, exact max)', async () => {
    const s = samples(150);
    const file = await write(s, []);
    const r = openRecording(file);
    const full = buildReport(r);
    const folded = buildReport(r, { budgetValues: 100 });
    r.close();
    expect(full.resolution).toBe('sample');
    expect(folded.resolution).toBe('minute');
    const snaps = liveSnapshots(recordedSamples(file)).filter((x) => x.intervalSec !== null);
    const byMinute = new Map<number, number[]>();
    for (const x of snaps) {
      const m = Math.floor(Date.parse(x.timestamp) / 60_000) * 60_000;
      byMinute.set(m, [...(byMinute.get(m) ?? []), x.guests[0]!.cpu.usagePct as number]);
    }
    const means = [...byMinute.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
    const weights = [...byMinute.values()].map((v) => v.length);
    const want = percentiles(means, weights);
    const got = folded.guests[0]!.metrics.cpuPct!;
    expect(got.n).toBe(snaps.length);
    for (const k of ['p50', 'p95', 'p99'] as const) expect(got[k]).toBeCloseTo(want[k] as number, 6);
    expect(got.max).toBe(full.guests[0]!.metrics.cpuPct!.max); // the max is never averaged away
    expect(folded.charts[0]!.x.length).toBeLessThan(full.charts[0]!.x.length);
  });

  it('weighted nearest-rank percentiles', () => {
    expect(percentiles([])).toEqual({ n: 0, p50: null, p95: null, p99: null, max: null });
    expect(percentiles([3, 1, 2])).toEqual({ n: 3, p50: 2, p95: 3, p99: 3, max: 3 });
    expect(percentiles([10, 20], [99, 1])).toMatchObject({ n: 100, p50: 10, p95: 10, p99: 10, max: 20 });
  });
});
