// Owns NodeProcessStarter, the Node adapter of the ProcessStarter port: spawns an argv array (no shell)
// in its own process group with piped stdio, delivers stdout/stderr as UTF-8 chunks and reports the
// exit once; kill() ends the whole group.

import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { LongProcess, ProcessStarter } from '../ports/process.js';

export class NodeProcessStarter implements ProcessStarter {
  start(argv: readonly string[], opts: { env?: Record<string, string> } = {}): LongProcess {
    const [file, ...args] = argv;
    if (!file) throw new Error('empty argv');
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
    const outDec = new StringDecoder('utf8');
    const errDec = new StringDecoder('utf8');
    const outCbs: Array<(s: string) => void> = [];
    const errCbs: Array<(s: string) => void> = [];
    const exitCbs: Array<(c: number | null, s: string | null) => void> = [];
    let exited: [number | null, string | null] | null = null;
    const finish = (code: number | null, signal: string | null): void => {
      if (exited) return;
      exited = [code, signal];
      for (const cb of exitCbs) cb(code, signal);
    };
    child.stdout.on('data', (c: Buffer) => { const s = outDec.write(c); if (s) for (const cb of outCbs) cb(s); });
    child.stderr.on('data', (c: Buffer) => { const s = errDec.write(c); if (s) for (const cb of errCbs) cb(s); });
    child.stdin.on('error', () => { /* the child is gone; 'exit' reports it */ });
    child.on('error', () => finish(null, null));
    child.on('exit', (code, signal) => finish(code, signal));
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return {
      pid: child.pid ?? null,
      write: (text: string) => { if (!exited && child.stdin.writable) child.stdin.write(text); },
      onStdout: (cb) => { outCbs.push(cb); },
      onStderr: (cb) => { errCbs.push(cb); },
      onExit: (cb) => { if (exited) cb(exited[0], exited[1]); else exitCbs.push(cb); },
      kill: () => {
        if (exited || child.pid === undefined) return;
        try { process.kill(-child.pid, 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch { /* gone */ } }
      },
    };
  }
}
