// Owns the Engine: the one implementation of EngineApi. It runs the sampling loop from one Clock
// (tasks at their own cadences, never overlapping: a slow sample delays the next), derives snapshots,
// keeps history, fans snapshots out to subscribers, measures its own cost, and forwards tuning and
// advice to the injected Tuner and Advisor. No node: modules; every host touch is behind a port.
// With `yieldToLoop` (the daemon) derivation and the history append run in steps of GUESTS_PER_STEP
// guests with a turn of the host's event loop between them, so a big host's tick never holds the
// thread for long; a history query waits for the append in progress; a source that derives where it
// samples (sampleDerived: the daemon's worker) hands over the snapshot and this thread does not derive.
// Without yieldToLoop a tick runs in one piece, deriving here.

import { deniedError, failedError, VirtuneError } from '../model/errors.js';
import type { Advice, AdviceRequest, HostMove, LintFinding } from '../model/advice.js';
import type { Diagnosis } from '../model/diagnosis.js';
import { diagnose } from '../diagnose/index.js';
import type { RawSample } from '../model/sample.js';
import type { Snapshot } from '../model/snapshot.js';
import type { AuditEntry, ChangeRecord, Plan, TuningRequest } from '../model/tuning.js';
import type { Clock } from '../ports/clock.js';
import type { ReplayCommand, ReplayStatus } from '../model/recording.js';
import type { Advisor, Caller, ReplayController, SampleSource, SampleTask, Tuner } from '../ports/sources.js';
import {
  PROTOCOL_VERSION, type CallerInfo, type EngineApi, type EngineStatus, type GuestRef,
  type HistoryQuery, type HistorySeries, type Subscription,
} from '../protocol/api.js';
import { rememberSnapshotJson } from '../protocol/snapshot-json.js';
import { derive, deriveSteps } from './derive.js';
import { History } from './history.js';
import { Cadences, DEFAULT_CADENCES, type Cadence } from './scheduler.js';

export interface EngineDeps {
  sampler: SampleSource;
  clock: Clock;
  tuner: Tuner | null;
  advisor: Advisor | null;
  readOnly: boolean;
  demo: boolean;
  root: string;
  intervalSec: number;
  /** history window, default 3600 s */
  historySec?: number;
  version: string;
  /** who is asking when the engine runs in-process (the CLI user) */
  caller?: Caller;
  /** override the task cadences (tests) */
  cadences?: Record<SampleTask, Cadence>;
  /** call tuner.revertDue every N ticks (default 1) */
  revertEveryTicks?: number;
  /** set when `sampler` replays a recording: its pace and controls (tuning is then refused) */
  replay?: ReplayController | null;
  /** every raw sample as it was read, before derivation (the recorder's feed); must not throw */
  onRawSample?: ((raw: RawSample) => void) | null;
  /**
   * false: onRawSample reads only the sample's head (times, errors), never its guests (a recorder whose
   * blocks are built beside the sampler), so a sampler that can keep the guests where it read them does
   * (they cross only if something else reads them)
   */
  onRawSampleReadsGuests?: boolean;
  /**
   * Let the host's event loop run (resolves on a later turn, e.g. setImmediate): given, a tick derives
   * and appends to the history in steps between which requests are answered (the daemon).
   */
  yieldToLoop?: (() => Promise<void>) | null;
}

/** Guests derived or appended to the history per step when the engine yields between steps. */
export const GUESTS_PER_STEP = 50;

export interface Engine extends EngineApi {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Run one sample + derive now (serialised with the loop); resolves with the new snapshot. */
  tick(): Promise<Snapshot>;
  /** The latest raw sample, its guests read (for composition roots: metrics). */
  latestRaw(): Promise<RawSample | null>;
  /** Let a server report how many clients are connected in status(). */
  setClientCounter(fn: (() => number) | null): void;
  /** Append an access decision to the audit log (the daemon's own record; nothing without a tuner). */
  recordAudit(entry: AuditEntry): void;
  /** One line per corrupt undo journal record (none without a tuner); also in every snapshot's errors. */
  journalProblems(): string[];
}

const REPLAY_READ_ONLY = 'replay is read-only: a recording cannot be tuned';
/** while a replay is paused or at its end the loop looks for a command this often */
const REPLAY_IDLE_MS = 50;
const READ_ONLY = 'read-only: tuning needs write access (run with --write, or connect to the read-write socket of `virtune serve`)';
/** after a tuning change, how long until what settles (pages migrating, threads moving) is read again */
const SETTLE_MS = 2000;

export function createEngine(deps: EngineDeps): Engine {
  return new EngineImpl(deps);
}

