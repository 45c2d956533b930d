// Owns running the demo simulator in a child process of its own (worker.ts): start it, learn its tree
// and guests, stop it, and remove its tree on every exit path of ours — stop(), a normal exit, a
// signal (cleanup.ts), the child dying on its own. If we die without a word (SIGKILL), the child sees
// its IPC channel close and removes the tree itself. The engine that reads the tree and talks to the
// QMP servers stays free of the simulator's work, so a large demo samples as fast as a real host would.

import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trackDir, untrackDir } from './cleanup.js';
import type { DemoGuestInfo } from './host.js';

export interface DemoProcessOptions {
  guests: number;
  seed?: number;
  stepMs?: number;
  qmp?: boolean;
  /** parent directory of the tree (default: see startDemoHost) */
  dir?: string;
}

export interface DemoProcessHost {
  root: string;
  guests: DemoGuestInfo[];
  /** the simulator's pid */
  pid: number;
  stop(): Promise<void>;
}

type WorkerMsg = { type: 'ready'; root: string; guests: DemoGuestInfo[] } | { type: 'error'; message: string };

/** dist/demo/worker.js next to this module; from the TypeScript sources (tests), the built one. */
function workerScript(): string {
  const here = new URL('./worker.js', import.meta.url);
  if (fs.existsSync(fileURLToPath(here))) return fileURLToPath(here);
  return fileURLToPath(new URL('../../dist/demo/worker.js', import.meta.url));
}

export function startDemoProcess(opts: DemoProcessOptions): Promise<DemoProcessHost> {
  const args = ['--guests', String(opts.guests), '--seed', String(opts.seed ?? 1), '--step-ms', String(opts.stepMs ?? 250)];
  if (opts.qmp === false) args.push('--no-qmp');
  if (opts.dir !== undefined) args.push('--dir', opts.dir);
  const child: ChildProcess = fork(workerScript(), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
  return new Promise((resolve, reject) => {
    const early = (code: number | null, sig: string | null): void => reject(new Error(`the demo simulator exited (${sig ?? code ?? '?'}) before it was ready`));
    child.once('exit', early);
    child.once('message', (m: WorkerMsg) => {
      child.off('exit', early);
      if (m.type !== 'ready') {
        child.kill('SIGKILL');
        reject(new RangeError(m.type === 'error' ? m.message : 'the demo simulator answered unexpectedly'));
        return;
      }
      const root = m.root;
      trackDir(root);
      // on our way out (exit hooks run in order: this one before the tree's removal), stop the simulator first
      const killOnExit = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
      process.prependListener('exit', killOnExit);
      let stopped = false;
      const removeTree = (): void => {
        try { fs.rmSync(root, { recursive: true, force: true }); } catch { /* best effort */ }
        untrackDir(root);
        process.off('exit', killOnExit);
      };
      child.once('exit', (code, sig) => {
        if (stopped) return;
        process.stderr.write(`virtune: the demo simulator (pid ${child.pid ?? '?'}) exited unexpectedly (${sig ?? code ?? '?'})\n`);
        removeTree();
      });
      // the simulator must not keep us alive, nor we it
      child.unref();
      (child as unknown as { channel?: { unref(): void } }).channel?.unref();
      resolve({
        root, guests: m.guests, pid: child.pid ?? -1,
        async stop(): Promise<void> {
          if (stopped) return;
          stopped = true;
          if (child.exitCode === null && child.signalCode === null) {
            // hold the loop open until the simulator is gone (it exits at once when asked)
            child.ref();
            const gone = new Promise<void>((r) => child.once('exit', () => r()));
            try { child.send({ type: 'stop' }); } catch { child.kill('SIGKILL'); }
            const t = setTimeout(() => child.kill('SIGKILL'), 5000);
            await gone;
            clearTimeout(t);
          }
          removeTree();
        },
      });
    });
  });
}
