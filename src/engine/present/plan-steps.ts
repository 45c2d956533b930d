// Owns the change journal and the audit log as table rows (steps described by plan-preview.ts, revert
// timers by tuning-form.ts's countdown). Pure; times come in as arguments so every face counts alike.

import type { AuditEntry, ChangeRecord } from '../model/tuning.js';
import { planStepVM } from './plan-preview.js';
import { revertCountdown } from './tuning-form.js';

export interface ChangeRow { changeId: string; guest: string; appliedAt: string; state: string; steps: number; revert: string }

export function changeRows(cs: readonly ChangeRecord[], nowMs: number): ChangeRow[] {
  return cs.map((c) => ({
    changeId: c.changeId, guest: c.guest, appliedAt: c.appliedAt, state: c.state, steps: c.plan.steps.length,
    revert: c.state === 'applied' ? revertCountdown(c.revertAt, nowMs) ?? '' : '',
  }));
}

export interface AuditRow { time: string; who: string; guest: string; action: string; what: string; change: string; result: string }

export function auditRows(es: readonly AuditEntry[]): AuditRow[] {
  return es.map((e) => {
    const row = e.step ? planStepVM(e.step) : null;
    return {
      time: e.time,
      who: e.user ?? (e.uid === null ? '-' : `uid ${e.uid}`),
      guest: e.guest ?? '-',
      action: e.action,
      what: row?.where ?? '-',
      change: `${e.old ?? '-'} → ${e.new ?? '-'}`,
      result: e.message ? `${e.result}: ${e.message}` : e.result,
    };
  });
}
