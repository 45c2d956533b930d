// Owns the TUI's process side (its composition root inside src/tui): create the blessed screen, run
// the app, and restore the terminal on every exit path — q, Ctrl-C, SIGTERM/SIGHUP, an uncaught
// exception or rejection. Returns the exit code; the CLI exits with it.

import blessed from 'blessed';
import { TuiApp, type TuiOptions } from './app.js';

export type { TuiOptions } from './app.js';

export async function runTui(opts: TuiOptions): Promise<number> {
  const screen = blessed.screen({
    smartCSR: true, fullUnicode: false, autoPadding: false, warnings: false, title: 'virtune',
    dockBorders: false, ignoreLocked: ['C-c'],
  });
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try { screen.destroy(); } catch { /* already gone */ }
    // belt and braces: leave the alternate screen, show the cursor, reset attributes
    try { process.stdout.write('\x1b[?1049l\x1b[?25h\x1b[0m'); } catch { /* stdout closed */ }
  };
  const app = new TuiApp(screen, opts);
  let resolveEnd: (code: number) => void = () => undefined;
  const ended = new Promise<number>((r) => { resolveEnd = r; });
  // once the UI is ending (a signal, a lost terminal, a failure), the process must not outlive it:
  // a cleanup that hangs is cut short
  const finish = (code: number): void => {
    resolveEnd(code);
    setTimeout(() => process.exit(code), 3000).unref();
  };
  const onFatal = (e: unknown): void => {
    restore();
    process.stderr.write(`virtune: the terminal UI failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    finish(1);
  };
  // the terminal went away (hangup, closed pty): end as for SIGHUP
  const lostTerminal = (): void => finish(129);
  const listeners: Array<[NodeJS.EventEmitter, string, (e: unknown) => void]> = [
    [process, 'SIGTERM', () => finish(143)],
    [process, 'SIGHUP', () => finish(129)],
    [process, 'SIGINT', () => finish(0)],
    [process, 'uncaughtException', onFatal],
    [process, 'unhandledRejection', onFatal],
    [process, 'exit', restore],
    [process.stdin, 'end', lostTerminal],
    [process.stdin, 'error', lostTerminal],
    [process.stdout, 'error', lostTerminal],
  ];
  for (const [em, ev, fn] of listeners) em.on(ev, fn);
  try {
    const code = await Promise.race([app.run(), ended]);
    finish(code);
    return code;
  } finally {
    restore();
    await Promise.race([app.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2500).unref())]);
    for (const [em, ev, fn] of listeners) em.off(ev, fn);
  }
}
