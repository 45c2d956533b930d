// Owns openEngine: the composition root every client command uses to get an EngineApi — an
// in-process engine on the real host (--root), on the simulated demo host (--demo), or a remote
// daemon (--connect unix:PATH | ws://HOST:PORT/ with --token-file FILE or VIRTUNE_TOKEN). In-process engines are served through the
// JSON loopback, so every command exercises the same validated message path as a remote client —
// except the snapshot feed of `watch` and `snapshot` (openSnapshotFeed), which only prints snapshots.
// Write access (a Tuner) is wired only when asked for; otherwise tuning answers code 4 (read-only).

import { setImmediate as nextTurn } from 'node:timers/promises';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join as pathJoin, resolve as pathResolve } from 'node:path';
import { createAdvisor } from '../engine/advisor/index.js';
import { createEngine, type Engine } from '../engine/core/engine.js';
import { createTuner, type RecoveringTuner } from '../tuning/tuner.js';
import { VirtuneError } from '../engine/model/errors.js';
import { parseOpenFileLimits } from '../engine/model/open-files.js';
import { ExecRunner } from '../engine/node/exec-runner.js';
import { NodeHostFs } from '../engine/node/node-host-fs.js';
import { SharingQmpConnector } from '../engine/node/sharing-qmp.js';
import { SocketQmpConnector } from '../engine/node/socket-qmp.js';
import { FlockStateLock } from '../engine/node/state-lock.js';
import { SystemClock } from '../engine/node/system-clock.js';
import { connectUnix } from '../engine/node/unix-socket.js';
import { connectWs } from '../engine/node/ws-client.js';
import type { RawSample } from '../engine/model/sample.js';
import type { Caller, Tuner } from '../engine/ports/sources.js';
import type { CallerInfo, EngineApi } from '../engine/protocol/api.js';
import { connectEngine } from '../engine/rpc/client.js';
import { createLoopbackPair } from '../engine/rpc/loopback.js';
import { serveEngine } from '../engine/rpc/server.js';
import { startDemo } from './demo-composition.js';
import { checkHostTree } from './host-tree.js';
import type { DemoProcessHost } from '../demo/process.js';
import { APPENDED_CONTROLS } from '../demo/controls.js';
import type { CommandRunner } from '../engine/ports/command-runner.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import type { SampleBlockEncoder } from '../engine/ports/recording.js';
import type { GlobalOptions } from './runtime.js';
import { buildSampler, type BuiltSampler, type SamplerConfig } from './sampler-factory.js';
import { WorkerSampleSource } from '../engine/node/worker-sampler.js';


/** the undo journal and token directory when --state-dir is not given (under --root / the demo tree) */
export const DEFAULT_STATE_DIR = '/var/lib/virtune';
/** the audit log when --audit-log is not given (under --root / the demo tree) */
const DEFAULT_AUDIT_LOG = '/var/log/virtune/audit.log';

export interface OpenOptions {
  /** allow tuning (a Tuner is wired); default: g.write */
  write?: boolean;
}

export interface LocalEngine {
  engine: Engine;
  /** the demo simulator (its own process) when running on the demo */
  demo: DemoProcessHost | null;
  stop(): Promise<void>;
}

export function localCaller(via = 'cli'): Caller {
  let user: string | null = null;
  try { user = os.userInfo().username; } catch { user = null; }
  return { uid: typeof process.getuid === 'function' ? process.getuid() : null, user, pid: process.pid, via };
}

/**
 * Build the in-process engine (not started) on --root or --demo. Used by openEngine and by
 * `virtune serve` (and the bench: it can start a daemon in-process this way).
 */
