// Owns ExecRunner, the Node adapter of the CommandRunner port: spawns an argv array (no shell) in its
// own process group, kills the whole group at the timeout, and caps captured output per stream.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import type { CommandRunner, RunOptions, RunResult } from '../ports/command-runner.js';

export class ExecRunner implements CommandRunner {
  /** PATH look-ups, remembered for a while: callers ask every tick (is virsh / tc here?) */
  private readonly found = new Map<string, { at: number; yes: boolean }>();

  has(program: string): boolean {
    const hit = this.found.get(program);
    if (hit && Date.now() - hit.at < 30_000) return hit.yes;
    const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':');
    const yes = program.includes('/') ? canExec(program) : dirs.some((d) => d !== '' && canExec(path.join(d, program)));
    this.found.set(program, { at: Date.now(), yes });
    return yes;
  }

  run(argvIn: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argvIn] : [...argvIn];
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const cap = opts.maxOutputBytes ?? 1024 * 1024;
    const started = Date.now();
    return new Promise((resolve) => {
      const [file, ...args] = argv;
      if (!file) {
        resolve({ argv, code: null, signal: null, stdout: '', stderr: 'empty argv', timedOut: false, truncated: false, durationMs: 0 });
        return;
      }
      const child = spawn(file, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout kills grandchildren too
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outLen = 0;
      let errLen = 0;
      let truncated = false;
      let timedOut = false;
      let spawnError: string | null = null;
      const take = (chunks: Buffer[], len: number, chunk: Buffer): number => {
        if (len >= cap) { truncated = true; return len; }
        const room = cap - len;
        if (chunk.length > room) { truncated = true; chunks.push(chunk.subarray(0, room)); return cap; }
        chunks.push(chunk);
        return len + chunk.length;
      };
      child.stdout.on('data', (c: Buffer) => { outLen = take(out, outLen, c); });
      child.stderr.on('data', (c: Buffer) => { errLen = take(err, errLen, c); });
      child.stdin.on('error', () => { /* child exited before reading */ });
      if (opts.input !== undefined) child.stdin.end(opts.input); else child.stdin.end();
      const timer = setTimeout(() => {
        timedOut = true;
        try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch { /* gone */ } }
      }, timeoutMs);
      child.on('error', (e) => { spawnError = e.message; });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        let stderr = Buffer.concat(err).toString('utf8');
        if (spawnError) stderr = stderr ? `${stderr}\n${spawnError}` : spawnError;
        if (timedOut) stderr = `${stderr}${stderr ? '\n' : ''}killed after ${timeoutMs} ms timeout`;
        resolve({
          argv, code: spawnError ? null : code, signal: signal ?? null,
          stdout: Buffer.concat(out).toString('utf8'), stderr,
          timedOut, truncated, durationMs: Date.now() - started,
        });
      });
    });
  }
}

function canExec(p: string): boolean {
  try { accessSync(p, constants.X_OK); return true; } catch { return false; }
}
