// Owns `virtune serve`: the engine as a daemon on unix sockets and websocket.

import type { Command } from 'commander';
import { notAvailable } from '../runtime.js';

export function registerServe(program: Command): void {
  program.command('serve')
    .description('run the engine as a daemon (read-write and read-only unix sockets, websocket)')
    .option('--listen <unix:PATH>', 'read-write unix socket (mode 0600)')
    .option('--listen-ro <unix:PATH>', 'read-only unix socket (mode 0666)')
    .option('--http <HOST:PORT>', 'websocket, browser UI and /metrics (loopback by default)')
    .action(() => notAvailable('serve'));
}
