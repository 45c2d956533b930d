// Tests of ExecRunner, the real CommandRunner adapter, with real child processes.
import { describe, expect, it } from 'vitest';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { isAlive } from '../helpers/lab.js';

describe('ExecRunner', () => {
  const runner = new ExecRunner();

  it('runs an argv array without a shell', async () => {
    const r = await runner.run(['echo', '$HOME; rm -rf /']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('$HOME; rm -rf /\n');
  });

  it('kills a command that hangs at its timeout, with its children', async () => {
    const started = Date.now();
    const r = await runner.run(['sh', '-c', 'sleep 30 & echo $!; wait'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    expect(r.signal).toBe('SIGKILL');
    expect(r.stderr).toMatch(/killed after 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    const grandchild = Number(r.stdout.trim());
    await new Promise((res) => setTimeout(res, 100));
    expect(isAlive(grandchild)).toBe(false);
  });

  it('cuts output over the cap and reports it', async () => {
    const r = await runner.run(['head', '-c', '100000', '/dev/zero'], { maxOutputBytes: 1000 });
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
  });

  it('reports a missing program instead of throwing', async () => {
    const r = await runner.run(['virtune-no-such-program']);
    expect(r.code).toBeNull();
    expect(r.stderr).toMatch(/ENOENT/);
    expect(runner.has('virtune-no-such-program')).toBe(false);
    expect(runner.has('sh')).toBe(true);
  });

  it('passes input on stdin', async () => {
    const r = await runner.run(['cat'], { input: 'hello' });
    expect(r.stdout).toBe('hello');
  });
});
