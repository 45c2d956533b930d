// `virtune replay FILE` in the terminal UI (real tmux terminal, a recording made by a real
// `serve --demo --record` with a real tuning change): the REPLAY badge and the recorded guests show,
// `p` pauses (the table stops moving) and resumes, `R` opens the timeline with the recorded events,
// `0` rewinds and `e` jumps past the next event, tuning is refused (READ-ONLY), `q` exits 0.

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { requireCommand, useLab, type Lab } from '../helpers/lab.js';
import { tableRows, Tmux } from '../tui/tmux.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function recordWithChange(lab: Lab, dir: string): Promise<string> {
  const file = path.join(dir, 'tui.vtr');
  const rw = path.join(dir, 'rw.sock');
  const child: ChildProcess = spawn(process.execPath, [CLI, '--demo', '4', '--interval', '0.5', 'serve', '--listen', `unix:${rw}`, '--record', file], {
    stdio: ['ignore', 'pipe', 'ignore'], detached: true, env: { ...process.env, TMPDIR: dir },
  });
  const pid = child.pid as number;
  lab.defer(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const end = Date.now() + 30_000;
  while (!out.includes('read-write')) {
    if (Date.now() > end || child.exitCode !== null) throw new Error('serve --record did not start');
    await sleep(50);
  }
  await sleep(5000);
  const tune = await runCli(['--connect', `unix:${rw}`, 'tune', 'web-01', '--cpu-quota', '50%', '--yes']);
  expect(tune.code, tune.stderr).toBe(0);
  await sleep(5000);
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  return file;
}

const rowsKey = (s: string): string => tableRows(s).rows.map((r) => `${r.NAME} ${r['CPU%']}`).join('|');

describe('virtune replay FILE in the terminal UI (real tmux)', () => {
  const lab = useLab();

  it('shows REPLAY, pauses and plays, shows the timeline, jumps to the tuning event and quits', async () => {
    requireCommand('tmux');
    const dir = lab.tmpdir('replay-tui');
    const file = await recordWithChange(lab, dir);
    const t = new Tmux(lab, dir);
    t.start([process.execPath, CLI, 'replay', file], 120, 40);
    const first = await t.waitFor('the replayed guest table', (s) => tableRows(s).rows.length === 4 && /REPLAY/.test(s), 30_000);
    expect(first).toMatch(/READ-ONLY/);
    expect(tableRows(first).rows.map((r) => r.NAME).sort()).toEqual(['batch-02', 'db-04', 'idle-03', 'web-01']);
    await t.waitFor('replayed numbers to move', (s) => tableRows(s).rows.length === 4 && rowsKey(s) !== rowsKey(first));

    t.keys('p');
    await t.waitFor('paused', (s) => /REPLAY \d\d:\d\d:\d\d .* paused/.test(s));
    await sleep(1500); // the screen is drawn once a second: let it show the last replayed sample
    const frozen = rowsKey(t.screen());
    await sleep(2500);
    expect(rowsKey(t.screen())).toBe(frozen);

    t.keys('R');
    const panel = await t.waitFor('the replay timeline', (s) => /\[[-*|]+\]/.test(s) && /recorded event/.test(s));
    expect(panel).toMatch(/cpu\.(max|cfs_quota_us)/);

    t.keys('0');
    await t.waitFor('rewound', (s) => /REPLAY \d\d:\d\d:\d\d \(0m00s of/.test(s));
    // events still ahead of the position are marked `>` in the panel
    const ahead = (s: string): number => s.split('\n').filter((l) => /> \d\d:\d\d:\d\d (apply|applied) /.test(l)).length;
    const before = ahead(await t.waitFor('events ahead after the rewind', (s) => ahead(s) > 0));
    expect(before).toBeGreaterThan(0);
    t.keys('e');
    await t.waitFor('past the first event', (s) => ahead(s) < before);

    t.keys('Escape');
    t.keys('p');
    await t.waitFor('playing again', (s) => /REPLAY \d\d:\d\d:\d\d .* playing/.test(s));

    t.keys('q');
    await t.waitFor('the program to exit', (s) => /VIRTUNE-EXITED/.test(s));
    expect(t.exitCode()).toBe(0);
  });
});