export async function buildLocalEngine(g: GlobalOptions, opts: {
  write: boolean; version: string; demoGuests?: number | null; historySec?: number;
  /** run the sampler in a worker thread and tick in steps that yield to the event loop (the daemon) */
  samplerInWorker?: boolean;
  /** read the undo journal and audit log even without write access (the recorder records changes) */
  journal?: boolean;
  /** every raw sample as read (the recorder) */
  onRawSample?: (raw: RawSample) => void;
  /**
   * with the sampler in a worker: the recorder's blocks are built there (`encodeWith` gets the worker's
   * encoder before the engine starts) and onRawSample reads only the samples' heads
   */
  recordBeside?: (encoder: SampleBlockEncoder) => void;
}): Promise<LocalEngine> {
  const demoCount = opts.demoGuests !== undefined ? opts.demoGuests : g.demo;
  const parts = demoCount !== null ? await startDemo(demoCount, g.intervalSec) : null;
  const demo = parts?.demo ?? null;
  try {
    const root = demo ? demo.root : g.root;
    if (!demo) checkHostTree(root);
    // a demo engine runs nothing on this machine: its runner is the simulated one
    const runner: CommandRunner = parts ? parts.runner : new ExecRunner();
    if (!parts) await raiseOpenFileLimit(runner);
    // the demo tree is a simulated kernel: its control files are written in place, as on cgroupfs
    // and io.max (one device per write, the other devices' lines kept) receives each write appended
    const fs = new NodeHostFs(root, parts ? { maxCached: parts.maxCached, inPlaceWrites: true, appendedFiles: APPENDED_CONTROLS } : {});
    const clock = new SystemClock();
    // the sampler: in a worker thread for the daemon (a long sample never delays a request), else here
    const samplerCfg: SamplerConfig = {
      root, demo: demo !== null, libvirtUri: g.libvirtUri, extraQmpSockets: g.qmp,
      latencyHistograms: g.latencyHistograms === true ? 'all' : 'direct',
      ...(g.qmpTimeoutMs != null ? { qmpTimeoutMs: g.qmpTimeoutMs } : {}),
      ...(parts ? { maxCached: parts.maxCached } : {}),
    };
    const worker = opts.samplerInWorker ? new WorkerSampleSource(new URL('./sampler-worker.js', import.meta.url), samplerCfg) : null;
    const recordBeside = worker !== null && opts.recordBeside !== undefined;
    if (recordBeside) opts.recordBeside?.(worker.blockEncoder());
    // one connection per QMP socket, shared by sampler and tuner (QEMU serves one monitor client at a
    // time): the tuner stays in this thread and, with the sampler in a worker, leases the worker's
    const qmp: QmpConnector = worker ? worker.qmpConnector() : new SharingQmpConnector(new SocketQmpConnector());
    const built: BuiltSampler = worker ? { sampler: worker, close: () => worker.close() } : buildSampler(samplerCfg, { qmp });
    const sampler = built.sampler;
    const tuner: Tuner | null = opts.write || opts.journal ? buildTuner(g, fs, { runner, clock, qmp }) : null;
    const engine = createEngine({
      sampler, clock, tuner, advisor: createAdvisor(),
      readOnly: !opts.write, demo: demo !== null, root, intervalSec: g.intervalSec,
      historySec: opts.historySec, version: opts.version, caller: localCaller('cli'),
      onRawSample: opts.onRawSample ?? null,
      ...(recordBeside ? { onRawSampleReadsGuests: false } : {}),
      // the daemon derives and appends to the history in steps, answering requests in between
      yieldToLoop: opts.samplerInWorker ? () => nextTurn() : null,
    });
    return {
      engine, demo,
      async stop() {
        await engine.stop().catch(() => undefined);
        await built.close();
        fs.close();
        await demo?.stop().catch(() => undefined);
      },
    };
  } catch (e) {
    await demo?.stop().catch(() => undefined);
    throw e;
  }
}

/**
 * The write side: journal, audit log and state lock. The defaults live under --root (a captured tree
 * keeps its own journal) or in the demo's tree; a path the operator names is taken as written, on the
 * demo host too (the one place a demo writes outside its tree is where the operator asked it to).
 */
export function buildTuner(g: GlobalOptions, fs: NodeHostFs, ports: { runner: CommandRunner; clock: SystemClock; qmp: QmpConnector }): RecoveringTuner {
  const hostRootFs = fs.root === '/' ? fs : new NodeHostFs('/');
  return createTuner({
    fs, runner: ports.runner, clock: ports.clock, qmp: ports.qmp, lock: new FlockStateLock(),
    stateFs: g.stateDir !== null ? hostRootFs : fs,
    auditFs: g.auditLog !== null ? hostRootFs : fs,
    stateDir: absolute(g.stateDir, '--state-dir') ?? DEFAULT_STATE_DIR,
    auditLog: absolute(g.auditLog, '--audit-log') ?? DEFAULT_AUDIT_LOG,
    libvirtUri: g.libvirtUri,
  });
}

/**
 * The tuner of this host (or --root) alone, no engine and no sample: for the commands that only act on
 * the change journal (`revert-due`, `changes`). A --root that does not exist is bad input (exit 2).
 */
export async function withLocalTuner<T>(g: GlobalOptions, fn: (tuner: RecoveringTuner, clock: SystemClock) => Promise<T>): Promise<T> {
  if (!existsSync(g.root)) throw new VirtuneError(2, `--root: '${g.root}' does not exist`);
  const fs = new NodeHostFs(g.root);
  try {
    const clock = new SystemClock();
    return await fn(buildTuner(g, fs, { runner: new ExecRunner(), clock, qmp: new SocketQmpConnector() }), clock);
  } finally {
    fs.close();
  }
}

/**
 * Where the state directory is on this machine (serve's token files go there, beside the journal that
 * buildTuner puts in the same place): a --state-dir the operator named, as written; else the default
 * under `root` (--root, or the demo's tree).
 */
export function stateDirOnHost(g: GlobalOptions, root: string): string {
  return absolute(g.stateDir, '--state-dir') ?? pathJoin(root, DEFAULT_STATE_DIR);
}

/** An explicit path option made absolute (relative to the working directory), or null when not given. */
function absolute(p: string | null, flag: string): string | null {
  if (p === null) return null;
  if (p.trim() === '') throw new VirtuneError(2, `${flag}: an empty path`);
  return pathResolve(p);
}

