// Owns `virtune` / `virtune tui`: open the engine the TUI shows (in-process on --root or --demo, or a
// daemon with --connect, re-opened by the TUI when the connection drops) and run the terminal UI.
// On a host without guests (no --root/--demo/--connect) it shows the demo host, badged so. The
// demo host is simulated, so the TUI may tune it without --write; the real host needs --write (or a
// read-write daemon socket).

import type { Command } from 'commander';
import { VirtuneError } from '../../engine/model/errors.js';
import type { EngineApi } from '../../engine/protocol/api.js';
import { connectRemote, openEngine } from '../engine-factory.js';
import { parseGlobals, type GlobalOptions } from '../runtime.js';

/** Redact a `?token=` from a URL shown on screen. */
const shownUrl = (url: string): string => url.replace(/([?&]token=)[^&]*/, '$1…');

async function openLocal(g: GlobalOptions): Promise<{ api: EngineApi; implicitDemo: boolean }> {
  const writeFor = (demo: boolean): boolean => g.write || demo;
  const api = await openEngine(g, { write: writeFor(g.demo !== null) });
  const implicitHost = g.demo === null && g.root === '/';
  if (!implicitHost) return { api, implicitDemo: false };
  if ((await api.listGuests()).length > 0) return { api, implicitDemo: false };
  await api.close();
  const demo: GlobalOptions = { ...g, demo: 8 };
  return { api: await openEngine(demo, { write: true }), implicitDemo: true };
}

export function registerTui(program: Command): void {
  program.command('tui', { isDefault: true })
    .description('the terminal UI (default command)')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = parseGlobals(cmd);
      if (g.json) throw new VirtuneError(2, 'tui: --json does not apply to the terminal UI (use snapshot or watch --json)');
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        throw new VirtuneError(2, 'tui: needs a terminal (use `virtune watch` or `virtune snapshot` in scripts and pipes)');
      }
      // the terminal UI (blessed and its widgets) is loaded only when it runs: `watch --json` and the
      // other commands never carry it in their heap
      const { runTui } = await import('../../tui/main.js');
      let code: number;
      if (g.connect) {
        const url = g.connect;
        // the first connection must work (a wrong URL is bad input); later drops are re-opened by the TUI
        const first = await connectRemote(url);
        let handed = false;
        code = await runTui({
          open: async () => { if (!handed) { handed = true; return first; } return connectRemote(url); },
          connectedTo: shownUrl(url), implicitDemo: false, env: process.env,
        });
      } else {
        const { api, implicitDemo } = await openLocal(g);
        let handed = false;
        code = await runTui({
          open: async () => {
            if (handed) throw new VirtuneError(1, 'the in-process engine stopped');
            handed = true;
            return api;
          },
          connectedTo: null, implicitDemo, env: process.env,
        });
      }
      process.exitCode = code;
    });
}
