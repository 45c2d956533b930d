// `virtune serve --http` roles as a real daemon (demo host): viewer and operator tokens written 0600
// to the state directory; the viewer cannot tune or read the audit log, the operator can, and its
// decisions are audited with role and remote address; /metrics needs a token as Authorization: Bearer;
// clients take the token from --token-file or VIRTUNE_TOKEN and it never appears in their argv
// (/proc/PID/cmdline of a running client); a ?token= URL still works with a warning; a non-loopback
// bind needs --tls-cert/--tls-key, and with them the CLI connects over wss.

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { requireCommand, useLab } from '../helpers/lab.js';
import { startServe } from '../helpers/daemon.js';
import { openDir } from './access-lab.js';

interface Serving { websocket: string; viewer: string; operator: string; metrics: string; tokenFiles: { viewer: string; operator: string }; listen: string }

function serving(out: string): Serving {
  const line = out.split('\n').find((l) => l.startsWith('{"serving"'));
  if (!line) throw new Error(`no serving line in ${out}`);
  return (JSON.parse(line) as { serving: Serving }).serving;
}

/** every process whose argv runs the CLI */
function cliCmdlines(): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const c = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (c.includes(CLI)) out.push(c.replace(/\0/g, ' '));
    } catch { /* gone */ }
  }
  return out;
}

describe('websocket roles and tokens (real daemon, demo host)', () => {
  const lab = useLab();

  it('viewer reads, operator tunes; /metrics behind the token; no token in any client argv', async () => {
    const dir = openDir(lab, 'virtune-ws');
    const rw = path.join(dir, 'rw.sock');
    const state = path.join(dir, 'state');
    const d = await startServe(lab, ['--demo', '2', '--interval', '0.5', '--json', '--state-dir', state],
      ['--listen', `unix:${rw}`, '--http', '127.0.0.1:0'], /"serving"/);
    const s = serving(d.out());
    expect(s.tokenFiles).toEqual({ viewer: path.join(state, 'http-viewer.token'), operator: path.join(state, 'http-operator.token') });
    for (const f of [s.tokenFiles.viewer, s.tokenFiles.operator]) expect(statSync(f).mode & 0o777).toBe(0o600);
    const viewer = readFileSync(s.tokenFiles.viewer, 'utf8').trim();
    const operator = readFileSync(s.tokenFiles.operator, 'utf8').trim();
    expect(viewer).not.toBe(operator);
    expect(s.viewer).toContain(viewer);
    expect(s.operator).toContain(operator);
    expect(s.websocket).not.toContain('token');
    const WS = s.websocket;

    // viewer: snapshots yes, tuning and the audit log no (exit 4)
    const v1 = await runCli(['--connect', WS, '--token-file', s.tokenFiles.viewer, 'snapshot', '--json']);
    expect(v1.code, v1.stderr).toBe(0);
    const v2 = await runCli(['--connect', WS, '--token-file', s.tokenFiles.viewer, 'tune', 'web-01', '--cpu-quota', '50%', '--yes']);
    expect(v2.code).toBe(4);
    const v3 = await runCli(['--connect', WS, 'audit'], { env: { VIRTUNE_TOKEN: viewer } });
    expect(v3.code).toBe(4);
    const none = await runCli(['--connect', WS, 'snapshot'], { env: { VIRTUNE_TOKEN: '' } });
    expect(none.code).toBe(4);

    // operator (token in the environment): tunes; the decision is audited with role and address
    const o1 = await runCli(['--connect', WS, '--json', 'tune', 'web-01', '--cpu-quota', '50%', '--yes'], { env: { VIRTUNE_TOKEN: operator } });
    expect(o1.code, o1.stderr).toBe(0);
    const log = await runCli(['--connect', `unix:${rw}`, 'audit', '--json']);
    expect(log.code, log.stderr).toBe(0);
    const auth = (JSON.parse(log.stdout) as Array<Record<string, unknown>>).filter((e) => e.action === 'authorize');
    expect(auth).toEqual([expect.objectContaining({ method: 'applyTuning', result: 'ok', role: 'operator', via: 'ws', remote: expect.stringMatching(/127\.0\.0\.1$/) })]);

    // a ?token= URL still works, with a warning
    const q = await runCli(['--connect', `${WS}?token=${viewer}`, 'snapshot', '--json']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toMatch(/warning: a token in the --connect URL is visible/);

    // /metrics: 401 without or with a wrong token, 200 with the viewer's as a Bearer header
    expect((await fetch(s.metrics)).status).toBe(401);
    expect((await fetch(s.metrics, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const m = await fetch(s.metrics, { headers: { authorization: `Bearer ${viewer}` } });
    expect(m.status).toBe(200);
    expect(await m.text()).toMatch(/virtune_guest_cpu_seconds_total\{/);

    // a running client's argv holds no token (token from a file, then from the environment)
    for (const how of [['--token-file', s.tokenFiles.operator], []]) {
      const c = spawn(process.execPath, [CLI, '--connect', WS, ...how, 'watch', '--count', '6', '--json'],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIRTUNE_TOKEN: operator } });
      lab.defer(() => { try { c.kill('SIGKILL'); } catch { /* gone */ } });
      let got = '';
      c.stdout.on('data', (b: Buffer) => { got += b.toString(); });
      const deadline = Date.now() + 20_000;
      while (!got.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(got).toContain('schemaVersion'); // it is connected and running now
      const own = readFileSync(`/proc/${c.pid}/cmdline`, 'utf8');
      expect(own).toContain('watch');
      expect(own).not.toContain(operator);
      for (const line of cliCmdlines()) {
        expect(line).not.toContain(operator);
        expect(line).not.toContain(viewer);
      }
      await new Promise((r) => c.once('exit', r));
    }
  });

  it('refuses a non-loopback bind without TLS (exit 2) and serves wss with --tls-cert/--tls-key', async () => {
    requireCommand('openssl');
    const r = await runCli(['--demo', '1', 'serve', '--http', '0.0.0.0:0'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not loopback: give --tls-cert FILE and --tls-key FILE/);

    const dir = openDir(lab, 'virtune-tls');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-days', '1', '-keyout', key, '-out', cert], { stdio: 'pipe' });
    const d = await startServe(lab, ['--demo', '1', '--interval', '0.5', '--json'], ['--http', '0.0.0.0:0', '--tls-cert', cert, '--tls-key', key], /"serving"/);
    const s = serving(d.out());
    expect(s.websocket).toMatch(/^wss:\/\//);
    const port = /:(\d+)\/$/.exec(s.websocket)![1];
    const c = await runCli(['--connect', `wss://127.0.0.1:${port}/`, '--token-file', s.tokenFiles.viewer, 'snapshot', '--json'],
      { env: { NODE_EXTRA_CA_CERTS: cert } });
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).guests).toHaveLength(1);
    // plain ws to a TLS port does not get in
    const plain = await runCli(['--connect', `ws://127.0.0.1:${port}/`, '--token-file', s.tokenFiles.viewer, 'snapshot']);
    expect(plain.code).not.toBe(0);
  });
});
