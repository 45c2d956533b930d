// Owns starting `virtune serve` as a real daemon process for tests: its own process group (killed by
// the lab even when the test fails), optionally under a given umask, ready when its output matches;
// a demo daemon on a read-write socket in a lab directory, and a guest from its snapshot.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as path from 'node:path';
import { expect } from 'vitest';
import { CLI, runCli } from './cli.js';
import type { Lab } from './lab.js';

export interface ServeProc { child: ChildProcess; out: () => string; err: () => string; pid: number }

/**
 * Start `virtune GLOBALS serve SERVE_ARGS` (own process group, killed by the lab) and wait until it
 * printed `ready` (a regexp on stdout+stderr), or fail with its stderr if it exits first.
 */
export async function startServe(lab: Lab, globals: string[], serveArgs: string[], ready: RegExp, opts: { shellUmask?: string; env?: Record<string, string> } = {}): Promise<ServeProc> {
  const argv = [CLI, ...globals, 'serve', ...serveArgs];
  // a demo daemon's tree goes under the lab's own directory (removed with it), even when the lab
  // SIGKILLs the whole process group and nobody is left to remove it
  const spawnOpts: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, TMPDIR: lab.tmpdir('serve-tmp'), ...opts.env } };
  const child: ChildProcess = opts.shellUmask !== undefined
    ? spawn('sh', ['-c', `umask ${opts.shellUmask}; exec "$0" "$@"`, process.execPath, ...argv], spawnOpts)
    : spawn(process.execPath, argv, spawnOpts);
  const pid = child.pid!;
  lab.defer(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const deadline = Date.now() + 60_000;
  while (!ready.test(out + err)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not start (exit ${child.exitCode}): ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, pid, out: () => out, err: () => err };
}

export const exited = (c: ChildProcess): Promise<number | null> =>
  c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));


/** `serve --demo GUESTS` on a read-write socket in a lab directory; returns the `--connect` arguments. */
export async function serveDemo(lab: Lab, guests: number): Promise<string[]> {
  const sock = path.join(lab.tmpdir('serve-demo'), 'rw.sock');
  await startServe(lab, ['--demo', String(guests)], ['--listen', `unix:${sock}`], /read-write/);
  return ['--connect', `unix:${sock}`];
}

/** The guest NAME of one `snapshot --json` over CONNECT (the CLI must succeed). */
export async function snapshotGuest<G extends { name: string }>(connect: string[], name: string): Promise<G> {
  const r = await runCli([...connect, '--json', 'snapshot']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { guests: G[] }).guests.find((g) => g.name === name)!;
}
