// Owns the sample-cost benchmark: the collector sampling the demo host (in a child process, manual
// mode, counters advanced 1 s between samples, the demo's QMP servers included) at a given guest
// count — with discovery cached and with discovery — and, in the same run, the floor: the same files
// re-read by the minimal pread loop and by readFileSync, and the same QMP request bytes replayed on
// every guest's socket without parsing (qmp-floor.ts). Beside this process's CPU per sample, the demo
// process's over the same samples (its QMP servers answering, as QEMU's monitors would elsewhere).

import { NodeHostFs } from '../engine/node/node-host-fs.js';
import { SystemClock } from '../engine/node/system-clock.js';
import { ExecRunner } from '../engine/node/exec-runner.js';
import type { RawSample } from '../engine/model/sample.js';
import type { GuestEnricher, SampleTask } from '../engine/ports/sources.js';
import { DemoProcess } from './demo-process.js';
import { measureFloor, type FloorResult } from './floor.js';
import { loadQmpEnricher, loadSampler, loadSocketQmp, missing } from './parts.js';
import { RecordingFs } from './recording-fs.js';
import { measureQmpFloor, RecordingQmp, type QmpFloor } from './qmp-floor.js';
import { cpuSec } from './proc-cpu.js';
import { timeRuns, type Stat } from './stats.js';
import { PLAIN_TICK } from './task-sets.js';

export interface SampleCost {
  guests: number;
  /** guests the sampler found (should equal guests) */
  found: number;
  qmpIncluded: boolean;
  /** µs per whole sample (wall time: includes waiting for the demo's QMP servers in the other process) */
  cached: Stat;
  /** CPU time of this process per cached sample, µs (mean): what the sample costs the host itself */
  cachedCpuUs: number;
  /** CPU time of the demo host's process (its QMP servers answering) per cached sample, µs (mean) */
  simulatorCpuUs: number;
  discovery: Stat;
  /** files read by one cached sample, and total reads (a file may be read twice) */
  files: number;
  reads: number;
  dirListings: number;
  floor: FloorResult;
  /** the same QMP request bytes on every guest's socket, replies read but not parsed (null without QMP) */
  qmpFloor: QmpFloor | null;
  /** two consecutive samples, 1 s apart, for the derivation benchmark */
  pair: [RawSample, RawSample];
  errors: number;
  /** the first error messages of the last sample (what failed) */
  errorSamples: string[];
}

const WITH_DISCOVERY: ReadonlySet<SampleTask> = new Set<SampleTask>(['discovery', 'counters', 'qmp']);
const FIRST: ReadonlySet<SampleTask> = new Set<SampleTask>(['discovery', 'counters', 'qmp', 'numa', 'qmpSlow', 'static']);

/** The distinct error messages of a sample (guest names folded), at most 3. */
function errorKinds(s: RawSample): string[] {
  return [...new Set(s.errors.map((e) => `${e.source}: ${e.message.replace(/\b[\w-]+-\d+\b/g, 'GUEST')}`))].slice(0, 3);
}

export async function measureSampleCost(
  guests: number, runs: number, warmup: number,
): Promise<SampleCost | null> {
  const samplerMod = await loadSampler();
  if (!samplerMod) return null;
  const qmpMod = await loadQmpEnricher();
  const sockMod = await loadSocketQmp();
  let demo: DemoProcess;
  try {
    demo = await DemoProcess.start({ guests, manual: true, qmp: qmpMod !== null && sockMod !== null });
  } catch (e) {
    const note = `demo host: ${(e as Error).message}`;
    if (!missing.includes(note)) missing.push(note);
    return null;
  }
  const clock = new SystemClock();
  const fs = new RecordingFs(new NodeHostFs(demo.root));
  const enrichers: GuestEnricher[] = [];
  const qmpRec = sockMod ? new RecordingQmp(new sockMod.SocketQmpConnector()) : null;
  if (qmpMod && qmpRec) {
    enrichers.push(qmpMod.createQmpEnricher({ fs, qmp: qmpRec, runner: new ExecRunner(), clock }));
  }
  const sampler = samplerMod.createHostSampler({ fs, clock, enrichers, demo: true });
  const advance = (): Promise<void> => demo.advance(1000);
  let closed = false;
  const closeSampler = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await sampler.close();
    fs.close();
  };
  try {
    const first = await sampler.sample({ tasks: FIRST });
    await advance();
    const cached = await timeRuns(() => sampler.sample({ tasks: PLAIN_TICK }), { runs, warmup, before: advance });
    let cpu = 0;
    let simulator = 0;
    const simulatorSec = (): number => cpuSec(demo.pid);
    for (let i = 0; i < runs; i++) {
      await advance();
      const s0 = simulatorSec();
      const c0 = process.cpuUsage();
      await sampler.sample({ tasks: PLAIN_TICK });
      const c = process.cpuUsage(c0);
      simulator += simulatorSec() - s0;
      cpu += c.user + c.system;
    }
    const cachedCpuUs = cpu / Math.max(1, runs);
    const simulatorCpuUs = (simulator * 1e6) / Math.max(1, runs);
    const discovery = await timeRuns(() => sampler.sample({ tasks: WITH_DISCOVERY }), { runs, warmup, before: advance });
    await advance();
    fs.start();
    if (qmpRec) qmpRec.recording = true;
    const prev = await sampler.sample({ tasks: PLAIN_TICK });
    if (qmpRec) qmpRec.recording = false;
    const files = fs.stop();
    const reads = fs.reads;
    const dirListings = fs.dirListings;
    await advance();
    const cur = await sampler.sample({ tasks: PLAIN_TICK });
    // release the sampler's cached descriptors first: the floor keeps its own open
    await closeSampler();
    const floor = await measureFloor(files.map((p) => fs.resolve(p)), runs, warmup);
    const qmpFloor = qmpRec && qmpRec.batches.size > 0 ? await measureQmpFloor(qmpRec, runs, warmup, simulatorSec) : null;
    return {
      guests, found: first.guests.length, qmpIncluded: enrichers.length > 0, cached, cachedCpuUs, simulatorCpuUs, discovery,
      files: files.length, reads, dirListings, floor, qmpFloor, pair: [prev, cur], errors: cur.errors.length,
      errorSamples: errorKinds(cur),
    };
  } finally {
    await closeSampler();
    await demo.stop();
  }
}
