// Owns `virtune desktop`: starts the Electron app (dist/desktop/main/electron-main.js) with the
// already-validated global options, so it opens the same engine any command would: in-process and
// read-only unless --write, or attached to `virtune serve` with --connect (tuning through the
// privileged daemon). Without the Electron binary (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1)
// it says so in one line, points at the browser face, and exits 1.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { VirtuneError } from '../../engine/model/errors.js';
import { parseGlobals, type GlobalOptions } from '../runtime.js';

/** the Electron binary's path, or null when it is not installed */
export function electronBinary(): string | null {
  if (process.env.VIRTUNE_ELECTRON) return existsSync(process.env.VIRTUNE_ELECTRON) ? process.env.VIRTUNE_ELECTRON : null;
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

export function electronArgs(g: GlobalOptions): string[] {
  const main = fileURLToPath(new URL('../../desktop/main/electron-main.js', import.meta.url));
  return [main, `--virtune-options=${JSON.stringify(g)}`];
}

export function registerDesktop(program: Command): void {
  program.command('desktop')
    .description('the Electron desktop app (read-only in-process engine; --write, or --connect to a daemon, to tune)')
    .action(async (_o: unknown, cmd: Command) => {
      const g = parseGlobals(cmd);
      const bin = electronBinary();
      if (!bin) {
        throw new VirtuneError(1, 'desktop: the Electron binary is not installed (reinstall without ELECTRON_SKIP_BINARY_DOWNLOAD, or set VIRTUNE_ELECTRON); the same UI runs in a browser: virtune serve --http 127.0.0.1:7300');
      }
      const child = spawn(bin, electronArgs(g), { stdio: 'inherit' });
      const code = await new Promise<number>((resolve) => {
        child.once('error', () => resolve(1));
        child.once('exit', (c) => resolve(c ?? 1));
      });
      if (code !== 0) process.exitCode = code;
    });
}
