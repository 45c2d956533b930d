// Every example of the README (its ```sh blocks) and of `virtune --help` runs as written on the demo
// host, through the real CLI: `--demo` is added after `virtune` unless the example picks its host
// itself (--demo, --root, --connect); comments are dropped. `serve` runs until its sockets are up, and
// the --connect examples talk to it. An example must exit 0 — except undo/keep, which on a fresh demo
// have no change to act on and must answer exactly that (exit 3), never a usage error.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
  return args.some((a) => a === '--demo' || a === '--root' || a === '--connect') ? args : ['--demo', ...args];
}

let daemon: ChildProcess | null = null;
afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    const gone = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await gone;
  }
});

async function runExample(line: string): Promise<void> {
  const args = onDemo(split(line));
  if (args.includes('serve')) {
    daemon = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    daemon.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const socks = args.filter((a) => a.startsWith('unix:')).map((a) => a.slice(5));
    for (let i = 0; i < 300 && !socks.every((s) => existsSync(s)) && daemon.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(daemon.exitCode, `${line}\n${err}`).toBeNull();
    expect(socks.every((s) => existsSync(s)), line).toBe(true);
    return;
  }
  const r = await runCli(args, { timeoutMs: 60_000 });
  const cmd = args.find((a) => !a.startsWith('-') && !/^\d+$/.test(a));
  if (cmd === 'undo' || cmd === 'keep') {
    expect(r.code, `${line}\n${r.stderr}`).toBe(3);
    expect(r.stderr).toMatch(/no applied change|no change|not found|unknown change/i);
    return;
  }
  expect(r.code, `${line}\n${r.stderr}`).toBe(0);
}

describe('README and --help examples on the demo host (real CLI)', () => {
  it('the README has its examples, and each runs as written', async () => {
    const lines = readmeExamples();
    expect(lines.length).toBeGreaterThanOrEqual(10);
    // serve first: the --connect examples need it
    const ordered = [...lines.filter((l) => / serve /.test(l)), ...lines.filter((l) => !/ serve /.test(l))];
    for (const l of ordered) await runExample(l);
  }, 600_000);

  it('the --help examples each run as written', async () => {
    const lines = await helpExamples();
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) await runExample(l);
  }, 300_000);
});
