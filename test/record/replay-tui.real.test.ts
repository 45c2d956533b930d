// `virtune replay FILE` in the terminal UI (real tmux terminal, a recording made by a real
// `serve --demo --record` with a real tuning change): the REPLAY badge and the recorded guests show,
// `p` pauses (the table stops moving) and resumes, `R` opens the timeline with the recorded events,
// `0` rewinds and `e` jumps past the next event, tuning is refused (READ-ONLY), `q` exits 0; a recording
// with a downsampled stretch shows `REPLAY per-minute` and the stretch on the timeline until seeked past.

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRecording } from '../../src/engine/node/sqlite-recording.js';
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

  it('marks a downsampled stretch "per-minute" in the header and the timeline, and leaves it when seeking past it', async () => {
    requireCommand('tmux');
    const dir = lab.tmpdir('replay-tui-ds');
    const file = path.join(dir, 'ds.vtr');
    // start 2-3 s before a minute turns: of the 10 s, the first ~6 s are downsampled and then hold two
    // per-minute samples (the TUI shows a snapshot once it has two samples to derive rates from); a
    // slow start on a busy machine can miss the minute, so that recording is made again
    let kept = 0;
    for (let attempt = 0; attempt < 3 && kept < 2; attempt++) {
      rmSync(file, { force: true });
      while (new Date().getUTCSeconds() < 57 || new Date().getUTCSeconds() > 58) await sleep(200);
      const rec = await runCli(['--demo', '4', 'record', '-o', file, '--duration', '10', '--commit', '1', '--full', '4'], { env: { TMPDIR: dir }, timeoutMs: 60_000 });
      expect(rec.code, rec.stderr).toBe(0);
      const r = openRecording(file);
      kept = r.blocks().filter((b) => b.stepSec === 60).reduce((n, b) => n + b.samples, 0);
      r.close();
    }
    expect(kept).toBeGreaterThanOrEqual(2);
    const t = new Tmux(lab, dir);
    // at 0.1x a per-minute snapshot stays 10 s on screen
    t.start([process.execPath, CLI, 'replay', file, '--speed', '0.1'], 120, 40);
    await t.waitFor('the per-minute badge', (s) => tableRows(s).rows.length === 4 && /REPLAY per-minute/.test(s), 45_000);
    t.keys('R');
    const panel = await t.waitFor('the downsampled stretch on the timeline', (s) => /downsampled until \d\d:\d\d:\d\d: one snapshot per minute/.test(s));
    expect(panel).toMatch(/\[=+[-*|=]*\]/);
    t.keys('Escape');
    t.keys(']'); // forward 1 min: past the stretch, into full resolution
    await t.waitFor('full resolution again', (s) => /REPLAY/.test(s) && !/REPLAY per-minute/.test(s) && tableRows(s).rows.length === 4);
    t.keys('q');
    await t.waitFor('the program to exit', (s) => /VIRTUNE-EXITED/.test(s));
    expect(t.exitCode()).toBe(0);
  });
});