/** Connect to a running daemon: `unix:PATH` or `ws(s)://HOST:PORT/` (token from --token-file / VIRTUNE_TOKEN). */
export async function connectRemote(url: string, token: string | null = null): Promise<EngineApi> {
  if (url.startsWith('unix:')) {
    const path = url.slice('unix:'.length);
    if (path === '') throw new VirtuneError(2, `--connect: '${url}' names no socket path`);
    return connectEngine(await connectUnix(path));
  }
  if (/^wss?:\/\//.test(url)) return connectEngine(await connectWs(url, { token }));
  throw new VirtuneError(2, `--connect: '${url}' is not unix:PATH or ws://HOST:PORT/`);
}

/**
 * The websocket token for --connect: --token-file FILE, else VIRTUNE_TOKEN, else none (a `?token=` in
 * the URL still works, with a warning: argv is visible to every local user in /proc/PID/cmdline).
 */
export function connectToken(g: GlobalOptions): string | null {
  if (g.connect !== null && /[?&]token=/.test(g.connect)) {
    process.stderr.write('virtune: warning: a token in the --connect URL is visible to every local user (ps, /proc/PID/cmdline); use --token-file FILE or VIRTUNE_TOKEN\n');
  }
  if (g.tokenFile !== null) {
    let text: string;
    try { text = readFileSync(g.tokenFile, 'utf8'); } catch (e) {
      throw new VirtuneError(2, `--token-file: cannot read '${g.tokenFile}' (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const t = text.trim();
    if (t === '' || /\s/.test(t)) throw new VirtuneError(2, `--token-file: '${g.tokenFile}' does not hold one token`);
    return t;
  }
  const env = process.env.VIRTUNE_TOKEN;
  return env !== undefined && env.trim() !== '' ? env.trim() : null;
}

let cachedVersion: string | null = null;
export function packageVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    // dist/cli/engine-factory.js and src/cli/engine-factory.ts both sit two levels below package.json
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    cachedVersion = pkg.version ?? '0.0.0';
  } catch {
    cachedVersion = '0.0.0';
  }
  return cachedVersion;
}

/**
 * The EngineApi for a client command. In-process engines are started (first sample taken) and served
 * over the JSON loopback; close() stops the engine and the demo host.
 */
export async function openEngine(g: GlobalOptions, opts: OpenOptions = {}): Promise<EngineApi> {
  if (g.connect) return connectRemote(g.connect, connectToken(g));
  const write = opts.write ?? g.write;
  const local = await buildLocalEngine(g, { write, version: packageVersion() });
  try {
    await local.engine.start();
  } catch (e) {
    await local.stop();
    throw e;
  }
  const [a, b] = createLoopbackPair();
  const caller: CallerInfo = localCaller('cli');
  const served = serveEngine(local.engine, a, { readOnly: !write, caller });
  const client = connectEngine(b);
  const close = client.close;
  client.close = async () => {
    await close();
    await served.close();
    await local.stop();
  };
  return client;
}

/** What `watch` and `snapshot` need of an engine: its snapshots, its guests, closing it. */
export type SnapshotFeed = Pick<EngineApi, 'subscribe' | 'listGuests' | 'close'>;

/**
 * The snapshot stream for `watch` and `snapshot`. A remote daemon is asked over its transport as for
 * every command; an in-process engine is subscribed to directly, without the JSON loopback: these
 * commands only print snapshots (no request a validator could refuse), and a snapshot that went
 * through the loopback is the same object after a stringify, a parse and a validation — the printed
 * JSON text is the same (snapshotJson), made once per tick instead of twice plus a parse.
 */
export async function openSnapshotFeed(g: GlobalOptions): Promise<SnapshotFeed> {
  if (g.connect) return connectRemote(g.connect, connectToken(g));
  const local = await buildLocalEngine(g, { write: g.write, version: packageVersion() });
  try {
    await local.engine.start();
  } catch (e) {
    await local.stop();
    throw e;
  }
  return feedOf(local);
}

/** A started local engine as a snapshot feed; close() stops it (and its demo host). */
export function feedOf(local: LocalEngine): SnapshotFeed {
  const { engine } = local;
  return {
    subscribe: (onSnapshot) => engine.subscribe(onSnapshot),
    listGuests: () => engine.listGuests(),
    close: () => local.stop(),
  };
}

/**
 * Hot kernel files are read through kept descriptors, and a host with many guests needs thousands:
 * raise this process's soft open-file limit to its hard limit (many distributions start programs at
 * 1024 soft) before the descriptor pool sizes itself. Node has no setrlimit; util-linux prlimit on our
 * own pid does it. Best effort: without prlimit the pool simply stays smaller.
 */
async function raiseOpenFileLimit(runner: CommandRunner): Promise<void> {
  try {
    const lim = parseOpenFileLimits(readFileSync('/proc/self/limits', 'utf8'));
    if (!lim || lim.soft === null || lim.soft === lim.hard || !runner.has('prlimit')) return;
    const hard = lim.hard === null ? '1048576' : String(lim.hard);
    await runner.run(['prlimit', '--pid', String(process.pid), `--nofile=${hard}:${hard}`], { timeoutMs: 2000 });
  } catch {
    /* keep the limit we have */
  }
}