class EngineImpl implements Engine {
  private readonly cadences: Cadences;
  private hist: History;
  private readonly listeners = new Set<(s: Snapshot) => void>();
  private prevRaw: RawSample | null = null;
  /** set while prevRaw's guests are still where it was sampled (the daemon's worker): fetches them */
  private rawGuests: (() => Promise<void>) | null = null;
  private snap: Snapshot | null = null;
  private samples = 0;
  /** tuning recovery lines from start(), reported in the first snapshot's errors */
  private startNotes: string[] = [];
  private lastSampleCostUsec: number | null = null;
  private lastDeriveCostUsec: number | null = null;
  private readonly startedAt: string;
  private chain: Promise<unknown> = Promise.resolve();
  private abort: AbortController | null = null;
  private loopDone: Promise<void> | null = null;
  private lastTickStartMs = 0;
  private clientCounter: (() => number) | null = null;
  private stopped = false;
  private readonly historySec: number;
  /** the history append in progress (stepped ticks only): queries wait for it */
  private histWrite: Promise<void> | null = null;

  constructor(private readonly deps: EngineDeps) {
    this.cadences = new Cadences(deps.cadences ?? DEFAULT_CADENCES);
    this.historySec = deps.historySec ?? 3600;
    this.hist = new History(this.historySec, deps.intervalSec);
    this.startedAt = new Date(deps.clock.wallMs()).toISOString();
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    if (this.abort) return;
    this.abort = new AbortController();
    // a change a dead process left half-done is finished before anything else (write-enabled only)
    if (!this.deps.readOnly && this.deps.tuner?.recover) {
      try {
        this.startNotes = (await this.deps.tuner.recover()).map((l) => `recovery: ${l}`);
      } catch (e) {
        this.startNotes = [`recovery: ${e instanceof Error ? e.message : String(e)}`];
      }
    }
    await this.tick();
    // the first interval counts from the end of the first sample, which is the slow one (discovery,
    // the inventory, NUMA, everything read the first time) and reads its counters late: counted from
    // its start, the first rates (all `snapshot` prints) would cover less than the interval asked for.
    // Later ticks keep a fixed rate from start to start.
    if (!this.deps.replay) this.lastTickStartMs = this.deps.clock.monoMs();
    this.loopDone = this.loop(this.abort.signal);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort?.abort();
    await this.loopDone;
    await this.chain.catch(() => undefined);
    this.listeners.clear();
    await this.deps.sampler.close();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const intervalMs = this.deps.intervalSec * 1000;
    const replay = this.deps.replay ?? null;
    while (!signal.aborted) {
      let wait: number;
      if (replay) {
        const d = replay.nextDelayMs();
        if (d === null) {
          try { await this.deps.clock.sleep(REPLAY_IDLE_MS, signal); } catch { return; }
          continue;
        }
        wait = d - (this.deps.clock.monoMs() - this.lastTickStartMs);
      } else {
        wait = intervalMs - (this.deps.clock.monoMs() - this.lastTickStartMs);
      }
      // a sample slower than the interval delays the next one (no sleep), it never overlaps it
      if (wait > 0) {
        try {
          await this.deps.clock.sleep(wait, signal);
        } catch {
          return; // aborted
        }
      }
      if (signal.aborted) return;
      await this.tick().catch(() => undefined); // the error is kept in the snapshot stream's absence
    }
  }

