// `virtune desktop` as a real CLI process: without the Electron binary it says so in one line and
// exits 1; with a FAKE Electron binary (a shell script standing in for it: the real one cannot be
// downloaded here) it starts it with the main script and the validated global options; bad global
// options exit 2 before anything starts.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('virtune desktop', () => {
  it('without the Electron binary: one line naming the browser alternative, exit 1', async () => {
    const r = await runCli(['desktop'], { env: { VIRTUNE_ELECTRON: '/nonexistent/electron' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Electron binary is not installed.*virtune serve --http/);
  });

  it('starts a fake Electron binary with electron-main.js and the checked global options', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-fake-electron-'));
    dirs.push(dir);
    const fake = path.join(dir, 'electron');
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/args\nexit 0\n`);
    chmodSync(fake, 0o755);
    const r = await runCli(['--demo', '3', '--interval', '0.5', 'desktop'], { env: { VIRTUNE_ELECTRON: fake } });
    expect(r.code, r.stderr).toBe(0);
    const args = readFileSync(path.join(dir, 'args'), 'utf8').trim().split('\n');
    expect(args[0]).toMatch(/dist\/desktop\/main\/electron-main\.js$/);
    const opts = JSON.parse(args[1]!.slice('--virtune-options='.length));
    expect(opts).toMatchObject({ demo: 3, intervalSec: 0.5, write: false, connect: null });
    const bad = await runCli(['--interval', '0.01', 'desktop'], { env: { VIRTUNE_ELECTRON: fake } });
    expect(bad.code).toBe(2);
  });
});
