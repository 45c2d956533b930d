// Owns driving a real terminal for the TUI tests: a private tmux server (its own -L socket name, so no
// other session is touched) running one command at a given size, send-keys to type, capture-pane to
// read the screen, and the pane's terminal modes (alternate screen, cursor) to check restoration.

import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { uniqueName, type Lab } from '../helpers/lab.js';

export class Tmux {
  readonly socket = uniqueName('virtune-tui');
  readonly exitFile: string;

  constructor(private readonly lab: Lab, dir: string) {
    this.exitFile = path.join(dir, 'exit-code');
    lab.defer(() => { try { execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' }); } catch { /* gone */ } });
  }

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Run argv (a node script and its args) in a new session of cols x rows; the exit code lands in exitFile. */
  start(argv: string[], cols: number, rows: number, env: Record<string, string> = {}): void {
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const envs = Object.entries(env).map(([k, v]) => `${k}=${q(v)}`).join(' ');
    const cmd = `${envs ? `env ${envs} ` : ''}${argv.map(q).join(' ')}; echo $? > ${q(this.exitFile)}; echo VIRTUNE-EXITED; sleep 600`;
    this.tmux(['-f', '/dev/null', 'new-session', '-d', '-x', String(cols), '-y', String(rows), 'sh', '-c', cmd]);
    this.tmux(['set-option', '-g', 'status', 'off']);
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', '0']);
  }

  /** the screen with its attributes as escape sequences (capture-pane -e) */
  screenWithAttributes(): string {
    return this.tmux(['capture-pane', '-p', '-e', '-t', '0']);
  }

  lines(): string[] {
    return this.screen().split('\n');
  }

  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', '0', ...keys]);
    // a lone ESC followed at once by a key reads as Alt+key in any terminal: let it stand alone
    if (keys[keys.length - 1] === 'Escape') execFileSync('sleep', ['0.3']);
  }

  type(text: string): void {
    this.tmux(['send-keys', '-t', '0', '-l', text]);
  }

  /** pane modes: alternate screen on? cursor visible? */
  modes(): { alternate: boolean; cursor: boolean } {
    const [alt, cur] = this.tmux(['display-message', '-p', '-t', '0', '#{alternate_on} #{cursor_flag}']).trim().split(' ');
    return { alternate: alt === '1', cursor: cur === '1' };
  }

  /** resize the terminal (as a terminal emulator window resize does) */
  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-t', '0', '-x', String(cols), '-y', String(rows)]);
  }

  /** close the terminal under the program (as a dropped SSH session does) */
  killServer(): void {
    try { this.tmux(['kill-server']); } catch { /* gone */ }
  }

  /** pid of the program the pane's shell runs */
  programPid(): number {
    const sh = this.tmux(['display-message', '-p', '-t', '0', '#{pane_pid}']).trim();
    const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', sh], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
    if (kids.length !== 1) throw new Error(`expected one program under the pane's shell ${sh}, found ${kids.length}`);
    return Number(kids[0]);
  }

  exitCode(): number | null {
    return existsSync(this.exitFile) ? Number(readFileSync(this.exitFile, 'utf8').trim()) : null;
  }

  /** Poll the screen until `test` holds; fails with the last screen. */
  async waitFor(what: string, test: (screen: string) => boolean, ms = 15_000): Promise<string> {
    const end = Date.now() + ms;
    let s = '';
    for (;;) {
      s = this.screen();
      if (test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Rows of the guest table on a captured screen: name -> the row's cells, by the header's titles. */
export function tableRows(screen: string): { titles: string[]; rows: Array<Record<string, string>> } {
  const lines = screen.split('\n');
  const h = lines.findIndex((l) => /^(ID[▲▼]?\s+)?NAME[▲▼]?\s/.test(l));
  if (h < 0) return { titles: [], rows: [] };
  const titles = (lines[h] as string).replace(/[▼▲]/g, '').trim().split(/\s+/);
  const rows: Array<Record<string, string>> = [];
  for (const l of lines.slice(h + 1)) {
    const cells = l.trim().split(/\s+/);
    if (cells.length < 4 || !/^\d+$/.test(cells[titles.indexOf('VCPU')] ?? '')) break;
    rows.push(Object.fromEntries(titles.map((t, i) => [t, cells[i] ?? ''])));
  }
  return { titles, rows };
}
