// Owns how a recorded event reads on a timeline: one line per tuning change or audit entry.

import type { RecordedEvent, ReplayEventMark } from '../model/recording.js';
import type { PlanStep } from '../model/tuning.js';

export function stepSummary(s: PlanStep): string {
  switch (s.kind) {
    case 'cgroup-write':
    case 'sysfs-write':
      return `${s.path.split('/').pop() ?? s.path} ${s.from ?? '?'} -> ${s.to}`;
    case 'qmp': return `qmp ${s.command}`;
    case 'exec': return s.argv.slice(0, 3).join(' ');
    case 'affinity': return `tid ${s.tid} cpus ${s.to}`;
    case 'cgroup-move': return `move ${s.pids.length} pid(s)`;
    default: return s.kind;
  }
}

export function eventMark(e: RecordedEvent): ReplayEventMark {
  if (e.kind === 'change') {
    const c = e.change;
    const steps = c.plan.steps.map(stepSummary).join('; ');
    return { wallMs: e.wallMs, kind: 'change', guest: c.guest, summary: `${c.state} ${c.changeId} ${c.guest}: ${steps}` };
  }
  const a = e.entry;
  const what = a.step ? stepSummary(a.step) : (a.message ?? '');
  return { wallMs: e.wallMs, kind: 'audit', guest: a.guest, summary: `${a.action} ${a.result} ${a.guest ?? 'host'}: ${what}` };
}

export function eventMarks(events: readonly RecordedEvent[]): ReplayEventMark[] {
  return events.map(eventMark);
}
