// Owns `virtune audit [--limit N] [--json]`: the audit log, newest last. Through a daemon
// (`--connect`) it needs `audit.read` (the read-only socket and the viewer role refuse it: exit 4) and
// shows only the guests the caller may read; without one it reads the log file through this host's
// tuner (the same path the changes are audited to: --audit-log as written, else the default under
// --root; mode 0600: a user who may not read it gets exit 4), with a bounded tail read.

import type { Command } from 'commander';
import { usageError } from '../../engine/model/errors.js';
import type { AuditEntry, PlanStep } from '../../engine/model/tuning.js';
import { openEngine, withLocalTuner } from '../engine-factory.js';
import { makeOut, parseGlobals } from '../runtime.js';

function parseLimit(v: string | undefined): number {
  if (v === undefined) return 100;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1 || n > 100_000) throw usageError(`--limit: '${v}' is not a count from 1 to 100000`);
  return n;
}

function stepText(s: PlanStep | null): string {
  if (!s) return '';
  switch (s.kind) {
    case 'cgroup-write': case 'sysfs-write': return `write ${s.path}`;
    case 'cgroup-create': case 'cgroup-remove': return `${s.kind} ${s.path}`;
    case 'cgroup-move': return `move ${s.pids.length} task(s) to ${s.path}`;
    case 'affinity': return `affinity tid ${s.tid}`;
    case 'qmp': return `qmp ${s.command}`;
    case 'exec': return s.argv.join(' ');
  }
}

/** One human line per entry: time, who, action, guest, what, result. */
export function auditLine(e: AuditEntry): string {
  const who = e.uid !== null ? `${e.user ?? '?'}(${e.uid})` : e.role ? `${e.role}@${e.remote ?? '?'}` : 'unknown';
  const pid = e.peerPid !== null ? ` pid ${e.peerPid}` : '';
  const what = e.action === 'authorize'
    ? `${e.method ?? ''} [${(e.permissions ?? []).join(',')}]`
    : `${stepText(e.step)}${e.old !== null || e.new !== null ? `: ${e.old ?? '?'} -> ${e.new ?? '?'}` : ''}`;
  const msg = e.message ? ` (${e.message})` : '';
  return `${e.time}  ${who}${pid}${e.via ? ` ${e.via}` : ''}  ${e.action}  ${e.guest ?? '-'}  ${what}  ${e.result}${msg}`;
}

export function registerAudit(program: Command): void {
  program.command('audit')
    .description('the audit log, newest last (through a daemon: needs audit.read)')
    .option('--limit <N>', 'the last N entries (default 100)')
    .action(async (o: { limit?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      const limit = parseLimit(o.limit);
      let entries: AuditEntry[];
      if (g.connect !== null || g.demo !== null) {
        const api = await openEngine(g, { write: true });
        try { entries = await api.auditLog(limit); } finally { await api.close(); }
      } else {
        entries = await withLocalTuner(g, (tuner) => tuner.audit(limit));
      }
      if (out.json) { out.data(entries); return; }
      if (entries.length === 0) out.text('(the audit log is empty)');
      for (const e of entries) out.text(auditLine(e));
    });
}
