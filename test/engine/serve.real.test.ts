// Real daemon process tests: `virtune serve --demo 4` on temporary socket paths; the CLI connects over
// the read-only socket (watch prints snapshots; tune is refused, exit 4) and the read-write socket
// (tune and undo succeed); SO_PEERCRED uid/pid reach the audit log; malformed, oversized and
// never-reading clients are sent; SIGKILL leaves stale sockets that a restart replaces; a live daemon's
// sockets are not stolen; SIGTERM removes the socket files.

import { existsSync, statSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectUnix } from '../../src/engine/node/unix-socket.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { runCli } from '../helpers/cli.js';
import { exited, startServe, type ServeProc } from '../helpers/daemon.js';
import { isAlive, useLab, type Lab } from '../helpers/lab.js';

type Daemon = ServeProc;

function startDaemon(lab: Lab, dir: string, extraEnv: Record<string, string> = {}): Promise<Daemon> {
  return startServe(lab, ['--demo', '4', '--interval', '0.2'],
    ['--listen', `unix:${path.join(dir, 'rw.sock')}`, '--listen-ro', `unix:${path.join(dir, 'ro.sock')}`],
    /read-only/, { env: { TMPDIR: dir, ...extraEnv } });
}

/** raw newline-JSON client */
async function rawClient(sock: string): Promise<{ s: net.Socket; lines: () => any[] }> {
  const s = net.createConnection({ path: sock });
  await new Promise((r, j) => { s.once('connect', r); s.once('error', j); });
  let buf = '';
  s.on('data', (d) => { buf += d.toString(); });
  return { s, lines: () => buf.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('virtune serve (real daemon process, demo host)', () => {
  const lab = useLab();

  it('serves read-only and read-write sockets to the CLI, records the peer, survives bad clients, restarts after SIGKILL', async () => {
    const dir = lab.tmpdir('virtune-serve');
    const rw = path.join(dir, 'rw.sock');
    const ro = path.join(dir, 'ro.sock');
    const d1 = await startDaemon(lab, dir, { VIRTUNE_SERVE_MAX_BACKLOG: String(1024 * 1024) });
    expect(statSync(rw).mode & 0o777).toBe(0o600);
    expect(statSync(ro).mode & 0o777).toBe(0o666);
    expect(statSync(rw).uid).toBe(process.getuid!());

    // read-only socket: three snapshots
    const w = await runCli(['watch', '--count', '3', '--json', '--connect', `unix:${ro}`]);
    expect(w.code, w.stderr).toBe(0);
    const snaps = w.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(snaps).toHaveLength(3);
    for (const s of snaps) {
      expect(s.schemaVersion).toBe(1);
      expect(s.demo).toBe(true);
      expect(s.guests).toHaveLength(4);
      expect(s.intervalSec).not.toBeNull();
    }
    const guest = snaps[2].guests[0].id as string;

    // a tune over the read-only socket is refused with exit 4
    const refused = await runCli(['tune', guest, '--cpu-weight', '200', '--yes', '--connect', `unix:${ro}`]);
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toMatch(/read-only/);

    // malformed and oversized messages get error replies; the connection keeps working
    const c = await rawClient(ro);
    c.s.write('this is not json\n');
    c.s.write('{"v":1,"kind":"req","id":1,"method":"format-disk"}\n');
    c.s.write('x'.repeat(2 * 1024 * 1024) + '\n');
    c.s.write('{"v":1,"kind":"req","id":2,"method":"status"}\n');
    await until(() => c.lines().length >= 4);
    const [l0, l1, l2, l3] = c.lines();
    expect(l0).toMatchObject({ ok: false, error: { code: 2 } });
    expect(l1).toMatchObject({ id: 1, ok: false, error: { code: 2, message: expect.stringMatching(/unknown method/) } });
    expect(l2).toMatchObject({ ok: false, error: { code: 2, message: expect.stringMatching(/too large/) } });
    expect(l3).toMatchObject({ id: 2, ok: true, result: { demo: true } });
    c.s.destroy();

    // a client that asks for a lot and never reads is dropped once its backlog passes the cap
    const lazy = await rawClient(ro);
    lazy.s.pause();
    let lazyClosed = false;
    lazy.s.on('close', () => { lazyClosed = true; });
    const many = Array.from({ length: 3000 }, (_, i) => `{"v":1,"kind":"req","id":${i},"method":"latest"}`).join('\n') + '\n';
    lazy.s.write(many);
    await new Promise((r) => setTimeout(r, 1500));
    lazy.s.resume();
    await until(() => lazyClosed);
    expect(lazy.lines().length).toBeLessThan(3000);
    // ... and the daemon still serves everyone else
    const after = await runCli(['snapshot', '--json', '--connect', `unix:${ro}`]);
    expect(after.code, after.stderr).toBe(0);
    expect(isAlive(d1.child.pid!)).toBe(true);

    // a second daemon on the same live paths is refused, exit 1, and steals nothing
    const d2 = await runCli(['--demo', '1', 'serve', '--listen', `unix:${rw}`, '--listen-ro', `unix:${ro}`]);
    expect(d2.code).toBe(1);
    expect(d2.stderr).toMatch(/already listening/);
    expect((await runCli(['snapshot', '--json', '--connect', `unix:${rw}`])).code).toBe(0);

    // SIGKILL leaves stale socket files; a restart on the same paths replaces them
    process.kill(-d1.child.pid!, 'SIGKILL');
    await exited(d1.child);
    expect(existsSync(rw)).toBe(true);
    expect(existsSync(ro)).toBe(true);
    const d3 = await startDaemon(lab, dir);
    const again = await runCli(['watch', '--count', '1', '--json', '--connect', `unix:${ro}`]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).guests).toHaveLength(4);

    // read-write socket (of the restarted daemon): tune and undo succeed
    const tuned = await runCli(['--json', 'tune', guest, '--cpu-weight', '200', '--yes', '--connect', `unix:${rw}`]);
    expect(tuned.code, tuned.stderr).toBe(0);
    const plan = JSON.parse(tuned.stdout.trim().split('\n').pop()!);
    expect(plan).toMatchObject({ applied: true });
    expect(typeof plan.changeId).toBe('string');
    const undone = await runCli(['undo', plan.changeId, '--connect', `unix:${rw}`]);
    expect(undone.code, undone.stderr).toBe(0);

    // the kernel's peer credentials of this test process reach the audit log (SO_PEERCRED)
    const api = connectEngine(await connectUnix(rw));
    const applied = await api.applyTuning({ guest, changes: [{ kind: 'cpuWeight', value: 300, flag: 'cpu-weight' }] });
    const audit = await api.auditLog(50);
    const mine = audit.filter((a) => a.changeId === applied.changeId && a.action === 'apply');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0]).toMatchObject({ uid: process.getuid!(), peerPid: process.pid });
    await api.undo(applied.changeId);
    await api.close();

    // SIGTERM: clean shutdown, socket files removed
    process.kill(d3.child.pid!, 'SIGTERM');
    expect(await exited(d3.child)).toBe(0);
    expect(existsSync(rw)).toBe(false);
    expect(existsSync(ro)).toBe(false);
  });

  it('refuses a --connect to a socket nobody serves with exit 1 and a clear message', async () => {
    const dir = lab.tmpdir('virtune-noserve');
    const r = await runCli(['snapshot', '--connect', `unix:${path.join(dir, 'none.sock')}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to unix:/);
  });
});
