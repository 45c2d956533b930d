// Bad input to record / replay / report: one line, exit 2, nothing created (real CLI, no host needed).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('record / replay / report usage errors', () => {
  it('answer exit 2 with one line naming the input, and create no file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-rec-usage-'));
    dirs.push(dir);
    const out = path.join(dir, 'x.vtr');
    const cases: Array<[string[], RegExp]> = [
      [['--demo', 'record', '-o', out, '--duration', 'soon'], /--duration: 'soon' is not a number of seconds/],
      [['--demo', 'record', '-o', out, '--commit', '0'], /--commit: '0'/],
      [['--connect', 'unix:/nonexistent.sock', 'record', '-o', out], /--connect is not supported/],
      [['record'], /required option '-o, --output <FILE>'/],
      [['report', out, '--fit', '4x8192'], /--fit: '4x8192' is not VCPUS:MIB/],
      [['replay', out, '--speed', 'fast'], /--speed: 'fast'/],
      [['replay', out, '--count', '0'], /--count: '0'/],
    ];
    for (const [args, why] of cases) {
      const r = await runCli(args, { env: { TMPDIR: dir } });
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(why);
    }
    expect(existsSync(out)).toBe(false);
  });
});
