// A big snapshot through a pipe whose reader is slow arrives whole: the built CLI (a real process)
// writes a 60-guest demo snapshot (about 200 KB, three times what a pipe holds) into a pipe nobody reads
// for 3 s; the program must not exit with part of the JSON still in its buffer.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

/** The CLI's stdout goes into a pipe whose reader (bash: `sleep`, then `cat`) reads nothing for `pauseSec`. */
function slowReader(args: string[], pauseSec: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const script = `"$0" "$@" | (sleep ${pauseSec}; cat); exit \${PIPESTATUS[0]}`;
    const child = spawn('bash', ['-c', script, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`virtune ${args.join(' ')} timed out\n${stderr}`)); }, 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

describe('stdout through a slow pipe (real process)', () => {
  it('snapshot --json of 60 demo guests arrives as one whole JSON line', async () => {
    const r = await slowReader(['--demo', '60', 'snapshot', '--json'], 3);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(128 * 1024); // more than the 64 KiB a pipe holds: the writes had to wait
    expect(r.stdout.endsWith('}\n')).toBe(true);
    const snap = JSON.parse(r.stdout) as { guests: unknown[] };
    expect(snap.guests).toHaveLength(60);
  }, 90_000);
});
