// Owns `virtune changes [--json]`: the undo journal's changes, oldest first, each with its state and, for
// an applied change with a revert timer, the time left (what `undo`, `keep` and the timer act on).
// Through a daemon (`--connect`) it asks the daemon (which needs `undo` or `audit.read` for it); on the
// demo host it asks the demo's engine; otherwise it reads the journal itself (--state-dir, default
// /var/lib/virtune under --root) without sampling the host, and names each corrupt record on stderr.

import type { Command } from 'commander';
import type { ChangeRecord } from '../../engine/model/tuning.js';
import { ExecRunner } from '../../engine/node/exec-runner.js';
import { NodeHostFs } from '../../engine/node/node-host-fs.js';
import { SocketQmpConnector } from '../../engine/node/socket-qmp.js';
import { SystemClock } from '../../engine/node/system-clock.js';
import { changeRows, type ChangeRow } from '../../engine/present/plan-steps.js';
import { buildTuner, openEngine } from '../engine-factory.js';
import { makeOut, parseGlobals } from '../runtime.js';

const HEAD = ['CHANGE', 'GUEST', 'APPLIED', 'STATE', 'STEPS', 'REVERT IN'];
/** the column of the step count, right-aligned */
const STEPS = 4;

/** The human table: a header and one row per change, columns padded to their widest cell. */
export function changesTable(rows: readonly ChangeRow[]): string[] {
  const cells = [HEAD, ...rows.map((r) => [r.changeId, r.guest, r.appliedAt, r.state, String(r.steps), r.revert])];
  const width = HEAD.map((_, c) => Math.max(...cells.map((row) => (row[c] as string).length)));
  return cells.map((row) => row.map((v, c) => (c === STEPS ? v.padStart(width[c] as number) : v.padEnd(width[c] as number))).join('  ').trimEnd());
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
        const fs = new NodeHostFs(g.root);
        try {
          const tuner = buildTuner(g, fs, { runner: new ExecRunner(), clock: new SystemClock(), qmp: new SocketQmpConnector(), demo: false });
          changes = await tuner.changes();
          for (const line of tuner.journalProblems?.() ?? []) out.warn(line);
        } finally {
          fs.close();
        }
      }
      if (out.json) { out.data(changes); return; }
      if (changes.length === 0) { out.text('(no changes in the undo journal)'); return; }
      for (const line of changesTable(changeRows(changes, Date.now()))) out.text(line);
    });
}
