// Owns the recorder benchmark: the demo host (in a child process, manual mode, 1 s of counters between
// samples, its QMP servers included, engine-like cadences: settings every 5 ticks) is sampled one
// sample at a time, and each raw sample is handed to the Recorder writing a real recording file and
// then dropped, as `virtune record` sees them (sample -> record -> drop: the heap holds what a live
// recorder holds, not the whole run), at the recorder's pace: one sample per `paceMs` of real time
// (1 s: what `virtune record` does; the machine's caches are cold again after an idle second, which
// more than doubles the encoder's time on this machine against samples taken back to back, paceMs 0).
// The floor of that work is measured on the same samples after the recorder is done with each (warm,
// outside its windows, so a lower bound): one plain visit of every value the sample may have changed
// (all but the containers the sampler carries over as the same frozen object, which the encoder skips
// too), and v8.serialize of the whole sample (native: what the daemon's worker does to hand a sample over). Only the recorder is timed: CPU time of the process (user +
// system) across each `add`, and across the wait for a committed block (brotli on the thread pool and
// the SQLite write: process CPU counts every thread), so block commits and compression are included
// and the sampler's own work is not. Wall time, inflated by a busy machine, is in the detail. Bytes per
// guest-sample = the closed file's size / guest-samples. The earlier method (all samples read first,
// held alive, then recorded: its GC of the held samples was counted as the recorder's) stays as
// `measureRecorderHeld` for comparison.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { serialize } from 'node:v8';
import type { RawSample } from '../engine/model/sample.js';
import { ExecRunner } from '../engine/node/exec-runner.js';
import { NodeHostFs } from '../engine/node/node-host-fs.js';
import { createRecording } from '../engine/node/sqlite-recording.js';
import { SystemClock } from '../engine/node/system-clock.js';
import type { GuestEnricher } from '../engine/ports/sources.js';
import { Recorder } from '../engine/record/recorder.js';
import { DemoProcess } from './demo-process.js';
import { loadQmpEnricher, loadSampler, loadSocketQmp } from './parts.js';
import { summarize, type Stat } from './stats.js';
import { EVERY_TASK, PLAIN_TICK, SETTINGS_TICK } from './task-sets.js';

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
  /** real time from one sample's start to the next (0: back to back) */
  paceMs: number;
  /** the floor, per sample (ms of CPU, measured warm after the recorder's window): see the file's first comment */
  floor: { visitMsPerSample: number; valuesVisited: number; serializeMsPerSample: number } | null;
}

/** Values in `v` outside containers that are the same frozen object as in `prev` (what an encoder must look at). */
function visitChanged(v: unknown, prev: unknown): number {
  if (v === null || typeof v !== 'object') return 1;
  if (v === prev && Object.isFrozen(v)) return 0;
  const p = (prev !== null && typeof prev === 'object' ? prev : {}) as Record<string, unknown>;
  let n = 0;
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) n += visitChanged(v[i], (p as unknown as unknown[])[i]);
  else for (const k in v as Record<string, unknown>) n += visitChanged((v as Record<string, unknown>)[k], p[k]);
  return n;
}

