// `virtune serve --record` (real daemon process, demo host): a tuning change made over the read-write
// socket is recorded as an event and the report shows the guest's CPU before and after it over equal
// windows; `serve --replay` serves the recording read-only with working replay controls (next event
// lands on the change) and refuses tuning with code 4.

import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityReport } from '../../src/engine/model/report.js';
import { connectUnix } from '../../src/engine/node/unix-socket.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { runCli } from '../helpers/cli.js';
import { exited, startServe } from '../helpers/daemon.js';
import { useLab, type Lab } from '../helpers/lab.js';

/** `virtune ARGS` (ARGS holds `serve`) as a daemon whose demo tree lives in `dir`; ready at its first `read-write` line */
async function serve(lab: Lab, dir: string, args: string[], ready: string): Promise<ChildProcess> {
  const i = args.indexOf('serve');
  return (await startServe(lab, args.slice(0, i), args.slice(i + 1), new RegExp(ready), { env: { TMPDIR: dir } })).child;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('serve --record and serve --replay (real daemon, demo host)', () => {
  const lab = useLab();

  it('records a tuning change with before/after percentiles, and replays it read-only with controls', async () => {
    const dir = lab.tmpdir('serve-rec');
    const file = path.join(dir, 'served.vtr');
    const rw = path.join(dir, 'rw.sock');
    const d = await serve(lab, dir, ['--demo', '4', '--interval', '0.5', 'serve', '--listen', `unix:${rw}`, '--record', file], 'read-write');
    await sleep(6000);
    const tune = await runCli(['--connect', `unix:${rw}`, '--json', 'tune', 'web-01', '--cpu-quota', '50%', '--yes']);
    expect(tune.code, tune.stderr).toBe(0);
    const changeId = (JSON.parse(tune.stdout) as { changeId: string }).changeId;
    await sleep(6000);
    d.kill('SIGTERM');
    expect(await exited(d)).toBe(0);

    const r = await runCli(['report', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as CapacityReport;
    const change = report.changes.find((c) => c.changeId === changeId);
    expect(change).toBeDefined();
    expect(change!.guest).toMatch(/web-01$/);
    expect(change!.windowSec).toBeGreaterThan(3);
    // the demo's web-01 runs well above one CPU; a 50 % quota holds it near half a CPU
    expect(change!.before.cpuPct!.p50).toBeGreaterThan(100);
    expect(change!.after.cpuPct!.p50).toBeLessThan(70);
    expect(report.events.some((e) => e.kind === 'audit' && e.summary.startsWith('apply ok'))).toBe(true);

    const ro = path.join(dir, 'replay.sock');
    const rp = await serve(lab, dir, ['serve', '--replay', file, '--listen', `unix:${ro}`], 'read-write');
    const api = connectEngine(await connectUnix(ro));
    try {
      const st = await api.status();
      expect(st.replay).toMatchObject({ file, playing: true });
      expect(st.replay!.events.some((e) => e.kind === 'change' && e.summary.includes(changeId))).toBe(true);
      await api.replayControl({ action: 'pause' });
      const at = await api.replayControl({ action: 'seek', wallMs: 0 });
      expect(at.index).toBe(0);
      const ev = await api.replayControl({ action: 'nextEvent' });
      const changeAt = ev.events.find((e) => e.kind === 'change')!.wallMs;
      expect(ev.positionWallMs).toBeGreaterThanOrEqual(changeAt);
      expect(ev.positionWallMs - changeAt).toBeLessThan(1500);
      const latest = await api.latest();
      expect(Date.parse(latest!.timestamp)).toBe(ev.positionWallMs);
      await expect(api.applyTuning({ guest: 'web-01', changes: [{ kind: 'cpuQuota', quota: { kind: 'max' } }] }))
        .rejects.toMatchObject({ exitCode: 4, message: expect.stringContaining('replay is read-only') });
    } finally {
      await api.close();
    }
    const cli = await runCli(['--connect', `unix:${ro}`, 'tune', 'web-01', '--cpu-quota', 'max', '--yes']);
    expect(cli.code).toBe(4);
    expect(cli.stderr).toMatch(/replay is read-only/);
    rp.kill('SIGTERM');
    expect(await exited(rp)).toBe(0);
  });
});
