// Real daemon process: `virtune why --connect unix:RO.sock` answers at once from the history the
// daemon (`serve --demo`) already has, over the read-only socket; an unknown guest exits 3 with one
// line and the contract's JSON error; a bad --window exits 2 before anything runs.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/engine/model/diagnosis.js';
import { CLI, runCli } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';

describe('virtune why attached to a daemon (real processes, demo host)', () => {
  const lab = useLab();

  it('uses the daemon history: a verdict at once, over the read-only socket', async () => {
    const dir = lab.tmpdir('why-serve');
    const ro = path.join(dir, 'ro.sock');
    lab.spawn([process.execPath, CLI, '--demo', '8', '--interval', '0.5', 'serve', '--listen', `unix:${path.join(dir, 'rw.sock')}`, '--listen-ro', `unix:${ro}`]);
    const deadline = Date.now() + 20_000;
    while (!existsSync(ro)) {
      if (Date.now() > deadline) throw new Error('the daemon did not create its socket');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 4000)); // four seconds of history
    const r = await runCli(['--connect', `unix:${ro}`, 'why', 'proxy-05', '--window', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('sampling'); // answered from history, no sampling of its own
    const d = JSON.parse(r.stdout) as Diagnosis;
    expect(d).toMatchObject({ guest: 'libvirt:proxy-05', windowSec: 3, verdict: 'cpu-quota' });
    expect(d.samples).toBeGreaterThanOrEqual(6); // the daemon's 0.5 s samples (an own engine would take 1 s ones)

    const missing = await runCli(['--connect', `unix:${ro}`, 'why', 'nope', '--json']);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 3, message: expect.stringContaining("no guest 'nope'") } });
  });

  it('a bad --window is exit 2 with one line, before any engine starts', async () => {
    const r = await runCli(['--demo', 'why', 'web-01', '--window', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("virtune: --window: 'soon' is not a number of seconds from 0 (exclusive) to 86400");
  });
});
