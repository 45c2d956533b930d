// Owns EngineApi: the single interface every face (CLI, TUI, desktop, browser, remote clients) uses to
// reach the engine, whether it runs in-process or behind `virtune serve`. Everything that crosses it
// is plain JSON (it is served over loopback, unix sockets, websockets and Electron IPC).

import type { Advice, AdviceRequest, HostMove, LintFinding } from '../model/advice.js';
import type { Diagnosis } from '../model/diagnosis.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ReplayCommand, ReplayStatus } from '../model/recording.js';
import type { AuditEntry, ChangeRecord, Plan, TuningRequest } from '../model/tuning.js';

export const PROTOCOL_VERSION = 1;

export interface EngineStatus {
  version: string;
  protocolVersion: number;
  demo: boolean;
  readOnly: boolean;
  root: string;
  intervalSec: number;
  startedAt: string;
  samples: number;
  /** wall time the last sample took to read, µs */
  lastSampleCostUsec: number | null;
  /** wall time the last derivation took, µs */
  lastDeriveCostUsec: number | null;
  guests: number;
  clients: number | null;
  historyWindowSec: number;
  /** set when the engine replays a recording instead of sampling a host (tuning is then refused, code 4) */
  replay?: ReplayStatus | null;
}

export interface GuestRef {
  id: string;
  name: string;
  uuid: string | null;
  manager: 'libvirt' | 'proxmox' | 'qemu';
  pid: number;
}

export interface HistoryQuery {
  /** guest id, or null for host metrics */
  guest: string | null;
  /** metric path inside the snapshot, e.g. `cpu.usagePct`, `memory.currentBytes`, `host.cpuUsagePct` */
  metric: string;
  /** how far back, seconds */
  windowSec: number;
}

export interface HistorySeries {
  guest: string | null;
  metric: string;
  /** [wall ms, value or null] oldest first */
  points: Array<[number, number | null]>;
}

/**
 * Who asked, as the SERVER learned it from the transport (SO_PEERCRED on unix sockets). Never taken
 * from the wire: connectEngine() does not send it, serveEngine() passes the connection's caller.
 * Same shape as the Caller of engine/ports/sources.ts.
 */
export interface CallerInfo {
  uid: number | null;
  user: string | null;
  pid: number | null;
  /** 'cli' | 'unix' | 'ws' | 'ipc' | 'loopback' */
  via: string;
  /** websocket callers: the token's role ('viewer' | 'operator') and the remote address */
  role?: string | null;
  remote?: string | null;
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface EngineApi {
  status(): Promise<EngineStatus>;
  /** the latest derived snapshot (null until the first sample) */
  latest(): Promise<Snapshot | null>;
  listGuests(): Promise<GuestRef[]>;
  /** every new snapshot, as it is derived */
  subscribe(onSnapshot: (s: Snapshot) => void): Promise<Subscription>;
  history(q: HistoryQuery): Promise<HistorySeries>;
  previewTuning(req: TuningRequest): Promise<Plan>;
  applyTuning(req: TuningRequest, caller?: CallerInfo): Promise<Plan>;
  undo(changeId?: string | null, caller?: CallerInfo): Promise<Plan>;
  keep(changeId: string, caller?: CallerInfo): Promise<ChangeRecord>;
  changes(): Promise<ChangeRecord[]>;
  advise(req: AdviceRequest): Promise<Advice>;
  adviseHost(): Promise<HostMove[]>;
  lint(): Promise<LintFinding[]>;
  /**
   * Why is this guest slow: ranked causes, evidence, fixes and noisy neighbours over the last
   * windowSec seconds of history (GUEST as in the CLI: id, UUID or name; unknown: code 3).
   */
  diagnose(guest: string, windowSec: number): Promise<Diagnosis>;
  auditLog(limit?: number): Promise<AuditEntry[]>;
  /** play/pause/speed/seek/next event on a replaying engine; code 2 when the engine is not replaying */
  replayControl(cmd: ReplayCommand): Promise<ReplayStatus>;
  close(): Promise<void>;
}
