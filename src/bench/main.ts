// Owns `npm run bench`: runs every benchmark in turn (sample cost and its floor, derivation, engine
// CPU and memory, daemon fan-out, the TUI's frame and CPU, the recorder), then prints one JSON object
// (--json; the table then goes to stderr) or the table. Progress goes to stderr.
// A composition root: it may import anything in src/.

import { measureJournal } from './journal-cost.js';
import { machineInfo } from './machine.js';
import { parseOptions } from './options.js';
import { missing } from './parts.js';
import { emptyResult, renderTable, statJson, type BenchResult, type SizeKey } from './result.js';
import { measureSampleCost, type SampleCost } from './sample-cost.js';
import { measureDeriveCost } from './derive-cost.js';
import { measureDiagnoseCost } from './diagnose-cost.js';
import { measureEngineCpu, measureEngineFloorCpu, measureRss } from './engine-cost.js';
import { measureDaemon } from './daemon-cost.js';
import { measureTuiCpu, measureTuiFrame } from './tui-cost.js';
import { measureKernelFloor } from './floor.js';
import { measureRecorder } from './recorder-cost.js';
import { measureServeRecord } from './serve-record-cost.js';
import { measureRenderer } from './renderer-cost.js';
import { round, scale } from './stats.js';
import { runLibvirtPart } from './libvirt-part.js';
import { measureStatusLatency } from './status-latency.js';

const opts = parseOptions(process.argv.slice(2));
const progress = (msg: string): void => { process.stderr.write(`bench: ${msg}\n`); };
const started = Date.now();
const command = `npm run bench --${opts.quick ? ' --quick' : ''}${opts.libvirtOnly ? ' --libvirt-only' : ''}${opts.statusOnly ? ' --status-only' : ''}${opts.costOnly ? ' --cost-only' : ''}${opts.json ? ' --json' : ''}`;
const r: BenchResult = emptyResult(machineInfo(), opts.quick, command);

