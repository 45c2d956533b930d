// Owns the engine child process of the benchmarks (dist/bench/engine-worker.js), so the figures are
// the engine's alone, in a fresh process:
//   cpu ROOT GUESTS WINDOW WARMUP — the real engine (collector + QMP enricher) sampling
//     the demo host at ROOT at 1 Hz; reports process CPU time / wall time over WINDOW s after WARMUP s.
//   floor ROOT GUESTS WINDOW WARMUP — the floor of the same engine's plain tick at 1 Hz: one sample's
//     files (read by the real collector once, then held open) re-read with positional reads, and its QMP
//     request bytes written on every guest's held socket with the replies counted, never parsed; no
//     decoding, derive, history, discovery or settings. Reports process CPU time / wall time the same way.
//   rss GUESTS SECONDS — the engine fed SECONDS synthetic 1-second samples through tick() with a
//     manual clock (one hour of history in a few seconds); reports resident memory.
// The result goes back over IPC as one object.

import { NodeHostFs } from '../engine/node/node-host-fs.js';
import { SystemClock } from '../engine/node/system-clock.js';
import { ExecRunner } from '../engine/node/exec-runner.js';
import type { RawSample } from '../engine/model/sample.js';
import type { GuestEnricher, SampleSource } from '../engine/ports/sources.js';
import { BenchClock } from './manual-clock.js';
import { loadHistory } from './history-part.js';
import { HeldFiles } from './floor.js';
import { loadDerive, loadQmpEnricher, loadSampler, loadSocketQmp, missing, tryImport } from './parts.js';
import { openQmpFloor, RecordingQmp } from './qmp-floor.js';
import { RecordingFs } from './recording-fs.js';
import { syntheticSample } from './synthetic.js';
import { EVERY_TASK, PLAIN_TICK } from './task-sets.js';

type EngineModule = typeof import('../engine/core/engine.js');

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const memory = (): Record<string, number> => {
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), arrayBuffersMb: mb(m.arrayBuffers), externalMb: mb(m.external) };
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** This process's CPU time over the next `windowSec` seconds, in % of one core. */
async function cpuShareOver(windowSec: number): Promise<{ cpuPct: number; userPct: number; systemPct: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(windowSec * 1000);
  const c = process.cpuUsage(c0);
  const wallUs = (performance.now() - t0) * 1000;
  return { cpuPct: ((c.user + c.system) / wallUs) * 100, userPct: (c.user / wallUs) * 100, systemPct: (c.system / wallUs) * 100 };
}

async function cpu(root: string, guests: number, windowSec: number, warmupSec: number): Promise<unknown> {
  const engineMod = await tryImport<EngineModule>('../engine/core/engine.js', 'engine');
  const samplerMod = await loadSampler();
  if (!engineMod || !samplerMod) return { error: missing.join('; ') };
  const qmpMod = await loadQmpEnricher();
  const sockMod = await loadSocketQmp();
  const clock = new SystemClock();
  const fs = new NodeHostFs(root);
  const enrichers: GuestEnricher[] = [];
  if (qmpMod && sockMod) {
    enrichers.push(qmpMod.createQmpEnricher({ fs, qmp: new sockMod.SocketQmpConnector(), runner: new ExecRunner(), clock }));
  }
  const sampler = samplerMod.createHostSampler({ fs, clock, enrichers, demo: true });
  const engine = engineMod.createEngine({
    sampler, clock, tuner: null, advisor: null, readOnly: true, demo: true, root, intervalSec: 1, version: 'bench',
  });
  let ticks = 0;
  let found = 0;
  const sampleCosts: number[] = [];
  await engine.start();
  await engine.subscribe((s) => { ticks++; found = s.guests.length; });
  await sleep(warmupSec * 1000);
  const ticks0 = ticks;
  const costTimer = setInterval(() => {
    void engine.status().then((st) => { if (st.lastSampleCostUsec !== null) sampleCosts.push(st.lastSampleCostUsec); });
  }, 1000);
  const share = await cpuShareOver(windowSec);
  clearInterval(costTimer);
  const mem = memory();
  await engine.stop();
  fs.close();
  sampleCosts.sort((a, b) => a - b);
  return {
    guests, found, qmpIncluded: enrichers.length > 0, windowSec, ticks: ticks - ticks0, ...share,
    sampleCostMsMedian: sampleCosts.length ? (sampleCosts[sampleCosts.length >> 1] as number) / 1000 : null,
    memoryAfterWindow: mem,
  };
}

