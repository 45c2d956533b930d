// `virtune tui` refuses what it cannot do, with one line and exit 2: no terminal (a pipe), --json.

import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('virtune tui without a terminal', () => {
  it('exits 2 with one line naming what to use instead', async () => {
    const r = await runCli(['--demo', '1', 'tui']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs a terminal.*watch.*snapshot/);
    expect(r.stdout).toBe('');
  });
  it('--json does not apply to it', async () => {
    const r = await runCli(['--demo', '1', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--json does not apply to the terminal UI/);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 2, message: expect.stringMatching(/--json/) } });
  });
});
