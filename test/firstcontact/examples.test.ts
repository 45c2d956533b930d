// Every example of the README (its ```sh blocks) and of `virtune --help` runs as written on the demo
// host, through the real CLI, in README order in a scratch working directory (files an example writes,
// like a recording, are there for the next): `--demo` is added after `virtune` unless the example picks
// its host itself (--demo, --root, --connect) or serves a recording (--replay); comments are dropped.
// A `serve` example must come up (its unix sockets exist, or it prints its URLs) and keeps running for
// the examples after it until the next `serve`. An example must exit 0 — except undo/keep, which on a
// fresh demo have no change to act on and must answer exactly that (exit 3), and revert-due, which
// refuses the demo by design in one line.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';

function split(line: string): string[] {
  return line.replace(/\s+#.*$/, '').trim().split(/\s+/);
}

function readmeExamples(): string[] {
  const md = readFileSync(path.resolve('README.md'), 'utf8');
  const out: string[] = [];
  for (const block of md.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const l of (block[1] as string).split('\n')) if (/^virtune(\s|$)/.test(l.trim())) out.push(l.trim());
  }
  return out;
}

async function helpExamples(): Promise<string[]> {
  const r = await runCli(['--help']);
  expect(r.code).toBe(0);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^virtune\s/.test(l));
}

function onDemo(argv: string[]): string[] {
  const args = argv.slice(1);
  return args.some((a) => a === '--demo' || a === '--root' || a === '--connect' || a === '--replay') ? args : ['--demo', ...args];
}

const cwd = mkdtempSync(path.join(tmpdir(), 'vt-examples-'));
let daemon: ChildProcess | null = null;
async function stopDaemon(): Promise<void> {
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    const gone = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await gone;
  }
  daemon = null;
}
afterAll(async () => {
  await stopDaemon();
  rmSync(cwd, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // no Electron binary whatever this machine has: the desktop example's answer is then known
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIRTUNE_ELECTRON: '/nonexistent/electron' } });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`virtune ${args.join(' ')} timed out\n${stderr}`)); }, 90_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

async function runExample(line: string): Promise<void> {
  const args = onDemo(split(line));
  if (args.includes('serve')) {
    await stopDaemon();
    const d = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon = d;
    let out = '';
    d.stdout!.on('data', (x: Buffer) => { out += x.toString(); });
    d.stderr!.on('data', (x: Buffer) => { out += x.toString(); });
    const socks = args.filter((a) => a.startsWith('unix:')).map((a) => a.slice(5));
    const up = (): boolean => (socks.length > 0 ? socks.every((p) => existsSync(p)) : /https?:\/\//.test(out));
    for (let i = 0; i < 300 && !up() && d.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(d.exitCode, `${line}\n${out}`).toBeNull();
    expect(up(), `${line}\n${out}`).toBe(true);
    return;
  }
  const r = await run(args);
  const cmd = args.filter((a, i) => !a.startsWith('-') && !/^\d+$/.test(a) && !/^--(connect|root|token-file|state-dir|audit-log|interval|libvirt-uri|qmp)$/.test(args[i - 1] ?? ''))[0];
  if (cmd === 'undo' || cmd === 'keep') {
    expect(r.code, `${line}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/no applied change|no change|not found|unknown change/i);
    return;
  }
  if (cmd === undefined || cmd === 'tui') {
    // the terminal UI: without a terminal it must say it needs one (exit 2); its life in a real
    // terminal is the TUI's own tmux tests. Reaching that answer proves the example parses and runs.
    expect(r.code, `${line}\n${r.stderr}`).toBe(2);
    expect(r.stderr.trim()).toMatch(/^virtune: tui: needs a terminal/);
    return;
  }
  if (cmd === 'desktop') {
    // no Electron binary (VIRTUNE_ELECTRON names none; CI never downloads it): the example must
    // still parse, say so in one line and point at the same UI in a browser (exit 1); the app's window
    // code is tested with fakes in test/desktop
    expect(r.code, `${line}\n${r.stderr}`).toBe(1);
    expect(r.stderr.trim()).toMatch(/^virtune: desktop: the Electron binary is not installed .*virtune serve --http/);
    return;
  }
  if (cmd === 'revert-due') {
    // it acts on a host's journal by design and says so on the demo (one line, exit 2)
    expect(r.code, `${line}\n${r.stderr}`).toBe(2);
    expect(r.stderr.trim()).toMatch(/^virtune: revert-due acts on the journal of this host .* not on the demo$/);
    return;
  }
  expect(r.code, `${line}\n${r.stderr}`).toBe(0);
}

describe('README and --help examples on the demo host (real CLI)', () => {
  it('the README has its examples, and each runs as written', async () => {
    const lines = readmeExamples();
    expect(lines.length).toBeGreaterThanOrEqual(10);
    for (const l of lines) await runExample(l);
  }, 600_000);

  it('the --help examples each run as written', async () => {
    const lines = await helpExamples();
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) await runExample(l);
  }, 300_000);
});
