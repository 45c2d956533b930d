// Owns createTuner, the tuning layer's implementation of the Tuner port: preview (plan only), apply
// (plan, run with read-back and rollback, journal the ChangeRecord with its undo steps, audit every
// step), undo (the last or a named change, from the persistent journal), keep (cancel a revert timer),
// revertDue (revert changes whose --revert-after expired), the change list and the audit log.
// Read-only mode is enforced by the engine, not here.

import { VirtuneError } from '../engine/model/errors.js';
import type { RawSample } from '../engine/model/sample.js';
import type { AuditEntry, ChangeRecord, Plan, PlanStep, TuningRequest } from '../engine/model/tuning.js';
import type { Clock } from '../engine/ports/clock.js';
import type { CommandRunner } from '../engine/ports/command-runner.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import type { Caller, Tuner } from '../engine/ports/sources.js';
import { applySteps, runUndo, undoPlanOf, type StepListener } from './apply.js';
import { AuditLog, Journal } from './journal.js';
import { planTuning } from './plan.js';
import { detectTcCaps, type TcCaps } from './tc.js';

export interface TunerDeps {
  fs: HostFs;
  runner: CommandRunner;
  clock: Clock;
  qmp: QmpConnector;
  /** undo journal directory, a real host path (default /var/lib/virtune) */
  stateDir: string;
  /** audit log file, a real host path (default /var/log/virtune/audit.log) */
  auditLog: string;
  libvirtUri?: string | null;
}

function oldNew(s: PlanStep | null): { old: string | null; new: string | null } {
  if (!s) return { old: null, new: null };
  switch (s.kind) {
    case 'cgroup-write': case 'sysfs-write': case 'affinity': return { old: s.from, new: s.to };
    case 'cgroup-move': return { old: s.from, new: s.path };
    case 'cgroup-create': return { old: null, new: s.path };
    case 'cgroup-remove': return { old: s.path, new: null };
    case 'qmp': return { old: s.from ? JSON.stringify(s.from) : null, new: JSON.stringify(s.arguments) };
    case 'exec': return { old: null, new: s.argv.join(' ') };
  }
}

/** the websocket identity and transport of a caller, for its audit lines (absent fields stay absent) */
function callerExtras(c: Caller): Pick<AuditEntry, 'via' | 'role' | 'remote'> {
  const x: Pick<AuditEntry, 'via' | 'role' | 'remote'> = { via: c.via };
  if (c.role) x.role = c.role;
  if (c.remote) x.remote = c.remote;
  return x;
}

