// The demo under a small open-file limit: the simulator and the engine hold a QMP socket and a
// connection per guest, so a hard limit of 1024 (`ulimit -n 1024`) fits 384 guests. Asking for more is
// refused with one line and exit 2 before anything starts; asking for what fits runs every guest with
// QMP (the simulator keeps fewer file descriptors instead of dying of EMFILE). The CLI runs as a real
// process under the limit (bash's `ulimit -n` sets the soft and the hard limit).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';
import { demoGuestsThatFit } from '../../src/cli/demo-composition.js';
import { keptFdBudget, MAX_FDS } from '../../src/demo/writer.js';
import { parseOpenFileLimits } from '../../src/engine/model/open-files.js';

const lab = useLab();

/** The CLI under bash's `ulimit -n` (soft and hard), its demo tree under `tmp`. */
const underLimit = (limit: number, args: string[], tmp: string): Promise<CliResult> =>
  runCli(args, { via: `ulimit -n ${limit} && exec "$0" "$@"`, env: { TMPDIR: tmp }, timeoutMs: 90_000 });

describe('parseOpenFileLimits', () => {
  it('reads the soft and hard limits of the "Max open files" line, unlimited as null', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             95508                95508                processes ',
      'Max open files            1024                 524288               files     ',
      'Max locked memory         8388608              8388608              bytes     ',
    ].join('\n');
    expect(parseOpenFileLimits(text)).toEqual({ soft: 1024, hard: 524288 });
    expect(parseOpenFileLimits('Max open files            unlimited            unlimited            files')).toEqual({ soft: null, hard: null });
    expect(parseOpenFileLimits('Max processes 1 1 processes')).toBeNull();
  });
});

describe('descriptor budgets of the demo', () => {
  it('keeps a socket and a connection per QMP guest free under the limit, never more than MAX_FDS', () => {
    expect(keptFdBudget(384, true, 1024)).toBe(1024 - 768 - 128);
    expect(keptFdBudget(384, false, 1024)).toBe(1024 - 128);
    expect(keptFdBudget(1000, true, 1024)).toBe(0);
    expect(keptFdBudget(10, true, 1_000_000)).toBe(MAX_FDS);
    expect(keptFdBudget(10, true, null)).toBe(MAX_FDS);
    expect(demoGuestsThatFit(1024)).toBe(384);
    expect(demoGuestsThatFit(null)).toBeNull();
  });
});

describe('--demo N under a hard open-file limit of 1024 (real processes)', () => {
  it('more guests than fit: one line, exit 2, the JSON error, and no simulator started', async () => {
    const tmp = lab.tmpdir('vt-fd');
    const r = await underLimit(1024, ['--demo', '1000', 'snapshot', '--json'], tmp);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('--demo 1000');
    expect(lines[0]).toContain('at most 384 guests');
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 2, message: expect.stringContaining('ulimit -Hn') } });
    expect(readdirSync(tmp)).toEqual([]); // no demo tree was laid out
  }, 60_000);

  it('as many guests as fit: every guest is read, QMP included, with no error', async () => {
    const tmp = lab.tmpdir('vt-fd');
    // a generous QMP budget: this test is about descriptors; 384 simulated monitors answering the
    // engine in the same process can take longer than the default 500 ms on a loaded 2-core machine
    const r = await underLimit(1024, ['--demo', '384', '--qmp-timeout', '10000', 'snapshot', '--json'], tmp);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('EMFILE');
    const snap = JSON.parse(r.stdout) as { guests: Array<{ disks: unknown[] }>; errors: unknown[] };
    expect(snap.guests).toHaveLength(384);
    expect(snap.errors).toEqual([]);
    // the virtual disks come from QMP: every guest has its disks
    expect(snap.guests.every((g) => g.disks.length > 0)).toBe(true);
    expect(readdirSync(tmp)).toEqual([]); // the demo tree is removed on exit
  }, 120_000);
});
