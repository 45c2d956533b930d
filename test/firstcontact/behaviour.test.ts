// First contact, through the real CLI: hugepage pool checks, the revert timer's messages without a
// terminal, `watch | head -2` ending quietly (and leaving no demo tree), and over a `serve --demo`
// daemon: --revert-after says the daemon holds a timer, and `advise --lint` exits 1 once it finds an error.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { serveDemo } from '../helpers/daemon.js';
import { useLab } from '../helpers/lab.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vt-fc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hugepage pool checks (real CLI, demo host)', () => {
  it('refuses a pool beyond available memory and below the pages in use unless --force', async () => {
    const huge = await runCli(['--demo', '2', 'tune', 'host', '--hugepages', '2M=100000000', '--yes']);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/needs 190\.7 TiB more, but only .* is available on this host; pass --force/);
    const below = await runCli(['--demo', '8', 'tune', 'host', '--hugepages', '2M=0', '--yes']);
    expect(below.code).toBe(2);
    expect(below.stderr).toMatch(/pages of the pool are in use, so it cannot shrink to 0; pass --force/);
    const forced = await runCli(['--demo', '2', '--json', 'tune', 'host', '--hugepages', '2M=100000000', '--force', '--dry-run']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).warnings.join(' ')).toMatch(/--force/);
  });
});

describe('revert timer without a terminal (real CLI, demo host)', () => {
  it('one line when set, one when reverted, no countdown', async () => {
    const r = await runCli(['--demo', '2', 'tune', 'web-01', '--cpu-weight', '200', '--yes', '--revert-after', '1']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => /reverts at/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /reverted/.test(l))).toHaveLength(1);
    expect(r.stderr).not.toMatch(/reverting in/);
    expect(lines).toHaveLength(2);
  });
});

describe('watch | head -2 (real CLI, demo host)', () => {
  it('exits 0 without a message and removes its demo tree', async () => {
    const shm = mkdtempSync(path.join(dir, 'shm-'));
    const r = await new Promise<{ status: string; stderr: string }>((resolve) => {
      const sh = spawn('bash', ['-c', `"${process.execPath}" "${CLI}" --demo 2 --interval 0.2 watch | head -2 >/dev/null; echo "\${PIPESTATUS[0]}"`],
        { env: { ...process.env, TMPDIR: shm } });
      let out = ''; let err = '';
      sh.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      sh.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      sh.on('close', () => resolve({ status: out.trim(), stderr: err }));
    });
    expect(r.status).toBe('0');
    expect(r.stderr).toBe('');
    // the simulator removes the tree when its parent is gone: give it a moment
    for (let i = 0; i < 50 && readdirSync(shm).length > 0; i++) await new Promise((res) => setTimeout(res, 100));
    expect(readdirSync(shm)).toEqual([]);
  }, 30_000);
});

describe('over a serve --demo daemon (real CLI processes)', () => {
  const lab = useLab();

  it('--revert-after says the daemon holds the timer; advise --lint exits 1 once it finds an error', async () => {
    // own process group, demo tree under the lab's directory, both removed after the test even when it fails
    const c = await serveDemo(lab, 8);
    const clean = await runCli([...c, 'advise', '--lint']);
    expect(clean.code, clean.stderr).toBe(0);
    // db-04's hugepages are on node 1: its vCPUs pinned to node 0 make every access remote
    const t = await runCli([...c, 'tune', 'db-04', '--cpuset', '0-7', '--yes', '--revert-after', '600']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/reverts at .* unless kept: the daemon holds the timer/);
    // the daemon sees the new cpuset at its next samples
    let lint = await runCli([...c, '--json', 'advise', '--lint']);
    for (let i = 0; i < 10 && lint.code === 0; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      lint = await runCli([...c, '--json', 'advise', '--lint']);
    }
    expect(lint.code, lint.stderr).toBe(1);
    expect((JSON.parse(lint.stdout) as Array<{ rule: string; severity: string }>).some((f) => f.severity === 'error' && f.rule === 'hugepages-remote')).toBe(true);
  }, 90_000);
});