export function createTuner(deps: TunerDeps): Tuner {
  const journal = new Journal(deps.fs, deps.stateDir);
  const audit = new AuditLog(deps.fs, deps.auditLog);
  const env = { fs: deps.fs, runner: deps.runner, qmp: deps.qmp };
  let caps: Promise<TcCaps> | null = null;
  const planDeps = {
    fs: deps.fs, runner: deps.runner, libvirtUri: deps.libvirtUri ?? null,
    tcCaps: (): Promise<TcCaps> => {
      caps ??= detectTcCaps(deps.runner).catch((e: unknown) => { caps = null; throw e; });
      return caps;
    },
  };
  const iso = (): string => new Date(deps.clock.wallMs()).toISOString();

  const newId = (): string => {
    const t = new Date(deps.clock.wallMs()).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    return `${t}-${Math.random().toString(36).slice(2, 6)}`;
  };

  const auditor = (caller: Caller, guest: string | null, uuid: string | null, changeId: string | null, override?: 'undo' | 'revert'): StepListener =>
    (o, phase) => {
      const action: AuditEntry['action'] = phase === 'apply' ? 'apply' : phase === 'rollback' ? 'rollback' : (override ?? 'undo');
      const e: AuditEntry = {
        time: iso(), uid: caller.uid, user: caller.user, peerPid: caller.pid,
        guest, guestUuid: uuid, changeId, action, step: o.step, ...oldNew(o.step), result: o.result, ...callerExtras(caller),
      };
      const msg = o.message ?? o.warning;
      if (msg) e.message = msg;
      audit.append(e);
    };

  async function undoRecord(rec: ChangeRecord, caller: Caller, action: 'undo' | 'revert'): Promise<Plan> {
    const r = await runUndo(env, rec.undoSteps, 'undo', auditor(caller, rec.guest, rec.guestUuid, rec.changeId, action));
    if (r.failed.length > 0) {
      throw new VirtuneError(1, `${action} of change ${rec.changeId} incomplete: failed: ${r.failed.join('; ')}; done: ${r.done.join('; ') || 'nothing'}`);
    }
    rec.state = action === 'undo' ? 'undone' : 'reverted';
    rec.revertAt = null;
    journal.save(rec);
    return { guest: rec.guest, guestUuid: rec.guestUuid, applied: true, changeId: rec.changeId, steps: rec.undoSteps, warnings: [] };
  }

  return {
    preview: (req: TuningRequest, current: RawSample) => planTuning(req, current, planDeps),

    async apply(req, current, caller) {
      const plan = await planTuning(req, current, planDeps);
      if (plan.steps.length === 0) {
        return { ...plan, applied: true, changeId: null, warnings: [...plan.warnings, 'nothing to change'] };
      }
      const changeId = newId();
      const warnings = await applySteps(env, plan.steps, auditor(caller, plan.guest, plan.guestUuid ?? null, changeId));
      const revertAt = req.revertAfterSec ? new Date(deps.clock.wallMs() + req.revertAfterSec * 1000).toISOString() : null;
      const applied: Plan = { ...plan, applied: true, changeId, warnings: [...plan.warnings, ...warnings], revertAt };
      journal.save({
        changeId, guest: plan.guest, guestUuid: plan.guestUuid ?? null, appliedAt: iso(), plan: applied,
        undoSteps: undoPlanOf(plan.steps), state: 'applied', revertAt,
      });
      return applied;
    },

    async undo(changeId, caller) {
      let rec: ChangeRecord | null;
      if (changeId) {
        rec = journal.get(changeId);
        if (!rec) throw new VirtuneError(3, `no change '${changeId}' in the undo journal (${deps.stateDir})`);
        if (rec.state === 'undone' || rec.state === 'reverted') throw new VirtuneError(2, `change ${changeId} was already ${rec.state}`);
      } else {
        rec = journal.list().filter((r) => r.state === 'applied' || r.state === 'kept').pop() ?? null;
        if (!rec) throw new VirtuneError(3, `no applied change to undo (journal: ${deps.stateDir})`);
      }
      return undoRecord(rec, caller, 'undo');
    },

    async keep(changeId, caller) {
      const rec = journal.get(changeId);
      if (!rec) throw new VirtuneError(3, `no change '${changeId}' in the undo journal (${deps.stateDir})`);
      if (rec.state !== 'applied' && rec.state !== 'kept') throw new VirtuneError(2, `change ${changeId} was already ${rec.state}; nothing to keep`);
      rec.state = 'kept';
      rec.revertAt = null;
      journal.save(rec);
      audit.append({
        time: iso(), uid: caller.uid, user: caller.user, peerPid: caller.pid, guest: rec.guest, guestUuid: rec.guestUuid,
        changeId, action: 'keep', step: null, old: null, new: null, result: 'ok', ...callerExtras(caller),
      });
      return rec;
    },

    changes: async () => journal.list(),
    audit: async (limit) => audit.read(limit),
    note: (entry) => audit.append(entry),

    async revertDue(nowWallMs) {
      const out: Plan[] = [];
      const sys: Caller = { uid: null, user: 'virtune (revert timer)', pid: null, via: 'timer' };
      for (const rec of journal.list()) {
        if (rec.state !== 'applied' || !rec.revertAt || Date.parse(rec.revertAt) > nowWallMs) continue;
        out.push(await undoRecord(rec, sys, 'revert'));
      }
      return out;
    },
  };
}
