// Owns the tables of tuning state a face shows: a plan as rows of what / old value / new value (the
// preview before confirming), the countdown of an auto-revert timer, the change journal and the audit
// log as rows. Pure; times come in as arguments so every face counts down alike.

import type { AuditEntry, ChangeRecord, Plan, PlanStep } from '../model/tuning.js';

export interface PlanRow { what: string; from: string; to: string }

const short = (v: unknown): string => {
  if (v === null || v === undefined) return '-';
  const t = typeof v === 'string' ? v : JSON.stringify(v);
  return t.length > 120 ? `${t.slice(0, 119)}…` : t;
};

export function stepRow(s: PlanStep): PlanRow {
  switch (s.kind) {
    case 'cgroup-write':
    case 'sysfs-write': return { what: s.path, from: short(s.from), to: short(s.to) };
    case 'cgroup-create': return { what: `create ${s.path}`, from: '-', to: 'created' };
    case 'cgroup-remove': return { what: `remove ${s.path}`, from: 'exists', to: 'removed' };
    case 'cgroup-move': return { what: `move pids ${s.pids.join(',')}`, from: short(s.from), to: s.path };
    case 'affinity': return { what: `thread ${s.tid} affinity`, from: short(s.from), to: s.to };
    case 'qmp': return { what: `QMP ${s.command}`, from: short(s.from ?? null), to: short(s.arguments) };
    case 'exec': return { what: s.note ?? s.argv[0] ?? 'exec', from: '-', to: s.argv.join(' ') };
  }
}

export function planRows(p: Plan): PlanRow[] { return p.steps.map(stepRow); }

/** 'reverts in 0:42' / 'reverting…' / null when the change has no timer. */
export function revertCountdown(revertAt: string | null | undefined, nowMs: number): string | null {
  if (!revertAt) return null;
  const left = Math.ceil((Date.parse(revertAt) - nowMs) / 1000);
  if (!Number.isFinite(left)) return null;
  if (left <= 0) return 'reverting…';
  return `reverts in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

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
    const row = e.step ? stepRow(e.step) : null;
    return {
      time: e.time,
      who: e.user ?? (e.uid === null ? '-' : `uid ${e.uid}`),
      guest: e.guest ?? '-',
      action: e.action,
      what: row?.what ?? '-',
      change: `${e.old ?? '-'} → ${e.new ?? '-'}`,
      result: e.message ? `${e.result}: ${e.message}` : e.result,
    };
  });
}
