// Owns the interfaces the engine core uses to reach the host without knowing how: the SampleSource
// (collector), GuestEnricher (QMP, libvirt: extra per-guest data merged into a RawSample), the Tuner
// (tuning layer) and the Advisor (placement). Composition roots wire the real implementations.

import type { RawGuest, RawSample, SourceErrorInfo } from '../model/sample.js';
import type { AuditEntry, ChangeRecord, Plan, TuningRequest } from '../model/tuning.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ReplayCommand, ReplayStatus } from '../model/recording.js';

/** Sub-sources that run at their own cadence; the scheduler says which are due on a tick. */
export type SampleTask =
  | 'discovery'   // find guests (processes, cgroups, runtime dirs)
  | 'counters'    // cheap cgroup/proc/sysfs counters: every tick
  | 'numa'        // per-node guest memory (numa_maps): rarely
  | 'qmp'         // cheap QMP queries: every tick or two
  | 'qmpSlow'     // query-memdev, qom-get: rarely
  | 'settings'    // limits, weights and cpusets (change only when tuned): every few ticks and right after tuning
  | 'static';     // host inventory: once

export interface SampleRequest {
  tasks: ReadonlySet<SampleTask>;
}

export interface SampleSource {
  sample(req: SampleRequest): Promise<RawSample>;
  /**
   * Optional: the sample with its snapshot already derived where it was read (derive() against the
   * previous sample this source returned), so the engine's thread does not derive. The daemon's worker
   * source offers it; its `raw.guests` may be decoded only when first read. With `raw: false` (no
   * one needs every raw sample, e.g. no recorder) the raw guests may stay where they were sampled:
   * then `loadRawGuests` fetches them, and `raw.guests` must not be read before it resolved.
   */
  sampleDerived?(req: SampleRequest, opts?: { raw?: boolean }): Promise<DerivedSample>;
  close(): Promise<void>;
}

export interface DerivedSample {
  raw: RawSample;
  snapshot: Snapshot;
  /** what derive() cost where it ran, µs */
  deriveUsec: number;
  /** set when raw.guests stayed where the sample was read: fetches them into raw (then raw.guests is whole) */
  loadRawGuests?: (() => Promise<void>) | null;
  /** JSON.stringify(snapshot), or what makes it from what crossed (called only if a subscriber needs it) */
  snapshotJson?: string | (() => string) | null;
}

export interface EnrichContext {
  tasks: ReadonlySet<SampleTask>;
  errors: SourceErrorInfo[];
  monoMs: number;
}

/** Adds data to discovered guests in place (vCPU tids, disks, state, ...). Must not throw. */
export interface GuestEnricher {
  readonly name: string;
  enrich(guests: RawGuest[], ctx: EnrichContext): Promise<void>;
  /**
   * Optional: called when a sample starts, before the host's files are read. An enricher may send the
   * requests it already knows it will make (for the guests of its previous round) so their replies come
   * while the files are read; `enrich` then uses them. Must not throw.
   */
  begin?(tasks: ReadonlySet<SampleTask>): void;
  close(): Promise<void>;
}

/** Who asked: recorded with every tuning request in the audit log. */
export interface Caller {
  uid: number | null;
  user: string | null;
  pid: number | null;
  /** 'cli' | 'unix' | 'ws' | 'ipc' | 'loopback' */
  via: string;
  /** websocket callers: the token's role ('viewer' | 'operator') and the remote address */
  role?: string | null;
  remote?: string | null;
}

export interface Tuner {
  /** Pure planning against the current raw sample; throws VirtuneError (2/3/4) on bad input. */
  preview(req: TuningRequest, current: RawSample): Promise<Plan>;
  apply(req: TuningRequest, current: RawSample, caller: Caller): Promise<Plan>;
  undo(changeId: string | null, caller: Caller): Promise<Plan>;
  keep(changeId: string, caller: Caller): Promise<ChangeRecord>;
  /** the journal's valid records (a corrupt record is not among them: see journalProblems) */
  changes(): Promise<ChangeRecord[]>;
  /** one line per corrupt journal record (file and why); cheap: lists the journal, re-reads no known file */
  journalProblems?(): string[];
  audit(limit: number): Promise<AuditEntry[]>;
  /** append one line to the audit log (the daemon's access decisions) */
  note(entry: AuditEntry): void;
  /** revert changes whose timer expired; called by the engine's scheduler */
  revertDue(nowWallMs: number): Promise<Plan[]>;
  /**
   * Finish changes a dead process left half-done (roll back an interrupted apply, complete an
   * interrupted undo); called by the engine before its first sample. One line per change handled.
   */
  recover?(): Promise<string[]>;
}

export interface Advisor {
  advise(req: import('../model/advice.js').AdviceRequest, snap: Snapshot, raw: RawSample): Promise<import('../model/advice.js').Advice>;
  hostPlan(snap: Snapshot, raw: RawSample): Promise<import('../model/advice.js').HostMove[]>;
  lint(snap: Snapshot, raw: RawSample): Promise<import('../model/advice.js').LintFinding[]>;
}

/** Static host facts (CPU model, sockets): read once, behind an interface (systeminformation). */
export interface HostInventory {
  read(): Promise<{ cpuModel: string | null; sockets: number | null; cores: number | null }>;
}

/**
 * The controls of a replay SampleSource (a recording read back): the engine asks it how long to wait
 * before the next sample (speed, pause, end) and forwards a face's commands to it.
 */
export interface ReplayController {
  status(): ReplayStatus;
  /** apply a command; `jumped` when the position moved (seek, next event): derivation restarts there */
  control(cmd: ReplayCommand): { jumped: boolean };
  /** ms to wait before the next sample at the current speed; null while paused or at the end */
  nextDelayMs(): number | null;
  /** the sample before the one sample() returns next (null at the start): the `prev` of derive */
  previous(): RawSample | null;
}
