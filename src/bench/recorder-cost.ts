// Owns the recorder benchmark: raw samples of the demo host (in a child process, manual mode, 1 s of
// counters between samples, its QMP servers included, engine-like cadences: settings every 5 ticks)
// are read first; then each is handed to the Recorder writing a real recording file, timed per
// sample (block commits included) as CPU time of this process (user + system: what recording costs
// the engine's process; wall time, inflated by a busy machine, is in the detail). Bytes per
// guest-sample = the closed file's size / guest-samples.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RawSample } from '../engine/model/sample.js';
import { ExecRunner } from '../engine/node/exec-runner.js';
import { NodeHostFs } from '../engine/node/node-host-fs.js';
import { createRecording } from '../engine/node/sqlite-recording.js';
import { SystemClock } from '../engine/node/system-clock.js';
import type { GuestEnricher, SampleTask } from '../engine/ports/sources.js';
import { Recorder } from '../engine/record/recorder.js';
import { DemoProcess } from './demo-process.js';
import { loadQmpEnricher, loadSampler, loadSocketQmp } from './parts.js';
import { summarize, type Stat } from './stats.js';

export interface RecorderCost {
  guests: number;
  samples: number;
  guestSamples: number;
  bytes: number;
  bytesPerGuestSample: number;
  /** wall time of each add (ms) */
  perSample: Stat;
  /** CPU time per sample, block commits included (ms) */
  msPerSample: number;
  wallMsPerSample: number;
}

const FIRST = new Set<SampleTask>(['discovery', 'counters', 'qmp', 'numa', 'qmpSlow', 'settings', 'static']);
const TICK = new Set<SampleTask>(['counters', 'qmp']);
const SETTINGS = new Set<SampleTask>(['counters', 'qmp', 'settings']);

export async function measureRecorder(guests: number, samples: number): Promise<RecorderCost | null> {
  const raws = await demoRawSamples(guests, samples);
  return raws === null ? null : recordCost(guests, raws);
}

/** The demo host's raw samples, read as the engine reads them (null when the sampler is absent). */
export async function demoRawSamples(guests: number, samples: number): Promise<RawSample[] | null> {
  const samplerMod = await loadSampler();
  const qmpMod = await loadQmpEnricher();
  const sockMod = await loadSocketQmp();
  if (!samplerMod) return null;
  const demo = await DemoProcess.start({ guests, manual: true, qmp: qmpMod !== null && sockMod !== null });
  const fs = new NodeHostFs(demo.root);
  const clock = new SystemClock();
  const enrichers: GuestEnricher[] = [];
  if (qmpMod && sockMod) enrichers.push(qmpMod.createQmpEnricher({ fs, qmp: new sockMod.SocketQmpConnector(), runner: new ExecRunner(), clock }));
  const sampler = samplerMod.createHostSampler({ fs, clock, enrichers, demo: true });
  const raws: RawSample[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      raws.push(await sampler.sample({ tasks: i === 0 ? FIRST : i % 5 === 0 ? SETTINGS : TICK }));
      await demo.advance(1000);
    }
  } finally {
    await sampler.close();
    fs.close();
    await demo.stop();
  }
  return raws;
}

/** Record `raws` into a fresh recording file as `virtune record` does, timing each sample. */
export async function recordCost(guests: number, raws: RawSample[]): Promise<RecorderCost> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-bench-rec-'));
  try {
    const file = path.join(dir, 'bench.vtr');
    const store = createRecording(file, { hostname: null, demo: true, intervalSec: 1, nowWallMs: Date.now() });
    const rec = new Recorder(store); // the defaults of `virtune record` (a block per 120 samples)
    const times: number[] = [];
    const c0 = process.cpuUsage();
    for (const raw of raws) {
      const t0 = performance.now();
      rec.add(raw);
      times.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await rec.flush();
    const last = performance.now() - t0;
    times[times.length - 1] = (times[times.length - 1] ?? 0) + last;
    store.close();
    const cpu = process.cpuUsage(c0);
    const bytes = statSync(file).size;
    const gs = raws.reduce((n, r) => n + r.guests.length, 0);
    const total = times.reduce((a, b) => a + b, 0);
    return {
      guests, samples: raws.length, guestSamples: gs, bytes, bytesPerGuestSample: bytes / gs,
      perSample: summarize(times), msPerSample: (cpu.user + cpu.system) / 1000 / raws.length, wallMsPerSample: total / raws.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
