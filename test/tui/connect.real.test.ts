// The terminal UI attached to a real daemon (`virtune serve --demo 4`, a real process on a real unix
// socket) through --connect, in a real terminal (tmux): the daemon is killed underneath (a banner says
// the connection is lost, the TUI keeps running), then restarted on the same socket (the banner goes,
// the numbers move again); q still exits 0.

import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { startServe } from '../helpers/daemon.js';
import { requireCommand, useLab, type Lab } from '../helpers/lab.js';
import { tableRows, Tmux } from './tmux.js';

async function startDaemon(lab: Lab, sock: string, roSock: string | null = null): Promise<ChildProcess> {
  const serveArgs = ['--listen', `unix:${sock}`, ...(roSock ? ['--listen-ro', `unix:${roSock}`] : [])];
  return (await startServe(lab, ['--demo', '4'], serveArgs, /read-write/)).child;
}

const stopped = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));

describe('virtune --connect unix:SOCK (tui) with the daemon killed and restarted', () => {
  const lab = useLab();

  it('shows a banner while the daemon is gone and goes live again when it is back', async () => {
    requireCommand('tmux');
    const dir = lab.tmpdir('virtune-tui-connect');
    const sock = path.join(dir, 'rw.sock');
    let daemon = await startDaemon(lab, sock);
    const t = new Tmux(lab, dir);
    t.start([process.execPath, CLI, '--connect', `unix:${sock}`], 100, 30);
    const live = await t.waitFor('the guest table', (s) => tableRows(s).rows.length === 4, 30_000);
    expect(live).toMatch(new RegExp(`connected to unix:${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(live).not.toMatch(/connection to the engine lost/);

    // kill the daemon underneath (SIGKILL: no goodbye on the socket)
    process.kill(-(daemon.pid as number), 'SIGKILL');
    await stopped(daemon);
    const down = await t.waitFor('the banner', (s) => /connection to the engine lost/.test(s) && /reconnecting/.test(s), 15_000);
    expect(down).toMatch(/STALE|last data/);

    // restart it on the same socket: the TUI reconnects by itself
    daemon = await startDaemon(lab, sock);
    const back = await t.waitFor('live again', (s) => !/connection to the engine lost/.test(s) && tableRows(s).rows.length === 4, 20_000);
    const before = tableRows(back).rows.map((r) => `${r.NAME} ${r['CPU%']}`).join();
    await t.waitFor('numbers moving again', (s) => tableRows(s).rows.length === 4 && tableRows(s).rows.map((r) => `${r.NAME} ${r['CPU%']}`).join() !== before, 10_000);

    t.keys('q');
    await t.waitFor('the exit', (s) => /VIRTUNE-EXITED/.test(s), 15_000);
    expect(t.exitCode()).toBe(0);
    expect(t.modes().alternate).toBe(false);
    process.kill(daemon.pid as number, 'SIGTERM');
    await stopped(daemon);
  });
});

describe('virtune --connect to the read-only socket (tui)', () => {
  const lab = useLab();

  it('shows the READ-ONLY badge and the tuning panel says why it is unavailable', async () => {
    requireCommand('tmux');
    const dir = lab.tmpdir('virtune-tui-ro');
    const ro = path.join(dir, 'ro.sock');
    const daemon = await startDaemon(lab, path.join(dir, 'rw.sock'), ro);
    const t = new Tmux(lab, dir);
    t.start([process.execPath, CLI, '--connect', `unix:${ro}`], 80, 24);
    const live = await t.waitFor('the guest table', (s) => tableRows(s).rows.length === 4, 30_000);
    expect(live).toMatch(/READ-ONLY/);
    t.keys('t');
    await t.waitFor('the read-only explanation', (s) => /tuning is unavailable: this engine is read-only/.test(s));
    t.keys('Enter'); // no editor opens on a read-only engine
    t.type('50%');
    await new Promise((r) => setTimeout(r, 500));
    expect(t.screen()).not.toMatch(/--cpu-quota \(e\.g\./);
    t.keys('Escape');
    t.keys('q');
    await t.waitFor('the exit', (s) => /VIRTUNE-EXITED/.test(s), 15_000);
    expect(t.exitCode()).toBe(0);
    process.kill(daemon.pid as number, 'SIGTERM');
    await stopped(daemon);
  });
});
