// First contact, through the real CLI (dist/cli/main.js): bad input gets one clear line naming the
// input in command-line words and the contract's exit code (2), and nothing runs.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vt-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refused(args: string[], pattern: RegExp, code = 2): Promise<void> {
  const r = await runCli(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('bad input (real CLI)', () => {
  it('undo "" and keep "" are bad input, not "the last change"', async () => {
    await refused(['--demo', '1', 'undo', ''], /CHANGE_ID is empty/);
    await refused(['--demo', '1', 'keep', ''], /CHANGE_ID is empty/);
  });

  it('an unknown command says so; --demo WORD names --demo', async () => {
    await refused(['frobnicate'], /^virtune: unknown command 'frobnicate'/);
    await refused(['--demo', 'abc'], /^virtune: --demo: 'abc' is not a guest count/);
    await refused(['--demo', 'abc', 'snapshot'], /^virtune: --demo: 'abc' is not a guest count/);
  });

  it('--interval above an hour is refused (no timer overflow, no all-zero snapshot)', async () => {
    await refused(['--demo', '1', '--interval', '1e9', 'snapshot'], /--interval: '1e9' is not a number of seconds from 0.1 to 3600/);
  });

  it('--connect refuses --demo, --root and --interval', async () => {
    await refused(['--connect', 'unix:/nonexistent.sock', '--demo', '2', 'snapshot'], /--connect: --demo cannot be used with --connect/);
    await refused(['--connect', 'unix:/nonexistent.sock', '--root', dir, 'snapshot'], /--connect: --root cannot be used with --connect/);
    await refused(['--connect', 'unix:/nonexistent.sock', '--interval', '2', 'watch'], /--connect: --interval cannot be used with --connect/);
  });

  it('--root on an empty directory or a file is not a host tree', async () => {
    const empty = path.join(dir, 'empty'); mkdirSync(empty);
    const file = path.join(dir, 'file'); writeFileSync(file, 'x');
    await refused(['--root', empty, 'snapshot'], /--root: '.*empty' is not a host tree/);
    await refused(['--root', file, 'snapshot'], /--root: '.*file' is not a host tree/);
  });

  it('advise --need: 0 vCPUs in its own words (no schema text); 4:8G works like --mem-max 8G', async () => {
    await refused(['--demo', '2', 'advise', '--need', '0:0'], /^virtune: --need: '0:0' needs between 0.01 and 1000000 vCPUs/);
    const r = await runCli(['--demo', '2', '--json', 'advise', '--need', '4:8G']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).need).toEqual({ vcpus: 4, memMiB: 8192 });
    const mib = await runCli(['--demo', '2', '--json', 'advise', '--need', '4:8192']);
    expect(JSON.parse(mib.stdout).need).toEqual({ vcpus: 4, memMiB: 8192 });
  });

  it('messages use command-line words, not internal identifiers', async () => {
    const r = await runCli(['--demo', '1', 'tune', 'host', '--cpu-weight', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cpu-weight needs a guest/);
    expect(r.stderr).not.toMatch(/cpuWeight|previewTuning/);
  });

  it('serve --listen into a missing directory says no such directory (exit 2)', async () => {
    await refused(['--demo', '1', 'serve', '--listen', `unix:${dir}/missing/x.sock`], /no such directory/i);
  });
});
