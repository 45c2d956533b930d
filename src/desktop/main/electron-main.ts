// Owns the Electron entry point (`electron dist/desktop/main/electron-main.js --virtune-options=JSON`,
// started by `virtune desktop`): the composition root of the desktop app. The CLI parsed and checked
// the global options; here they open the engine the same way every CLI command does (in-process and
// read-only unless --write, or attached to a daemon with --connect) and startDesktop serves it to
// the window over IPC. Thin on purpose: everything testable is in app.ts and window.ts.

import { app, BrowserWindow, ipcMain, session } from 'electron';
import { fileURLToPath } from 'node:url';
import { openEngine } from '../../cli/engine-factory.js';
import type { GlobalOptions } from '../../cli/runtime.js';
import { startDesktop, type ElectronParts } from './app.js';

const arg = process.argv.find((a) => a.startsWith('--virtune-options='));
const g = JSON.parse(arg ? arg.slice('--virtune-options='.length) : '{}') as GlobalOptions;
const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));

try {
  const engine = await openEngine({ ...g, json: false });
  await startDesktop({ app, BrowserWindow, ipcMain, session } as unknown as ElectronParts, engine, {
    uiDir: here('../ui/'), preload: here('../preload.cjs'),
    readOnly: g.connect === null && !g.write,
    caller: { uid: process.getuid?.() ?? null, user: process.env.USER ?? null, pid: process.pid, via: 'ipc' },
  });
} catch (e) {
  process.stderr.write(`virtune desktop: ${(e as Error).message.split('\n')[0]}\n`);
  app.exit(1);
}
