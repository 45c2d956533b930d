// Owns RecordingTuner: a Tuner test double that records every call (with its Caller) and returns
// deterministic plans, change records and audit entries — used by engine and contract tests where
// the real tuner is beside the point.

import type { Clock } from '../../src/engine/ports/clock.js';
import type { Caller, Tuner } from '../../src/engine/ports/sources.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { AuditEntry, ChangeRecord, Plan, TuningRequest } from '../../src/engine/model/tuning.js';
import { notFoundError } from '../../src/engine/model/errors.js';

export interface TunerCall { op: string; guest?: string; changeId?: string | null; caller?: Caller }

export class RecordingTuner implements Tuner {
  readonly calls: TunerCall[] = [];
  private readonly records: ChangeRecord[] = [];
  private readonly auditEntries: AuditEntry[] = [];
  private next = 1;

  constructor(private readonly clock: Clock) {}

  private plan(req: TuningRequest, raw: RawSample, applied: boolean, changeId: string | null): Plan {
    const g = raw.guests.find((x) => x.id === req.guest || x.name === req.guest);
    if (!g) throw notFoundError(`guest '${req.guest}' not found`);
    const path = `/sys/fs/cgroup${g.cgroup?.path ?? ''}/cpu.weight`;
    return {
      guest: g.id, applied, changeId,
      steps: req.changes.map((c) => ({ kind: 'cgroup-write' as const, path, from: String(g.cpu.weight), to: JSON.stringify(c) })),
      warnings: [],
    };
  }

  async preview(req: TuningRequest, raw: RawSample): Promise<Plan> {
    this.calls.push({ op: 'preview', guest: req.guest });
    return this.plan(req, raw, false, null);
  }

  async apply(req: TuningRequest, raw: RawSample, caller: Caller): Promise<Plan> {
    this.calls.push({ op: 'apply', guest: req.guest, caller });
    const changeId = `c${this.next++}`;
    const plan = this.plan(req, raw, true, changeId);
    const time = new Date(this.clock.wallMs()).toISOString();
    this.records.push({ changeId, guest: plan.guest, guestUuid: null, appliedAt: time, plan, undoSteps: [], state: 'applied', revertAt: null });
    this.auditEntries.push({
      time, uid: caller.uid, user: caller.user, peerPid: caller.pid, guest: plan.guest, guestUuid: null, changeId,
      action: 'apply', step: plan.steps[0] ?? null, old: null, new: null, result: 'ok',
    });
    return plan;
  }

  async undo(changeId: string | null, caller: Caller): Promise<Plan> {
    this.calls.push({ op: 'undo', changeId, caller });
    const rec = changeId ? this.records.find((r) => r.changeId === changeId) : [...this.records].reverse().find((r) => r.state === 'applied');
    if (!rec) throw notFoundError(`no change ${changeId ?? 'to undo'}`);
    rec.state = 'undone';
    return { ...rec.plan, applied: true, steps: [], warnings: [`undid ${rec.changeId}`] };
  }

  async keep(changeId: string, caller: Caller): Promise<ChangeRecord> {
    this.calls.push({ op: 'keep', changeId, caller });
    const rec = this.records.find((r) => r.changeId === changeId);
    if (!rec) throw notFoundError(`no change ${changeId}`);
    rec.state = 'kept';
    return rec;
  }

  async changes(): Promise<ChangeRecord[]> { return this.records.map((r) => ({ ...r })); }
  async audit(limit: number): Promise<AuditEntry[]> { return this.auditEntries.slice(-limit); }
  note(entry: AuditEntry): void { this.auditEntries.push(entry); }
  async revertDue(nowWallMs: number): Promise<Plan[]> {
    this.calls.push({ op: 'revertDue', changeId: String(nowWallMs) });
    return [];
  }
}
