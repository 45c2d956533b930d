// Owns the commands whose issues have not landed yet: each is declared with its options (so --help
// lists the whole contract) and answers "not available yet" with exit code 2.

import type { Command } from 'commander';
import { notAvailable } from '../runtime.js';

export function registerDesktop(program: Command): void {
  program.command('desktop')
    .description('the Electron desktop app')
    .action(() => notAvailable('the desktop app'));
}
