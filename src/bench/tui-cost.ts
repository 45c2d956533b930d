// Owns the TUI benchmarks. tuiFrameMs200: building and drawing one frame of the terminal UI (view-models
// from engine/present + blessed's diffing screen render) with 200 guests on a 200x60 screen that writes
// to a discarding stream; the snapshot alternates so every frame has changes to draw. tuiCpuPct50: the
// TUI process itself (in a real terminal: a private tmux server) attached with --connect to
// `virtune serve --demo 50` at 1 Hz, its utime + stime over a window; the daemon is measured apart.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import blessed from 'blessed';
import { derive } from '../engine/core/derive.js';
import type { Snapshot } from '../engine/model/snapshot.js';
import { TuiApp } from '../tui/app.js';
import { cpuSec } from './proc-cpu.js';
import { summarize, type Stat } from './stats.js';
import { syntheticSample } from './synthetic.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Median ms to build and render one 200-guest frame. */
export async function measureTuiFrame(guests: number, runs: number): Promise<Stat> {
  const snaps: Snapshot[] = [];
  for (let t = 1; t <= 4; t++) snaps.push(derive(syntheticSample(guests, t - 1), syntheticSample(guests, t)));
  // vary the figures so consecutive frames differ (a real second changes most cells)
  snaps.forEach((s, k) => s.guests.forEach((g, i) => { g.cpu.usagePct = ((i * 37 + k * 11) % 400) + k / 10; }));
  const out = Object.assign(new Writable({ write(_c, _e, cb) { cb(); } }), { columns: 200, rows: 60, isTTY: true });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const screen = blessed.screen({ input, output: out, terminal: 'xterm-256color', smartCSR: true, warnings: false } as unknown as blessed.Widgets.IScreenOptions);
  const app = new TuiApp(screen, {
    open: () => Promise.reject(new Error('bench: no engine')), connectedTo: null, implicitDemo: false, env: {},
  });
  app.session.link = 'live';
  const times: number[] = [];
  try {
    for (let i = 0; i < runs + 5; i++) {
      app.session.latest = snaps[i % snaps.length] as Snapshot;
      const t0 = process.hrtime.bigint();
      app.render();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= 5) times.push(ms);
    }
  } finally {
    await app.stop();
    screen.destroy();
  }
  return summarize(times);
}

export interface TuiCpu { guests: number; windowSec: number; cpuPct: number; frames: number | null }

/** CPU of the TUI process attached to a daemon at 1 Hz, in a real terminal (tmux). */
export async function measureTuiCpu(guests: number, windowSec: number, warmupSec: number): Promise<TuiCpu> {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'virtune-bench-tui-'));
  const sock = path.join(dir, 'rw.sock');
  const tmux = `virtune-bench-tui-${process.pid}`;
  const daemon = spawn(process.execPath, [cli, '--demo', String(guests), 'serve', '--listen', `unix:${sock}`], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    let outText = '';
    daemon.stdout!.on('data', (d: Buffer) => { outText += d.toString(); });
    const end = Date.now() + 60_000;
    while (!outText.includes('read-write')) {
      if (daemon.exitCode !== null || Date.now() > end) throw new Error('the daemon did not start');
      await sleep(50);
    }
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    execFileSync('tmux', ['-L', tmux, '-f', '/dev/null', 'new-session', '-d', '-x', '200', '-y', '60',
      `exec ${q(process.execPath)} ${q(cli)} --connect ${q(`unix:${sock}`)}`]);
    const pid = Number(execFileSync('tmux', ['-L', tmux, 'display-message', '-p', '-t', '0', '#{pane_pid}'], { encoding: 'utf8' }).trim());
    await sleep(warmupSec * 1000);
    if (!existsSync(`/proc/${pid}`)) throw new Error('the TUI exited');
    const c0 = cpuSec(pid);
    const t0 = Date.now();
    await sleep(windowSec * 1000);
    const c1 = cpuSec(pid);
    const sec = (Date.now() - t0) / 1000;
    return { guests, windowSec: Math.round(sec * 10) / 10, cpuPct: ((c1 - c0) / sec) * 100, frames: null };
  } finally {
    try { execFileSync('tmux', ['-L', tmux, 'kill-server'], { stdio: 'ignore' }); } catch { /* gone */ }
    try { process.kill(-(daemon.pid as number), 'SIGTERM'); } catch { /* gone */ }
    await sleep(500);
    try { process.kill(-(daemon.pid as number), 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
}
