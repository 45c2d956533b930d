// Owns `virtune changes [--json]`: the undo journal's changes, oldest first, each with its state and, for
// an applied change with a revert timer, the time left (what `undo`, `keep` and the timer act on).
// Through a daemon (`--connect`) it asks the daemon (which needs `undo` or `audit.read` for it); on the
// demo host it asks the demo's engine; otherwise it reads the journal itself (--state-dir, default
// /var/lib/virtune under --root; a --root that does not exist is exit 2) without sampling the host, and
// names each corrupt record on stderr.

import type { Command } from 'commander';
import type { ChangeRecord } from '../../engine/model/tuning.js';
import { alignColumns } from '../../engine/present/format.js';
import { changeRows, type ChangeRow } from '../../engine/present/plan-steps.js';
import { openEngine, withLocalTuner } from '../engine-factory.js';
import { makeOut, parseGlobals } from '../runtime.js';

const HEAD = ['CHANGE', 'GUEST', 'APPLIED', 'STATE', 'STEPS', 'REVERT IN'];

/** The human table: a header and one row per change (the step count right-aligned). */
export function changesTable(rows: readonly ChangeRow[]): string[] {
  const cells = rows.map((r) => [r.changeId, r.guest, r.appliedAt, r.state, String(r.steps), r.revert]);
  return alignColumns(HEAD, cells, (i) => i === 4);
}

export function registerChanges(program: Command): void {
  program.command('changes')
    .description('the undo journal: every change with its state and revert timer, oldest first')
    .action(async (_o: unknown, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      let changes: ChangeRecord[];
      if (g.connect !== null || g.demo !== null) {
        const api = await openEngine(g, { write: true });
        try { changes = await api.changes(); } finally { await api.close(); }
      } else {
        changes = await withLocalTuner(g, async (tuner) => {
          const list = await tuner.changes();
          for (const line of tuner.journalProblems?.() ?? []) out.warn(line);
          return list;
        });
      }
      if (out.json) { out.data(changes); return; }
      if (changes.length === 0) { out.text('(no changes in the undo journal)'); return; }
      for (const line of changesTable(changeRows(changes, Date.now()))) out.text(line);
    });
}
