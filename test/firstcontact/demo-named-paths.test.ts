// On the demo host, a --state-dir or --audit-log the operator names is taken as written, as on any
// host (README, "Tuning"): the change journal, the audit log and serve's token files go exactly there
// (they used to be moved into the demo's tree, which is deleted when the demo stops), and a later demo
// process given the same paths lists the change, and `audit` under any --root reads the named log.
// Through the real CLI.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vt-named-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--state-dir and --audit-log on the demo host (simulated host, real CLI)', () => {
  it('the journal and the audit log go to the named paths, and outlive the demo', async () => {
    const state = path.join(dir, 'state');
    const audit = path.join(dir, 'log', 'audit.log');
    const named = ['--demo', '2', '--state-dir', state, '--audit-log', audit];
    const t = await runCli([...named, '--json', 'tune', 'web-01', '--cpu-weight', '300', '--yes']);
    expect(t.code, t.stderr).toBe(0);
    const id = (JSON.parse(t.stdout) as { changeId: string }).changeId;
    expect(readdirSync(path.join(state, 'changes'))).toEqual([`${id}.json`]);
    expect(readFileSync(audit, 'utf8')).toContain(id);
    const c = await runCli([...named, '--json', 'changes']);
    expect(c.code, c.stderr).toBe(0);
    expect((JSON.parse(c.stdout) as Array<{ changeId: string; state: string }>).map((r) => [r.changeId, r.state])).toEqual([[id, 'applied']]);
    // read back without the demo, under another --root: the named log is still the one written
    const a = await runCli(['--root', dir, '--audit-log', audit, '--json', 'audit']);
    expect(a.code, a.stderr).toBe(0);
    expect((JSON.parse(a.stdout) as Array<{ changeId: string | null }>).map((e) => e.changeId)).toContain(id);
  });

  it("serve --http writes its token files into the named --state-dir, mode 0600", async () => {
    const state = path.join(dir, 'serve-state');
    const d = spawn(process.execPath, [CLI, '--demo', '2', '--state-dir', state, '--json', 'serve', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    d.stdout.on('data', (x: Buffer) => { out += x.toString(); });
    try {
      for (let i = 0; i < 200 && !/"serving"/.test(out) && d.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      const line = out.split('\n').find((l) => l.includes('"serving"'));
      expect(line, out).toBeDefined();
      const files = (JSON.parse(line as string) as { serving: { tokenFiles: { viewer: string; operator: string } } }).serving.tokenFiles;
      expect(files).toEqual({ viewer: path.join(state, 'http-viewer.token'), operator: path.join(state, 'http-operator.token') });
      for (const f of [files.viewer, files.operator]) expect(statSync(f).mode & 0o777).toBe(0o600);
    } finally {
      const gone = new Promise((r) => d.once('exit', r));
      d.kill('SIGTERM');
      await gone;
    }
  });
});