async function step<T>(name: string, fn: () => Promise<T>): Promise<T | null> {
  progress(`${name}…`);
  const t0 = Date.now();
  try {
    const out = await fn();
    progress(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return out;
  } catch (e) {
    r.notes.push(`${name} failed: ${(e as Error).message.split('\n')[0]}`);
    progress(`${name} FAILED: ${(e as Error).stack ?? String(e)}`);
    return null;
  }
}

/** Print the result (as the CLI does: with --json the object to stdout, the table to stderr) and exit. */
function finish(): never {
  r.durationSec = round((Date.now() - started) / 1000, 1);
  if (opts.json) {
    process.stderr.write(renderTable(r));
    process.stdout.write(JSON.stringify(r) + '\n');
  } else process.stdout.write(renderTable(r));
  process.exit(0);
}

async function statusPart(): Promise<void> {
  const n = opts.quick ? 100 : 1000;
  const sl = await step(`status latency, serve --root of a ${n}-guest demo`, () => measureStatusLatency(n, opts.quick ? 5 : 20, opts.quick ? 3 : 10));
  if (!sl) return;
  r.statusP99MsDuring1000 = sl.p99Ms;
  r.detail.statusLatency = sl;
  if (sl.guests !== 1000) r.notes.push(`status latency measured with ${sl.guests} demo guests (quick)`);
}

if (opts.statusOnly) {
  await statusPart();
  r.notes.push('--status-only: only the daemon status latency was measured');
  finish();
}

async function engineCpuPart(): Promise<void> {
  const g = opts.engineGuests;
  const ec = await step(`engine CPU, ${g} guests, ${opts.engineWindowSec} s`, () => measureEngineCpu(opts));
  if (ec) {
    r.engineCpuPct100 = round(ec.cpuPct, 3);
    r.detail.engineCpu = ec;
  }
  const sw = opts.engineSteadyWarmupSec;
  const es = sw === null ? null : await step(`engine CPU after ${sw} s, ${g} guests, ${opts.engineWindowSec} s`, () => measureEngineCpu(opts, sw));
  if (es) {
    r.engineCpuPct100Steady = round(es.cpuPct, 3);
    r.detail.engineCpuSteady = { ...es, warmupSec: sw };
  }
  if (sw === null) r.notes.push('quick: the engine is not measured again after minutes (engineCpuPct100Steady)');
  const ef = await step(`engine floor at 1 Hz, ${g} guests, ${opts.engineWindowSec} s`, () => measureEngineFloorCpu(opts));
  if (ef) {
    r.engineFloorCpuPct100 = round(ef.cpuPct, 3);
    r.detail.engineFloor = ef;
  }
  if (g !== 100) r.notes.push(`engine CPU measured with ${g} guests over ${opts.engineWindowSec} s (quick)`);
}

async function daemonPart(): Promise<void> {
  const dm = await step(`daemon, ${opts.daemonGuests} guests, ${opts.daemonClients} clients`, () => measureDaemon(opts));
  if (dm) {
    r.daemonCpuPct50Clients = round(dm.cpuPctClients, 3);
    r.daemonCpuPctIdle = round(dm.cpuPctIdle, 3);
    r.detail.daemon = dm;
  }
  const dmr = opts.quick ? null : await step(`daemon on --root (simulator in its own process), ${opts.daemonGuests} guests, ${opts.daemonClients} clients`,
    () => measureDaemon(opts, true));
  if (dmr) {
    r.daemonCpuPct50ClientsOwnRoot = round(dmr.cpuPctClients, 3);
    r.daemonCpuPctIdleOwnRoot = round(dmr.cpuPctIdle, 3);
    r.detail.daemonOnRoot = dmr;
  }
  if (opts.daemonGuests !== 100) r.notes.push(`daemon measured with ${opts.daemonGuests} guests over ${opts.daemonWindowSec} s (quick)`);
}

if (opts.costOnly) {
  await engineCpuPart();
  await daemonPart();
  r.notes.push('--cost-only: only the engine CPU and the daemon fan-out were measured');
  finish();
}

if (opts.libvirtOnly) {
  await runLibvirtPart(r, opts, step, progress);
  r.notes.push('--libvirt-only: only the libvirt section was measured');
  finish();
}

function sampleDetail(sc: SampleCost): Record<string, unknown> {
  const n = sc.guests;
  return {
    found: sc.found, qmpIncluded: sc.qmpIncluded, errorsInSample: sc.errors, errorKinds: sc.errorSamples,
    cachedMsPerSample: statJson(sc.cached, 1000), cachedUsPerGuest: statJson(sc.cached, n),
    cachedCpuUsPerGuest: round(sc.cachedCpuUs / n), simulatorCpuUsPerGuest: round(sc.simulatorCpuUs / n),
    discoveryMsPerSample: statJson(sc.discovery, 1000), discoveryUsPerGuest: statJson(sc.discovery, n),
    filesPerSample: sc.files, readsPerSample: sc.reads, dirListingsPerSample: sc.dirListings,
    floorPreadUsPerGuest: statJson(sc.floor.pread, n), floorReadFileUsPerGuest: statJson(sc.floor.readFile, n),
    floorPreadUsPerFile: round(sc.floor.pread.median / sc.floor.files),
    floorReadFileUsPerFile: round(sc.floor.readFile.median / sc.floor.files),
  };
}

// 1. sample cost and the floor, per guest count
const samples: Record<string, unknown> = {};
let largest: SampleCost | null = null;
for (const n of opts.sizes) {
  const sc = await step(`sample cost, ${n} guests`, () => measureSampleCost(n, opts.sampleRuns[n] ?? 10, opts.sampleWarmup));
  if (!sc) continue;
  const key = String(n) as SizeKey;
  r.sampleUsPerGuest[key] = round(sc.cached.median / n);
  r.sampleWithDiscoveryUsPerGuest[key] = round(sc.discovery.median / n);
  r.sampleCpuUsPerGuest[key] = round(sc.cachedCpuUs / n);
  samples[key] = sampleDetail(sc);
  if (!largest || n > largest.guests) largest = sc;
}
r.detail.sample = samples;
if (largest) {
  const n = largest.guests;
  const floor = largest.floor;
  r.floorGuests = n;
  r.floorPreadUsPerGuest = round(floor.pread.median / n);
  r.floorReadFileUsPerGuest = round(floor.readFile.median / n);
  // the floor includes the QMP round trip: the same request bytes on every socket, replies unparsed
  const qf = largest.qmpFloor;
  r.floorQmpUsPerGuest = qf ? round(qf.pass.median / n) : null;
  r.sampleToFloorRatio = round(largest.cached.median / (floor.pread.median + (qf?.pass.median ?? 0)), 2);
  r.sampleToReadFileRatio = round(largest.cached.median / floor.readFile.median, 2);
  r.detail.floor = {
    guests: n, files: floor.files, measuredFiles: floor.measuredFiles,
    preadUsPerGuest: statJson(scale(floor.pread, n)), readFileUsPerGuest: statJson(scale(floor.readFile, n)),
    preadUsPerFile: round(floor.pread.median / floor.files),
    readFileUsPerFile: round(floor.readFile.median / floor.files),
    qmp: qf ? {
      sockets: qf.sockets, commandsPerSample: qf.commands, usPerGuest: statJson(qf.pass, n),
      clientCpuUsPerGuest: round(qf.clientCpuUs / n), serverCpuUsPerGuest: qf.serverCpuUs === null ? null : round(qf.serverCpuUs / n),
    } : null,
  };
  // a pass waits for the slower side: when the demo's QMP servers spend about the pass's time, the
  // floor's wall time is theirs, not what this process needs
  if (qf && qf.serverCpuUs !== null && qf.serverCpuUs >= 0.8 * qf.pass.median) {
    const us = (x: number): string => (x / n).toFixed(1);
    r.notes.push(`QMP floor: the demo's QMP servers used ${us(qf.serverCpuUs)} µs of CPU per guest per pass against the pass's ${us(qf.pass.median)} µs of wall time, this process ${us(qf.clientCpuUs)}: the floor's wall time is the servers'`);
  }
  if (!qf) r.notes.push('QMP floor not measured (no QMP in the sample): sampleToFloorRatio is against the pread floor alone');
  if (n !== 1000) r.notes.push(`floor and ratio measured at ${n} guests (the full run uses 1000)`);
  if (floor.measuredFiles < floor.files) {
    r.notes.push(`floor: ${floor.files} files per sample exceed the descriptor budget; ${floor.measuredFiles} were re-read and the pass scaled up`);
  }
  if (largest.errors > 0) r.notes.push(`the ${n}-guest sample reported ${largest.errors} errors: ${largest.errorSamples[0] ?? ''}`);
}
const kf = await step('floor on this machine\'s kernel files', () => measureKernelFloor(opts.quick ? 20 : 200, 5));
if (kf) r.detail.kernelFloor = { files: kf.files.length, preadUsPerFile: round(kf.preadUsPerFile), readFileUsPerFile: round(kf.readFileUsPerFile) };

// 2. derivation, history append, serialisation
const pair = largest && largest.guests === opts.deriveGuests ? largest.pair : null;
const dc = await step(`derive, ${opts.deriveGuests} guests`, () => measureDeriveCost(opts.deriveGuests, pair, opts.deriveRuns, 3));
if (dc) {
  const n = dc.guests;
  r.deriveUsPerGuest = round(dc.derive.median / n);
  r.historyAppendUsPerGuest = dc.historyAppend ? round(dc.historyAppend.median / n) : null;
  r.serializeUsPerGuest = round(dc.serialize.median / n);
  r.detail.derive = {
    guests: n, input: dc.input, snapshotBytes: dc.snapshotBytes,
    deriveUsPerGuest: statJson(dc.derive, n), historyAppendUsPerGuest: statJson(dc.historyAppend, n),
    serializeUsPerGuest: statJson(dc.serialize, n),
  };
  if (dc.input === 'synthetic') r.notes.push('derivation measured on synthetic samples (no 1000-guest demo sample in this run)');
}

// 2b. diagnosis of every guest from its history window
const dg = await step(`diagnose, ${opts.diagnoseGuests} guests, ${opts.diagnoseSeconds} s of history`, () => measureDiagnoseCost(opts.diagnoseGuests, opts.diagnoseSeconds, 10));
if (dg) {
  r.diagnoseUsPerGuest = round(dg.pass.median / dg.guests);
  r.detail.diagnose = { guests: dg.guests, windowSec: dg.windowSec, usPerGuest: statJson(dg.pass, dg.guests), cpuUsPerGuest: round(dg.cpuUsPerGuest), verdicts: dg.verdicts };
  if (dg.guests !== 1000) r.notes.push(`diagnosis measured with ${dg.guests} guests and ${dg.windowSec} s of history (quick)`);
}

// 3. engine CPU share and memory
await engineCpuPart();
const rss = await step(`memory, ${opts.rssGuests} guests, ${opts.rssSeconds} s of history`, () => measureRss(opts));
if (rss) {
  r.rssMb100 = round(rss.rssMb, 1);
  r.detail.rss = rss;
  if (opts.rssSeconds !== 3600) r.notes.push(`memory measured after ${opts.rssSeconds} s of history (quick), not one hour`);
}

await daemonPart();

// 4b. daemon responsiveness while it samples many guests (sampler in a worker thread)
await statusPart();

// 5. libvirt: virtune against its peers on a real libvirtd (not in --quick: it starts a libvirtd)
if (!opts.quick) await runLibvirtPart(r, opts, step, progress);
else r.notes.push('quick: the libvirt section is not run (npm run bench -- --libvirt-only [--quick] runs it alone)');

// 5b. the browser face (desktop renderer) in headless Chromium
const rend = await step('renderer in headless Chromium, 200 guests', () => measureRenderer(200, opts.quick ? 5 : 20));
if (rend) {
  r.rendererFrameMs200 = rend.frameMs;
  r.detail.renderer = rend;
}

if (opts.quick) r.notes.push('quick: the daemon --root figures are not measured');
// 6. the terminal UI: one 200-guest frame in-process; the TUI process at 1 Hz attached to a daemon
const tf = await step(`TUI frame, ${opts.tuiFrameGuests} guests`, () => measureTuiFrame(opts.tuiFrameGuests, opts.tuiFrameRuns));
if (tf) {
  r.tuiFrameMs200 = round(tf.median, 2);
  r.detail.tuiFrame = { guests: opts.tuiFrameGuests, screen: '200x60', ms: statJson(tf) };
}
const tc = await step(`TUI CPU, ${opts.tuiGuests} guests, ${opts.tuiWindowSec} s`, () => measureTuiCpu(opts.tuiGuests, opts.tuiWindowSec, opts.tuiWarmupSec));
if (tc) {
  r.tuiCpuPct50 = round(tc.cpuPct, 3);
  r.detail.tuiCpu = tc;
}
if (opts.tuiGuests !== 50) r.notes.push(`TUI CPU measured with ${opts.tuiGuests} guests over ${opts.tuiWindowSec} s (quick)`);
const jc = await step('journal: per-tick revert check with 200 records', () => measureJournal(200, opts.quick ? 20 : 200));
if (jc) r.detail.journal = { ...jc, goal: 'revertCheckUs well below rereadAllUs (the index, not a re-read, every tick)' };

// 7. the recorder: bytes per guest-sample and time per sample
const rc = await step(`recorder, ${opts.recorderGuests} guests, ${opts.recorderSamples} samples ${opts.recorderPaceMs} ms apart`, () => measureRecorder(opts.recorderGuests, opts.recorderSamples, opts.recorderPaceMs));
if (rc) {
  r.recorderBytesPerGuestSample = round(rc.bytesPerGuestSample, 1);
  if (rc.guests === 100) r.recorderMsPerSample100 = round(rc.msPerSample, 3);
  else r.notes.push(`recorder measured with ${rc.guests} guests (quick): recorderMsPerSample100 not measured`);
  r.detail.recorder = { ...rc, perSample: statJson(rc.perSample) };
  // the method until session 12: samples back to back (warm caches), for comparison
  const bb = await step(`recorder, ${opts.recorderGuests} guests, ${opts.recorderBackToBackSamples} samples back to back`, () => measureRecorder(opts.recorderGuests, opts.recorderBackToBackSamples, 0));
  if (bb) (r.detail.recorder as Record<string, unknown>).backToBack = { msPerSample: round(bb.msPerSample, 3), wallMsPerSample: round(bb.wallMsPerSample, 3), samples: bb.samples };
}
const sr = await step(`recording while serving: daemon --demo ${opts.recorderGuests} without, then with --record`, () => measureServeRecord(opts.recorderGuests, opts.serveRecordWarmupSec, opts.serveRecordWindowSec));
if (sr) r.detail.serveRecord = sr;
for (const m of missing) r.notes.push(`not measured: ${m}`);
finish();
