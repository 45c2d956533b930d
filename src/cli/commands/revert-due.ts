// Owns `virtune revert-due`: the revert timer that survives the process that set it. A `--revert-after`
// deadline lives in the change journal; this command (run from a systemd timer or cron, see README)
// first finishes any change a dead process left half-done, then reverts every change whose deadline has
// passed, and exits. It takes the state lock like any engine and samples nothing.

import type { Command } from 'commander';
import { VirtuneError } from '../../engine/model/errors.js';
import { withLocalTuner } from '../engine-factory.js';
import { makeOut, parseGlobals } from '../runtime.js';

export function registerRevertDue(program: Command): void {
  program.command('revert-due')
    .description('finish interrupted changes and revert those whose --revert-after deadline passed (for a timer or cron)')
    .action(async (_o: unknown, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      if (g.connect) throw new VirtuneError(2, 'revert-due runs on this host (the daemon reverts its own timers); drop --connect');
      if (g.demo !== null) throw new VirtuneError(2, 'revert-due acts on the journal of this host (or --root), not on the demo');
      await withLocalTuner(g, async (tuner, clock) => {
        const recovered = await tuner.recover();
        const reverted = await tuner.revertDue(clock.wallMs());
        if (out.json) {
          out.data({ recovered, reverted: reverted.map((p) => ({ changeId: p.changeId, guest: p.guest, warnings: p.warnings })) });
        } else {
          for (const l of recovered) out.text(l);
          for (const p of reverted) out.text(`reverted change ${p.changeId} on ${p.guest}`);
          if (recovered.length + reverted.length === 0) out.text('nothing due');
        }
      });
    });
}
