// Owns `virtune advise`: NUMA placement advice, host-wide rebalancing and the configuration linter.

import type { Command } from 'commander';
import { notAvailable } from '../runtime.js';

export function registerAdvise(program: Command): void {
  program.command('advise')
    .description('NUMA placement advice for a guest or a need (like numad -w), --host, --lint')
    .argument('[GUEST]', 'an existing guest')
    .option('--need <VCPUS:MIB>', 'advice for a new guest of this size')
    .option('--hugepages <2M|1G>', 'the need is backed by hugepages of this size')
    .option('--host', 'host-wide rebalancing proposal')
    .option('--lint', 'configuration findings with suggested tune commands')
    .option('--apply', 'turn the advice into a tuning plan (preview, confirm)')
    .option('--dry-run', 'with --apply: print the plan only')
    .option('-y, --yes', 'with --apply: do not ask for confirmation')
    .action(() => notAvailable('advise'));
}
