// Owns the commands whose issues have not landed yet: each is declared with its options (so --help
// lists the whole contract) and answers "not available yet" with exit code 2.

import type { Command } from 'commander';
import { notAvailable } from '../runtime.js';

export function registerDesktop(program: Command): void {
  program.command('desktop')
    .description('the Electron desktop app')
    .action(() => notAvailable('the desktop app'));
}

export function registerRecording(program: Command): void {
  program.command('record')
    .description('record raw samples to a file')
    .requiredOption('-o, --output <FILE>', 'recording file')
    .option('--duration <SEC>', 'stop after SEC seconds')
    .action(() => notAvailable('recording'));
  program.command('replay')
    .description('replay a recording in the terminal UI')
    .argument('<FILE>', 'recording file')
    .action(() => notAvailable('replay'));
  program.command('report')
    .description('capacity report from a recording')
    .argument('<FILE>', 'recording file')
    .option('--html <OUT>', 'write an HTML report')
    .action(() => notAvailable('the capacity report'));
}
