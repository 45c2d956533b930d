// Tests of the CLI grammar and exit codes, on the built program (dist/cli/main.js).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const COMMANDS = ['tui', 'desktop', 'serve', 'snapshot', 'watch', 'tune', 'undo', 'changes', 'advise', 'record', 'replay', 'report'];

describe('virtune CLI', () => {
  it('--help lists every command of the contract', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    for (const o of ['--root', '--demo', '--connect', '--qmp', '--interval', '--write', '--json']) expect(r.stdout).toContain(o);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('an unknown option exits 2 with a one-line message', async () => {
    const r = await runCli(['--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--no-such-option');
  });

  it('a misspelt option is one line that names it and suggests the near one', async () => {
    const r = await runCli(['tune', 'web-01', '--demo', '2', '--cpu-wieght', '200']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["virtune: unknown option '--cpu-wieght' (did you mean --cpu-weight?)"]);
  });

  it('an operand a command does not take is named (exit 2, nothing run), in --json too', async () => {
    const tune = await runCli(['tune', 'web-01', 'cpu.weight=200', '--demo', '2']);
    expect(tune.code).toBe(2);
    expect(tune.stderr.trim().split('\n')).toEqual(["virtune: tune: unexpected argument 'cpu.weight=200' (tune takes GUEST; see virtune tune --help)"]);
    const snap = await runCli(['snapshot', '--demo', '2', 'extra', '--json']);
    expect(snap.code).toBe(2);
    expect(JSON.parse(snap.stdout)).toEqual({ error: { code: 2, message: expect.stringContaining("unexpected argument 'extra'") } });
  });

  it('a bad global value exits 2 and, with --json, prints the error object', async () => {
    const r = await runCli(['snapshot', '--interval', '0.01', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 2, message: expect.stringContaining('--interval') } });
  });
});