  tick(): Promise<Snapshot> {
    const run = this.chain.then(() => this.tickNow(), () => this.tickNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async tickNow(): Promise<Snapshot> {
    const { clock, sampler } = this.deps;
    const t0 = clock.monoMs();
    this.lastTickStartMs = t0;
    const tasks = this.cadences.due(t0);
    const yieldToLoop = this.deps.yieldToLoop ?? null;
    const derived = yieldToLoop !== null && sampler.sampleDerived && !this.deps.replay ? await sampler.sampleDerived({ tasks }, { raw: this.deps.onRawSample != null && this.deps.onRawSampleReadsGuests !== false }) : null;
    const raw = derived ? derived.raw : await sampler.sample({ tasks });
    if (this.deps.onRawSample) {
      try { this.deps.onRawSample(raw); } catch { /* the recorder's failure is its own */ }
    }
    const t1 = clock.monoMs();
    let snap: Snapshot;
    const journalNotes = this.journalProblems();
    if (derived) {
      snap = derived.snapshot;
      this.lastDeriveCostUsec = derived.deriveUsec;
      // the subscribers' text, made in the worker (not when notes are added to this snapshot below)
      if (derived.snapshotJson && this.startNotes.length === 0 && journalNotes.length === 0) rememberSnapshotJson(snap, derived.snapshotJson);
    } else if (yieldToLoop === null) {
      snap = derive(this.prevRaw, raw);
      this.lastDeriveCostUsec = Math.round((clock.monoMs() - t1) * 1000);
    } else {
      const d = await this.stepped(deriveSteps(this.prevRaw, raw, GUESTS_PER_STEP), yieldToLoop);
      snap = d.value;
      this.lastDeriveCostUsec = Math.round(d.busyMs * 1000); // the steps' own time, not the turns between
    }
    for (const message of [...this.startNotes.splice(0), ...journalNotes]) snap.errors.push({ source: 'tuning', guest: null, message });
    this.lastSampleCostUsec = raw.costUsec ?? Math.round((t1 - t0) * 1000);
    if (yieldToLoop === null) this.hist.record(snap, raw.monoMs, raw.wallMs);
    else {
      const writing = this.stepped(this.hist.recordSteps(snap, raw.monoMs, raw.wallMs, GUESTS_PER_STEP), yieldToLoop).then(() => undefined);
      this.histWrite = writing.catch(() => undefined);
      try { await writing; } finally { this.histWrite = null; }
    }
    this.prevRaw = raw;
    this.rawGuests = derived?.loadRawGuests ?? null;
    this.snap = snap;
    this.samples++;
    for (const l of [...this.listeners]) {
      try { l(snap); } catch { /* a subscriber's failure is its own */ }
    }
    const every = Math.max(1, this.deps.revertEveryTicks ?? 1);
    if (!this.deps.readOnly && this.deps.tuner && this.samples % every === 0) {
      try {
        const reverted = await this.deps.tuner.revertDue(clock.wallMs());
        if (reverted.length > 0) this.afterTuningChange();
      } catch (e) {
        snap.errors.push({ source: 'tuning', guest: null, message: `auto-revert: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    return snap;
  }

  /** Corrupt undo journal records, one line each, for every snapshot while they are there. */
  journalProblems(): string[] {
    const t = this.deps.tuner;
    if (!t?.journalProblems) return [];
    try {
      return t.journalProblems();
    } catch (e) {
      return [`undo journal: ${e instanceof Error ? e.message : String(e)}`];
    }
  }

  /** Run a generator to its end, letting the event loop turn between its steps; busyMs: time in the steps. */
  private async stepped<T>(steps: Generator<void, T, void>, yieldToLoop: () => Promise<void>): Promise<{ value: T; busyMs: number }> {
    const { clock } = this.deps;
    let busyMs = 0;
    for (;;) {
      const s0 = clock.monoMs();
      const r = steps.next();
      busyMs += clock.monoMs() - s0;
      if (r.done === true) return { value: r.value, busyMs };
      await yieldToLoop();
    }
  }

  setClientCounter(fn: (() => number) | null): void { this.clientCounter = fn; }
  async latestRaw(): Promise<RawSample | null> {
    if (!this.prevRaw) return null;
    return (await this.current()).raw;
  }

  /** The latest raw sample (its guests fetched if they were left where it was sampled) and snapshot. */
  private async current(): Promise<{ raw: RawSample; snap: Snapshot }> {
    if (!this.prevRaw || !this.snap) await this.tick();
    for (;;) {
      const raw = this.prevRaw as RawSample;
      const snap = this.snap as Snapshot;
      const load = this.rawGuests;
      if (load === null) return { raw, snap };
      await load();
      // a tick may have replaced the sample meanwhile: then fetch (or take) the newer one
      if (this.prevRaw === raw) { this.rawGuests = null; return { raw, snap }; }
    }
  }

  private caller(c?: CallerInfo): Caller {
    return c ?? this.deps.caller ?? { uid: null, user: null, pid: null, via: 'loopback' };
  }

  // ---- EngineApi ----

  async status(): Promise<EngineStatus> {
    return {
      version: this.deps.version,
      protocolVersion: PROTOCOL_VERSION,
      demo: this.deps.demo,
      readOnly: this.deps.readOnly || this.deps.tuner === null,
      root: this.deps.root,
      intervalSec: this.deps.intervalSec,
      startedAt: this.startedAt,
      samples: this.samples,
      lastSampleCostUsec: this.lastSampleCostUsec,
      lastDeriveCostUsec: this.lastDeriveCostUsec,
      guests: this.snap?.guests.length ?? 0, // one per raw guest (not raw: its guests may still be encoded)
      clients: this.clientCounter ? this.clientCounter() : null,
      historyWindowSec: this.historySec,
      replay: this.deps.replay ? this.deps.replay.status() : null,
    };
  }

  async latest(): Promise<Snapshot | null> { return this.snap; }

  async listGuests(): Promise<GuestRef[]> {
    const { raw } = await this.current();
    return raw.guests.map((g) => ({ id: g.id, name: g.name, uuid: g.uuid, manager: g.manager, pid: g.pid }));
  }

  async subscribe(onSnapshot: (s: Snapshot) => void): Promise<Subscription> {
    if (this.stopped) throw failedError('the engine is stopped');
    this.listeners.add(onSnapshot);
    return { unsubscribe: async () => { this.listeners.delete(onSnapshot); } };
  }

  async history(q: HistoryQuery): Promise<HistorySeries> {
    while (this.histWrite) await this.histWrite;
    return this.hist.query(q);
  }

  private writableTuner(): Tuner {
    if (this.deps.replay) throw deniedError(REPLAY_READ_ONLY);
    if (this.deps.readOnly || !this.deps.tuner) throw deniedError(READ_ONLY);
    return this.deps.tuner;
  }

  async previewTuning(req: TuningRequest): Promise<Plan> {
    if (this.deps.replay) throw deniedError(REPLAY_READ_ONLY);
    if (!this.deps.tuner) throw deniedError(READ_ONLY);
    const { raw } = await this.current();
    return this.deps.tuner.preview(req, raw);
  }

  async applyTuning(req: TuningRequest, caller?: CallerInfo): Promise<Plan> {
    const tuner = this.writableTuner();
    const { raw } = await this.current();
    try {
      return await tuner.apply(req, raw, this.caller(caller));
    } finally {
      this.afterTuningChange(); // show the new limits (and where memory now is) on the next tick
    }
  }

  /**
   * The tick after a change re-reads the settings files, QEMU's throttles (query-block, in the slow QMP
   * batch otherwise due every 30 s) and numa_maps with the threads' allowed CPUs, so the new limits and
   * placement show at once; numa_maps and the allowed CPUs once more SETTLE_MS later: memory moved by a
   * new nodeset migrates over seconds, and a thread leaves a CPU it may no longer use at its next
   * scheduling.
   */
  private afterTuningChange(): void {
    this.cadences.force('settings');
    this.cadences.force('qmpSlow');
    this.cadences.force('numa', SETTLE_MS);
  }

  async undo(changeId?: string | null, caller?: CallerInfo): Promise<Plan> {
    try {
      return await this.writableTuner().undo(changeId ?? null, this.caller(caller));
    } finally {
      this.afterTuningChange();
    }
  }

  async keep(changeId: string, caller?: CallerInfo): Promise<ChangeRecord> {
    return this.writableTuner().keep(changeId, this.caller(caller));
  }

  async changes(): Promise<ChangeRecord[]> {
    return this.deps.tuner ? this.deps.tuner.changes() : [];
  }

  private need(): Advisor {
    if (!this.deps.advisor) throw new VirtuneError(1, 'placement advice is not available in this engine');
    return this.deps.advisor;
  }

  async advise(req: AdviceRequest): Promise<Advice> {
    const advisor = this.need();
    const { raw, snap } = await this.current();
    return advisor.advise(req, snap, raw);
  }

  async adviseHost(): Promise<HostMove[]> {
    const advisor = this.need();
    const { raw, snap } = await this.current();
    return advisor.hostPlan(snap, raw);
  }

  async lint(): Promise<LintFinding[]> {
    const advisor = this.need();
    const { raw, snap } = await this.current();
    return advisor.lint(snap, raw);
  }

  recordAudit(entry: AuditEntry): void {
    this.deps.tuner?.note(entry);
  }

  async diagnose(guest: string, windowSec: number): Promise<Diagnosis> {
    if (!(windowSec > 0)) throw new VirtuneError(2, `diagnose: window '${windowSec}' is not a positive number of seconds`);
    while (this.histWrite) await this.histWrite; // the snapshot and the history of the same tick
    const { snap } = await this.current();
    // half an interval of slack: a window of 10 s holds the sample 10 s back too (10 intervals of rates)
    const span = Math.min(windowSec, this.historySec) + this.deps.intervalSec / 2;
    return diagnose(snap, this.hist.window(span), guest, windowSec);
  }

  async auditLog(limit?: number): Promise<AuditEntry[]> {
    return this.deps.tuner ? this.deps.tuner.audit(limit ?? 100) : [];
  }

  async replayControl(cmd: ReplayCommand): Promise<ReplayStatus> {
    const replay = this.deps.replay;
    if (!replay) throw new VirtuneError(2, 'this engine is not replaying a recording (start it with `virtune replay FILE` or `serve --replay FILE`)');
    // serialised with the sampling loop: a jump never interleaves with a tick
    const run = this.chain.then(async () => {
      const { jumped } = replay.control(cmd);
      if (jumped) {
        // derivation restarts at the new position exactly as it ran live: prev = the sample before it
        this.prevRaw = replay.previous();
        this.rawGuests = null;
        this.hist = new History(this.historySec, this.deps.intervalSec);
      }
      return jumped;
    });
    this.chain = run.catch(() => undefined);
    if (await run) await this.tick();
    return replay.status();
  }

  async close(): Promise<void> { await this.stop(); }
}
