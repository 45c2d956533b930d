// Owns the tuning vocabulary: what an operator asks for (TuningRequest), the concrete Plan of steps
// with old and new values (the contract's plan JSON), and the ChangeRecord / AuditEntry kept for undo
// and audit. Pure types. The tuning layer owns the semantics; this file owns the shapes on the wire.

import type { Limit } from './sample.js';

export type QuotaSpec =
  | { kind: 'pct'; pct: number }        // 150% = 1.5 CPUs
  | { kind: 'cpus'; cpus: number }      // 2cpu
  | { kind: 'usec'; usec: number }      // µs per period
  | { kind: 'max' };

export interface NetDirection { rateKbit: number; peakKbit: number | null; burstBytes: number | null }

export type TuningChange =
  | { kind: 'cpuWeight'; value: number; flag: 'cpu-weight' | 'cpu-shares' }
  | { kind: 'cpuQuota'; quota: QuotaSpec }
  | { kind: 'cpuPeriod'; usec: number }
  | { kind: 'cpuset'; cpus: string }
  | { kind: 'nodeset'; nodes: string }
  | { kind: 'vcpuPin'; vcpu: number; cpus: string }
  | { kind: 'emulatorPin'; cpus: string }
  | { kind: 'io'; device: string; limits: Partial<Record<'riops' | 'wiops' | 'rbps' | 'wbps', Limit>> }
  | { kind: 'diskThrottle'; disk: string; args: Record<string, number | string> }
  | { kind: 'net'; ifname: string; in?: NetDirection | 'none'; out?: NetDirection | 'none' }
  | { kind: 'memMax'; bytes: Limit }
  | { kind: 'ksm'; settings: Partial<Record<'run' | 'pages_to_scan' | 'sleep_millisecs' | 'merge_across_nodes', number>> }
  | { kind: 'hugepages'; sizeKb: number; node: number | null; count: number };

export interface TuningRequest {
  /** name, uuid or id; `host` for host-level changes (ksm, hugepages) */
  guest: string;
  changes: TuningChange[];
  force?: boolean;
  isolate?: boolean;
  persist?: boolean;
  /** auto-revert unless kept (seconds) */
  revertAfterSec?: number | null;
}

/**
 * One concrete step. Writes carry `from` (what is there now) and `to`; `undo` (when present) is the
 * value that reverts the write when it differs from `from` (e.g. v1 blkio `8:16 0` removes a rule).
 * `qmp` steps name the QMP socket (real host path) in `socket`; `exec` steps carry the argv that undoes
 * them. `cgroup-move` moves `pids` (whole processes) into the cgroup directory `path`; `from` is the
 * directory they came from. `expect` on a write is what a semantic read-back must show when the kernel
 * is known to normalise (`cpu.max`, cpuset lists); `readBackOnly` marks writes where the kernel may do
 * less than asked (hugepage pools): a shortfall is a warning, not a failure.
 */
export type PlanStep =
  | { kind: 'cgroup-write'; path: string; from: string | null; to: string; undo?: string; note?: string }
  | { kind: 'sysfs-write'; path: string; from: string | null; to: string; undo?: string; note?: string; readBackOnly?: boolean }
  | { kind: 'cgroup-create'; path: string }
  | { kind: 'cgroup-remove'; path: string }
  | { kind: 'cgroup-move'; path: string; pids: number[]; from: string | null }
  | { kind: 'affinity'; tid: number; from: string | null; to: string }
  | { kind: 'qmp'; command: string; arguments: Record<string, unknown>; from?: Record<string, unknown> | null; socket?: string }
  | { kind: 'exec'; argv: string[]; undo?: string[][]; note?: string;
      /** argv to run when THIS step fails (a tool that may leave partial state, e.g. virsh domiftune's tc) */
      onFailure?: string[][] };

export interface Plan {
  guest: string;
  guestUuid?: string | null;
  applied: boolean;
  changeId: string | null;
  steps: PlanStep[];
  warnings: string[];
  /** bytes of resident memory a nodeset change will migrate (when known) */
  migrateBytes?: number | null;
  rolledBack?: string[];
  revertAt?: string | null;
}

export interface ChangeRecord {
  changeId: string;
  guest: string;
  guestUuid: string | null;
  appliedAt: string;
  plan: Plan;
  /** the steps that undo this change, in the order to run them */
  undoSteps: PlanStep[];
  /**
   * Write-ahead states: `applying` is journalled (with every step's old value) before the first step
   * runs; `rolling-back`, `undoing` and `reverting` before their first undo step. A record found in one
   * of these by a starting engine is rolled back (or its undo completed). `rolled-back`: an apply that
   * failed or was interrupted and was undone.
   */
  state: ChangeState;
  revertAt: string | null;
  /** order of application in this journal (assigned under the state lock; undo without an id takes the highest) */
  seq?: number;
  /** plan steps completed (write-ahead progress; absent in records written before it existed) */
  stepsDone?: number;
  /** undo steps completed of the undo in progress (undoing, reverting, rolling-back) */
  undoDone?: number;
  /** why an apply was rolled back */
  failure?: string;
}

export const CHANGE_STATES = ['applying', 'applied', 'kept', 'rolling-back', 'rolled-back', 'undoing', 'undone', 'reverting', 'reverted'] as const;
export type ChangeState = typeof CHANGE_STATES[number];

export interface AuditEntry {
  time: string;
  uid: number | null;
  user: string | null;
  peerPid: number | null;
  guest: string | null;
  guestUuid: string | null;
  changeId: string | null;
  /** 'authorize': the daemon's access decision on a request (decision, permission) */
  action: 'apply' | 'rollback' | 'undo' | 'revert' | 'keep' | 'authorize' | 'recover';
  step: PlanStep | null;
  old: string | null;
  new: string | null;
  result: 'ok' | 'failed' | 'skipped' | 'denied';
  message?: string;
  /** transport the request came over: 'unix', 'ws', 'cli', … */
  via?: string;
  /** websocket callers: the token's role and the remote address */
  role?: string;
  remote?: string;
  /** authorize lines: the request's method and the permissions it needed */
  method?: string;
  permissions?: string[];
}
