// A big snapshot through a pipe whose reader is slow arrives whole: the built CLI (a real process)
// writes a 60-guest demo snapshot (about 200 KB, three times what a pipe holds) into a pipe nobody reads
// for 3 s; the program must not exit with part of the JSON still in its buffer.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** The CLI's stdout goes into a pipe whose reader (bash: `sleep`, then `cat`) reads nothing for `pauseSec`. */
const slowReader = (pauseSec: number): string => `"$0" "$@" | (sleep ${pauseSec}; cat); exit \${PIPESTATUS[0]}`;

describe('stdout through a slow pipe (real process)', () => {
  it('snapshot --json of 60 demo guests arrives as one whole JSON line', async () => {
    const r = await runCli(['--demo', '60', 'snapshot', '--json'], { via: slowReader(3), timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(128 * 1024); // more than the 64 KiB a pipe holds: the writes had to wait
    expect(r.stdout.endsWith('}\n')).toBe(true);
    const snap = JSON.parse(r.stdout) as { guests: unknown[] };
    expect(snap.guests).toHaveLength(60);
  }, 90_000);
});
