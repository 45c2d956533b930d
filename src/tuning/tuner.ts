// Owns createTuner, the tuning layer's implementation of the Tuner port, and its crash safety:
// - preview: plan only, with no side effect on the host (tc capabilities come from the cache a
//   write-enabled apply left, or the kernel's module list — never from probing).
// - apply: under the state lock, plan (so every "from" value is read after the previous change
//   finished), journal the change as `applying` with every step's old value (fsync file + directory)
//   BEFORE the first step, record each step's completion, audit each step; a failed step, audit write
//   or journal write aborts and rolls back (journalled `rolling-back` → `rolled-back`).
// - undo / keep / revertDue: under the lock, from a freshly read record; undo and revert are journalled
//   `undoing`/`reverting` with their progress, so an interrupted undo is completed later.
// - recover: the first locked operation of every tuner (and the engine's start) finds changes left
//   `applying`/`rolling-back`/`undoing`/`reverting` by a dead process and finishes them (rolls back,
//   or completes the undo) before anything else, auditing it as `recover`.
// Corrupt journal records are reported, never skipped: changes() returns the valid ones and
// journalProblems() names each corrupt file and why (the engine puts it in the snapshot's errors); undo of a
// corrupt record, or of "the last" while any record is corrupt, refuses. Errors reach the operator as one line.

import { HostError, VirtuneError } from '../engine/model/errors.js';
import type { RawSample } from '../engine/model/sample.js';
import type { AuditEntry, ChangeRecord, Plan, PlanStep, TuningRequest } from '../engine/model/tuning.js';
import type { Clock } from '../engine/ports/clock.js';
import type { CommandRunner } from '../engine/ports/command-runner.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import type { Caller, Tuner } from '../engine/ports/sources.js';
import type { StateLock } from '../engine/ports/state-lock.js';
import { applySteps, runUndo, undoPlanOf, type StepListener } from './apply.js';
import { AuditLog, Journal } from './journal.js';
import { planTuning } from './plan.js';
import { cachedTcCaps, detectTcCaps, saveTcCaps, type TcCaps } from './tc.js';

export interface TunerDeps {
  /** the host (under --root) */
  fs: HostFs;
  /** where the journal lives (default: fs); an explicit --state-dir is a real path, not under --root */
  stateFs?: HostFs;
  /** where the audit log lives (default: fs) */
  auditFs?: HostFs;
  runner: CommandRunner;
  clock: Clock;
  qmp: QmpConnector;
  lock: StateLock;
  /** undo journal directory (default /var/lib/virtune) */
  stateDir: string;
  /** audit log file (default /var/log/virtune/audit.log) */
  auditLog: string;
  libvirtUri?: string | null;
  /** how long apply/undo wait for another virtune holding the state lock (default 30 s) */
  lockTimeoutMs?: number;
}

/** The Tuner port plus crash recovery (called by the engine at start and by `virtune revert-due`). */
export interface RecoveringTuner extends Tuner {
  /** Finish changes a dead process left half-done; returns one line per change handled. */
  recover(): Promise<string[]>;
}

const SYSTEM: Caller = { uid: null, user: 'virtune (recovery)', pid: null, via: 'recovery' };
/** how often journalProblems() re-reads records it has already validated (a record damaged later) */
export const JOURNAL_RECHECK_MS = 10_000;

const IN_FLIGHT = new Set<ChangeRecord['state']>(['applying', 'rolling-back', 'undoing', 'reverting']);

function oldNew(s: PlanStep | null): { old: string | null; new: string | null } {
  if (!s) return { old: null, new: null };
  switch (s.kind) {
    case 'cgroup-write': case 'sysfs-write': case 'affinity': return { old: s.from, new: s.to };
    case 'cgroup-move': return { old: s.from, new: s.path };
    case 'cgroup-create': return { old: null, new: s.path };
    case 'cgroup-remove': return { old: s.path, new: null };
    case 'qmp': return { old: s.from ? JSON.stringify(s.from) : null, new: JSON.stringify(s.arguments) };
    case 'exec': return { old: null, new: s.argv.join(' ') };
    default: return { old: null, new: null };
  }
}