/** CPU µs of this process while `f` runs. */
function cpuUsOf(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

/** The recorder's floor, summed over samples (each against the one before it). */
class FloorMeter {
  private visitUs = 0;
  private serializeUs = 0;
  private values = 0;
  private n = 0;
  private prev: RawSample | null = null;

  measure(raw: RawSample): void {
    const prev = this.prev;
    this.prev = raw;
    if (prev === null) return; // the first sample has none before it
    this.visitUs += cpuUsOf(() => { this.values += visitChanged(raw, prev); });
    this.serializeUs += cpuUsOf(() => { serialize(raw); });
    this.n++;
  }

  result(): RecorderCost['floor'] {
    const n = this.n;
    return n === 0 ? null : { visitMsPerSample: this.visitUs / 1000 / n, valuesVisited: Math.round(this.values / n), serializeMsPerSample: this.serializeUs / 1000 / n };
  }
}

/** Live method: sample -> record -> drop, only the recorder's calls (and its block writes) timed. */
export async function measureRecorder(guests: number, samples: number, paceMs = 0): Promise<RecorderCost | null> {
  return withRecording(guests, paceMs, async (rec) => {
    const times: number[] = [];
    let cpuUs = 0;
    let gs = 0;
    const floor = new FloorMeter();
    const ok = await eachDemoSample(guests, samples, async (raw) => {
      gs += raw.guests.length;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      rec.add(raw);
      await rec.drain(); // a committed block: wait for its compression and write, inside the window
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuUs += c.user + c.system;
      floor.measure(raw); // after the recorder's window
    }, paceMs);
    if (!ok) return null;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await rec.flush();
    times[times.length - 1] = (times[times.length - 1] ?? 0) + (performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    return { times, cpuUs, guestSamples: gs, floor: floor.result() };
  });
}

/** Old method (until session 4): every sample read first and held alive, then all recorded. */
export async function measureRecorderHeld(guests: number, samples: number): Promise<RecorderCost | null> {
  const raws = await demoRawSamples(guests, samples);
  return raws === null ? null : recordCost(guests, raws);
}

/**
 * Sample the demo host `samples` times as the engine does, handing each raw sample to `each` before
 * reading the next, sample starts `paceMs` of real time apart (0: back to back); false when the sampler
 * is absent.
 */
async function eachDemoSample(guests: number, samples: number, each: (raw: RawSample) => Promise<void>, paceMs = 0): Promise<boolean> {
  const samplerMod = await loadSampler();
  const qmpMod = await loadQmpEnricher();
  const sockMod = await loadSocketQmp();
  if (!samplerMod) return false;
  const demo = await DemoProcess.start({ guests, manual: true, qmp: qmpMod !== null && sockMod !== null });
  const fs = new NodeHostFs(demo.root);
  const clock = new SystemClock();
  const enrichers: GuestEnricher[] = [];
  if (qmpMod && sockMod) enrichers.push(qmpMod.createQmpEnricher({ fs, qmp: new sockMod.SocketQmpConnector(), runner: new ExecRunner(), clock }));
  const sampler = samplerMod.createHostSampler({ fs, clock, enrichers, demo: true });
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await each(await sampler.sample({ tasks: i === 0 ? EVERY_TASK : i % 5 === 0 ? SETTINGS_TICK : PLAIN_TICK }));
      await demo.advance(1000);
      const left = paceMs - (performance.now() - t0);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    }
  } finally {
    await sampler.close();
    fs.close();
    await demo.stop();
  }
  return true;
}

/** A fresh recording file with the defaults of `virtune record`; `run` records into it. */
async function withRecording(
  guests: number,
  paceMs: number,
  run: (rec: Recorder) => Promise<{ times: number[]; cpuUs: number; guestSamples: number; floor?: RecorderCost['floor'] } | null>,
): Promise<RecorderCost | null> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-bench-rec-'));
  try {
    const file = path.join(dir, 'bench.vtr');
    const store = createRecording(file, { hostname: null, demo: true, intervalSec: 1, nowWallMs: Date.now() });
    const rec = new Recorder(store); // the defaults of `virtune record` (a block per 120 samples)
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(rec);
    } finally {
      store.close();
    }
    if (r === null) return null;
    const bytes = statSync(file).size;
    const n = r.times.length;
    const total = r.times.reduce((a, b) => a + b, 0);
    return {
      guests, samples: n, guestSamples: r.guestSamples, bytes, bytesPerGuestSample: bytes / r.guestSamples,
      perSample: summarize(r.times), msPerSample: r.cpuUs / 1000 / n, wallMsPerSample: total / n, paceMs, floor: r.floor ?? null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The demo host's raw samples, read as the engine reads them (null when the sampler is absent). */
export async function demoRawSamples(guests: number, samples: number): Promise<RawSample[] | null> {
  const raws: RawSample[] = [];
  const ok = await eachDemoSample(guests, samples, async (raw) => { raws.push(raw); });
  return ok ? raws : null;
}

/** Record `raws` (held alive) into a fresh recording file as `virtune record` does, timing it all. */
export async function recordCost(guests: number, raws: RawSample[]): Promise<RecorderCost> {
  const r = await withRecording(guests, 0, async (rec) => {
    const times: number[] = [];
    const c0 = process.cpuUsage();
    for (const raw of raws) {
      const t0 = performance.now();
      rec.add(raw);
      times.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await rec.flush();
    times[times.length - 1] = (times[times.length - 1] ?? 0) + (performance.now() - t0);
    const c = process.cpuUsage(c0);
    return { times, cpuUs: c.user + c.system, guestSamples: raws.reduce((n, x) => n + x.guests.length, 0) };
  });
  if (r === null) throw new Error('recordCost: nothing recorded');
  return r;
}