async function floor(root: string, guests: number, windowSec: number, warmupSec: number): Promise<unknown> {
  const samplerMod = await loadSampler();
  const qmpMod = await loadQmpEnricher();
  const sockMod = await loadSocketQmp();
  if (!samplerMod) return { error: missing.join('; ') };
  const clock = new SystemClock();
  const fs = new RecordingFs(new NodeHostFs(root));
  const qmpRec = qmpMod && sockMod ? new RecordingQmp(new sockMod.SocketQmpConnector()) : null;
  const enrichers: GuestEnricher[] = [];
  if (qmpMod && qmpRec) enrichers.push(qmpMod.createQmpEnricher({ fs, qmp: qmpRec, runner: new ExecRunner(), clock }));
  const sampler = samplerMod.createHostSampler({ fs, clock, enrichers, demo: true });
  let paths: string[];
  let found = 0;
  try {
    await sampler.sample({ tasks: EVERY_TASK });
    fs.start();
    if (qmpRec) qmpRec.recording = true;
    found = (await sampler.sample({ tasks: PLAIN_TICK })).guests.length;
    if (qmpRec) qmpRec.recording = false;
    paths = fs.stop().map((p) => fs.resolve(p));
  } finally {
    await sampler.close();
    fs.close();
  }
  const files = HeldFiles.open(paths);
  const qmp = qmpRec && qmpRec.batches.size > 0 ? await openQmpFloor(qmpRec) : null;
  try {
    let stop = false;
    let ticks = 0;
    // 1 Hz, as the engine ticks: one pass over the files, then one QMP pass on every socket
    const loop = (async () => {
      while (!stop) {
        const t0 = performance.now();
        files.pass();
        if (qmp) await qmp.pass();
        ticks++;
        await sleep(Math.max(0, 1000 - (performance.now() - t0)));
      }
    })();
    await sleep(warmupSec * 1000);
    const ticks0 = ticks;
    const share = await cpuShareOver(windowSec);
    stop = true;
    await loop;
    return {
      guests, found, files: files.fds.length, qmpSockets: qmp?.sockets ?? 0, qmpCommands: qmp?.commands ?? 0, windowSec,
      ticks: ticks - ticks0, ...share,
    };
  } finally {
    files.close();
    qmp?.close();
  }
}

async function rss(guests: number, seconds: number): Promise<unknown> {
  const engineMod = await tryImport<EngineModule>('../engine/core/engine.js', 'engine');
  const before = memory();
  const clock = new BenchClock();
  let t = 0;
  if (engineMod) {
    const sampler: SampleSource = {
      sample: async (): Promise<RawSample> => {
        const s = syntheticSample(guests, t++);
        s.monoMs = clock.monoMs();
        s.wallMs = clock.wallMs();
        return s;
      },
      close: async () => undefined,
    };
    const engine = engineMod.createEngine({
      sampler, clock, tuner: null, advisor: null, readOnly: true, demo: true, root: '/', intervalSec: 1, historySec: 3600, version: 'bench',
    });
    for (let i = 0; i < seconds; i++) {
      await engine.tick();
      clock.advance(1000);
    }
    const after = memory();
    const st = await engine.status();
    await engine.stop();
    return { via: 'engine.tick', guests, seconds, samples: st.samples, historyWindowSec: st.historyWindowSec, before, after, rssMb: after.rssMb };
  }
  const deriveMod = await loadDerive();
  const history = await loadHistory();
  if (!deriveMod || !history) return { error: missing.join('; ') };
  const h = history.create(3600);
  let prev: RawSample | null = null;
  for (let i = 0; i < seconds; i++) {
    const cur = syntheticSample(guests, i);
    history.append(h, deriveMod.derive(prev, cur), i);
    prev = cur;
  }
  const after = memory();
  return { via: 'history.record', guests, seconds, before, after, rssMb: after.rssMb };
}

const [mode, ...args] = process.argv.slice(2);
let out: unknown;
try {
  if (mode === 'cpu') out = await cpu(args[0] ?? '/', Number(args[1]), Number(args[2]), Number(args[3]));
  else if (mode === 'floor') out = await floor(args[0] ?? '/', Number(args[1]), Number(args[2]), Number(args[3]));
  else if (mode === 'rss') out = await rss(Number(args[0]), Number(args[1]));
  else out = { error: `unknown mode ${mode}` };
} catch (e) {
  out = { error: (e as Error).stack ?? String(e) };
}
process.send?.(out, () => process.exit(0));