function why(e: unknown): string {
  if (e instanceof VirtuneError || e instanceof HostError) return e.message;
  return `internal error (${e instanceof Error ? e.name : typeof e})`;
}

/** A thrown value as an operator's error: VirtuneError kept, host errors mapped, the rest never raw. */
function asVirtuneError(e: unknown, what: string): VirtuneError {
  if (e instanceof VirtuneError) return e;
  if (e instanceof HostError) return new VirtuneError(e.kind === 'permission' ? 4 : 1, `${what}: ${e.message}`);
  return new VirtuneError(1, `${what}: ${why(e)}`);
}

/** the websocket identity and transport of a caller, for its audit lines (absent fields stay absent) */
function callerExtras(c: Caller): Pick<AuditEntry, 'via' | 'role' | 'remote'> {
  const x: Pick<AuditEntry, 'via' | 'role' | 'remote'> = { via: c.via };
  if (c.role) x.role = c.role;
  if (c.remote) x.remote = c.remote;
  return x;
}

export function createTuner(deps: TunerDeps): RecoveringTuner {
  const stateFs = deps.stateFs ?? deps.fs;
  const journal = new Journal(stateFs, deps.stateDir);
  const audit = new AuditLog(deps.auditFs ?? deps.fs, deps.auditLog);
  const env = { fs: deps.fs, runner: deps.runner, qmp: deps.qmp };
  let probed: Promise<TcCaps> | null = null;
  const applyCaps = (): Promise<TcCaps> => {
    probed ??= detectTcCaps(deps.runner).then((c) => {
      try { saveTcCaps(stateFs, deps.stateDir, deps.fs, c); } catch { /* the cache is an optimisation */ }
      return c;
    }).catch((e: unknown) => { probed = null; throw e; });
    return probed;
  };
  const planDeps = { fs: deps.fs, runner: deps.runner, libvirtUri: deps.libvirtUri ?? null, tcCaps: applyCaps, qmp: deps.qmp };
  const previewDeps = { ...planDeps, tcCaps: async (): Promise<TcCaps> => cachedTcCaps(stateFs, deps.stateDir, deps.fs) };
  const iso = (): string => new Date(deps.clock.wallMs()).toISOString();
  let recovered = false;
  let recoveryLines: string[] = [];

  const newId = (): string => {
    const t = new Date(deps.clock.wallMs()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    return `${t}-${Math.random().toString(36).slice(2, 6)}`;
  };

  const entry = (caller: Caller, rec: Pick<ChangeRecord, 'guest' | 'guestUuid' | 'changeId'> | null, action: AuditEntry['action'],
    step: PlanStep | null, result: AuditEntry['result'], message: string | null): AuditEntry => {
    const e: AuditEntry = {
      time: iso(), uid: caller.uid, user: caller.user, peerPid: caller.pid,
      guest: rec?.guest ?? null, guestUuid: rec?.guestUuid ?? null, changeId: rec?.changeId ?? null, action, step, ...oldNew(step), result,
      ...callerExtras(caller),
    };
    if (message) e.message = message;
    return e;
  };

  /**
   * Audit listener. In the apply phase a failed append throws (the apply aborts and rolls back);
   * while undoing, failures are collected in `lost` so the undo still runs to the end.
   */
  const auditor = (caller: Caller, rec: ChangeRecord, undoAction: AuditEntry['action'], lost: string[], progress?: () => void): StepListener =>
    (o, phase) => {
      const action: AuditEntry['action'] = phase === 'apply' ? 'apply' : phase === 'rollback' ? (undoAction === 'recover' ? 'recover' : 'rollback') : undoAction;
      if (phase !== 'apply') {
        rec.undoDone = (rec.undoDone ?? 0) + 1;
        progress?.();
      }
      try {
        audit.append(entry(caller, rec, action, o.step, o.result, o.message ?? o.warning));
      } catch (e) {
        if (phase === 'apply') throw new VirtuneError(1, `cannot write the audit log ${deps.auditLog}: ${why(e)}`);
        if (lost.length === 0) lost.push(why(e));
      }
    };

  /** Save, collecting (not throwing) a failure: used while undoing, where stopping would be worse. */
  const saveQuiet = (rec: ChangeRecord, lost: string[]): void => {
    try { journal.save(rec); } catch (e) { lost.push(`cannot update the undo journal: ${why(e)}`); }
  };

  /** Run a record's remaining undo steps (from undoDone), journalling progress. */
  async function runRecordUndo(rec: ChangeRecord, steps: PlanStep[], caller: Caller, action: AuditEntry['action'], lost: string[]): Promise<string[]> {
    const skip = Math.min(rec.undoDone ?? 0, steps.length);
    const onStep = auditor(caller, rec, action, lost, () => saveQuiet(rec, lost));
    const r = await runUndo(env, steps.slice(skip), action === 'recover' ? 'rollback' : 'undo', onStep);
    return r.failed;
  }

  /** The steps that undo an interrupted apply: every completed step and the one that may have started. */
  const interruptedUndo = (rec: ChangeRecord): PlanStep[] => {
    const started = Math.min((rec.stepsDone ?? rec.plan.steps.length) + 1, rec.plan.steps.length);
    return undoPlanOf(rec.plan.steps.slice(0, started));
  };

  async function recoverOne(rec: ChangeRecord): Promise<string> {
    const lost: string[] = [];
    let failed: string[];
    if (rec.state === 'applying' || rec.state === 'rolling-back') {
      if (rec.state === 'applying') { rec.state = 'rolling-back'; rec.undoDone = 0; journal.save(rec); }
      rec.failure ??= 'interrupted: the process applying it stopped before it finished';
      failed = await runRecordUndo(rec, interruptedUndo(rec), SYSTEM, 'recover', lost);
      if (failed.length === 0) { rec.state = 'rolled-back'; delete rec.undoDone; }
    } else {
      failed = await runRecordUndo(rec, rec.undoSteps, SYSTEM, 'recover', lost);
      if (failed.length === 0) { rec.state = rec.state === 'undoing' ? 'undone' : 'reverted'; rec.revertAt = null; delete rec.undoDone; }
    }
    if (failed.length > 0) rec.undoDone = 0; // retried in full next time
    saveQuiet(rec, lost);
    const what = rec.state === 'rolled-back' ? 'rolled back' : rec.state === 'undone' || rec.state === 'reverted' ? `${rec.state} (completed)` : 'NOT fully rolled back';
    try {
      audit.append(entry(SYSTEM, rec, 'recover', null, failed.length === 0 ? 'ok' : 'failed',
        `change ${rec.changeId} was interrupted and has been ${what}${failed.length ? `; failed: ${failed.join('; ')}` : ''}`));
    } catch (e) { if (lost.length === 0) lost.push(why(e)); }
    const tail = [failed.length ? `; failed: ${failed.join('; ')}` : '', lost.length ? `; ${lost.join('; ')}` : ''].join('');
    return `interrupted change ${rec.changeId} (${rec.guest}) ${what}${tail}`;
  }

  /** Under the lock: finish every in-flight change; throws when one cannot be finished. */
  async function recoverLocked(): Promise<string[]> {
    const out: string[] = [];
    const stuck: string[] = [];
    for (const rec of journal.list(true)) {
      if (!IN_FLIGHT.has(rec.state)) continue;
      const line = await recoverOne(rec);
      out.push(line);
      if (IN_FLIGHT.has(rec.state)) stuck.push(line);
    }
    recovered = true;
    recoveryLines = out;
    if (stuck.length > 0) {
      throw new VirtuneError(1, `${stuck.join(' | ')} — fix the cause and retry with 'virtune undo ${journal.list().find((r) => IN_FLIGHT.has(r.state))?.changeId ?? ''}'; no new change is applied until then`);
    }
    return out;
  }

  async function locked<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      journal.ensureDir();
    } catch (e) {
      throw asVirtuneError(e, `cannot use the state directory ${deps.stateDir}`);
    }
    const release = await deps.lock.acquire(stateFs.resolve(deps.stateDir), deps.lockTimeoutMs);
    try {
      if (!recovered) await recoverLocked();
      return await fn();
    } catch (e) {
      throw asVirtuneError(e, what);
    } finally {
      release();
    }
  }

  /** when journalProblems() last re-read every record (monotonic ms) */
  let lastRecheck: number | null = null;

  function corruptLine(): string {
    return journal.corrupt().map((c) => `${c.file}: ${c.reason}`).join('; ');
  }

  async function undoRecord(rec: ChangeRecord, caller: Caller, action: 'undo' | 'revert'): Promise<Plan> {
    const lost: string[] = [];
    rec.state = action === 'undo' ? 'undoing' : 'reverting';
    rec.undoDone = 0;
    try {
      journal.save(rec);
    } catch (e) {
      throw new VirtuneError(1, `cannot write the undo journal in ${deps.stateDir}: ${why(e)}; nothing was ${action === 'undo' ? 'undone' : 'reverted'}`);
    }
    const failed = await runRecordUndo(rec, rec.undoSteps, caller, action, lost);
    if (failed.length > 0) {
      saveQuiet(rec, lost);
      throw new VirtuneError(1, `${action} of change ${rec.changeId} incomplete: failed: ${failed.join('; ')}${lost.length ? `; ${lost.join('; ')}` : ''}; ` +
        `it is journalled as ${rec.state} and is completed by the next 'virtune undo ${rec.changeId}' or engine start`);
    }
    rec.state = action === 'undo' ? 'undone' : 'reverted';
    rec.revertAt = null;
    delete rec.undoDone;
    saveQuiet(rec, lost);
    const warnings = lost.map((l) => `${action} done, but ${l.startsWith('cannot') ? l : `cannot write the audit log ${deps.auditLog}: ${l}`}`);
    return { guest: rec.guest, guestUuid: rec.guestUuid, applied: true, changeId: rec.changeId, steps: rec.undoSteps, warnings };
  }

  async function applyLocked(req: TuningRequest, current: RawSample, caller: Caller): Promise<Plan> {
    const stuck = journal.list(true).find((r) => IN_FLIGHT.has(r.state));
    if (stuck) {
      throw new VirtuneError(1, `change ${stuck.changeId} was interrupted and could not be fully rolled back; nothing new is applied until 'virtune undo ${stuck.changeId}' completes it`);
    }
    const plan = await planTuning(req, current, planDeps);
    if (plan.steps.length === 0) {
      return { ...plan, applied: true, changeId: null, warnings: [...plan.warnings, 'nothing to change'] };
    }
    const changeId = newId();
    const revertAt = req.revertAfterSec ? new Date(deps.clock.wallMs() + req.revertAfterSec * 1000).toISOString() : null;
    const rec: ChangeRecord = {
      changeId, guest: plan.guest, guestUuid: plan.guestUuid ?? null, appliedAt: iso(),
      plan: { ...plan, applied: true, changeId, revertAt }, undoSteps: undoPlanOf(plan.steps), state: 'applying', revertAt, stepsDone: 0, seq: journal.nextSeq(),
    };
    try {
      journal.save(rec); // write-ahead: on disk before the first step touches the host
    } catch (e) {
      throw new VirtuneError(1, `cannot write the undo journal in ${deps.stateDir}: ${why(e)}; nothing was changed`);
    }
    const lost: string[] = [];
    const warnings = await applySteps(env, plan.steps, {
      on: auditor(caller, rec, 'rollback', lost, () => saveQuiet(rec, lost)),
      done: (n) => {
        rec.stepsDone = n;
        try {
          journal.save(rec);
        } catch (e) {
          throw new VirtuneError(1, `cannot write the undo journal in ${deps.stateDir}: ${why(e)}`);
        }
      },
      rollingBack: (reason) => {
        rec.state = 'rolling-back';
        rec.failure = reason;
        rec.undoDone = 0;
        saveQuiet(rec, lost);
      },
      rolledBack: (failed) => {
        if (failed.length === 0) { rec.state = 'rolled-back'; delete rec.undoDone; }
        saveQuiet(rec, lost);
        return lost.length ? `; ${lost.join('; ')}` : '';
      },
    });
    rec.state = 'applied';
    delete rec.stepsDone;
    rec.plan.warnings = [...plan.warnings, ...warnings];
    try {
      journal.save(rec);
    } catch (e) {
      // every step is applied but the journal still says `applying`: undo it now rather than leave a
      // change the journal does not describe as applied
      const failed = await runRecordUndo({ ...rec, undoDone: 0 }, rec.undoSteps, caller, 'rollback', lost);
      throw new VirtuneError(1, `cannot write the undo journal in ${deps.stateDir}: ${why(e)}; the change was rolled back` +
        (failed.length ? `; ROLLBACK FAILED for: ${failed.join('; ')}` : ''));
    }
    return rec.plan;
  }

  return {
    // planning only reads; tc capabilities come from the cache or the module list, never a probe
    preview: async (req: TuningRequest, current: RawSample) => {
      try {
        return await planTuning(req, current, previewDeps);
      } catch (e) {
        throw asVirtuneError(e, 'preview');
      }
    },

    apply: (req, current, caller) => locked('apply', () => applyLocked(req, current, caller)),

    undo: (changeId, caller) => locked('undo', async () => {
      let rec: ChangeRecord | null;
      if (changeId) {
        rec = journal.get(changeId);
        if (!rec) {
          const bad = journal.corrupt().find((c) => c.file.endsWith(`/${changeId}.json`));
          if (bad) throw new VirtuneError(1, `change ${changeId}: its journal record is corrupt (${bad.reason}); nothing was undone`);
          throw new VirtuneError(3, `no change '${changeId}' in the undo journal (${deps.stateDir})`);
        }
        if (rec.state === 'undone' || rec.state === 'reverted' || rec.state === 'rolled-back') throw new VirtuneError(2, `change ${changeId} was already ${rec.state}`);
        if (IN_FLIGHT.has(rec.state)) return { ...rec.plan, warnings: [await recoverOne(rec)] };
      } else {
        const all = journal.list(true);
        if (journal.corrupt().length > 0) {
          throw new VirtuneError(1, `the undo journal has corrupt records (${corruptLine()}), so the last change is not known; name the change to undo (virtune undo CHANGE_ID)`);
        }
        rec = all.filter((r) => r.state === 'applied' || r.state === 'kept').pop() ?? null;
        if (!rec) throw new VirtuneError(3, `no applied change to undo (journal: ${deps.stateDir})`);
      }
      return undoRecord(rec, caller, 'undo');
    }),

    keep: (changeId, caller) => locked('keep', async () => {
      const rec = journal.get(changeId);
      if (!rec) throw new VirtuneError(3, `no change '${changeId}' in the undo journal (${deps.stateDir})`);
      if (rec.state !== 'applied' && rec.state !== 'kept') throw new VirtuneError(2, `change ${changeId} was already ${rec.state}; nothing to keep`);
      rec.state = 'kept';
      rec.revertAt = null;
      journal.save(rec);
      audit.append(entry(caller, rec, 'keep', null, 'ok', null));
      return rec;
    }),

    // the valid records; a corrupt one is left out here and named by journalProblems() (one line each)
    changes: async () => journal.list(true),
    journalProblems: () => {
      // per tick: new files only; every JOURNAL_RECHECK_MS every record is re-read
      const now = deps.clock.monoMs();
      const recheck = lastRecheck === null || now - lastRecheck >= JOURNAL_RECHECK_MS;
      if (recheck) lastRecheck = now;
      return journal.problems(recheck).map((c) => `undo journal record ${c.file} is corrupt (${c.reason}): it is not listed and cannot be undone; fix or remove the file`);
    },
    audit: async (limit) => audit.read(limit),
    note: (e) => audit.append(e),

    async revertDue(nowWallMs) {
      // per tick: the index answers (one directory listing, no record re-read); only a due change is
      // re-read under the lock before it is reverted
      const due = journal.due(nowWallMs);
      // a record another process left in flight: once we hold the lock, that process is gone
      if (journal.hasState(IN_FLIGHT)) recovered = false;
      if (due.length === 0 && recovered) return [];
      return locked('revert', async () => {
        const out: Plan[] = [];
        const sys: Caller = { uid: null, user: 'virtune (revert timer)', pid: null, via: 'timer' };
        for (const id of due) {
          const rec = journal.get(id);
          if (!rec || rec.state !== 'applied' || !rec.revertAt || Date.parse(rec.revertAt) > nowWallMs) continue;
          out.push(await undoRecord(rec, sys, 'revert'));
        }
        return out;
      });
    },

    recover: () => locked('recovery', async () => {
      const lines = recoveryLines;
      recoveryLines = [];
      return lines;
    }),
  };
}
