// Owns `virtune snapshot` and `virtune watch`: sample, derive, print (contract snapshot JSON).

import type { Command } from 'commander';
import { notAvailable } from '../runtime.js';

export function registerSnapshot(program: Command): void {
  program.command('snapshot')
    .description('sample twice, --interval apart, print one snapshot and exit')
    .action(() => notAvailable('snapshot'));
  program.command('watch')
    .description('print a snapshot every interval (--json: one JSON object per line)')
    .option('--count <N>', 'stop after N snapshots')
    .action(() => notAvailable('watch'));
}
