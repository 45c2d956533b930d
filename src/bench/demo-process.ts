// Owns running the demo host generator in a child process (dist/bench/demo-worker.js), so its file
// writes and its QMP servers run outside the process being measured — as real QEMU processes would.
// The parent advances the simulated counters between samples over the IPC channel, and removes what
// is left of the tree after the worker is gone.

import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface DemoReady { type: 'ready'; root: string; guests: number }
type WorkerMsg = DemoReady | { type: 'error'; message: string } | { type: 'advanced'; id: number };

export interface DemoProcessOptions { guests: number; manual: boolean; qmp: boolean; seed?: number }

export class DemoProcess {
  private nextId = 1;
  private waiting = new Map<number, () => void>();

  private constructor(private readonly child: ChildProcess, readonly root: string, readonly guests: number) {
    child.on('message', (m: WorkerMsg) => {
      if (m.type === 'advanced') {
        const done = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        done?.();
      }
    });
  }

  get pid(): number { return this.child.pid ?? -1; }

  /** Start the worker; rejects with the worker's message when the demo host cannot start. */
  static start(opts: DemoProcessOptions): Promise<DemoProcess> {
    const script = fileURLToPath(new URL('./demo-worker.js', import.meta.url));
    const args = ['--guests', String(opts.guests), '--seed', String(opts.seed ?? 1)];
    if (opts.manual) args.push('--manual');
    if (opts.qmp) args.push('--qmp');
    const child = fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`demo worker exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m: WorkerMsg) => {
        child.off('exit', onExit);
        if (m.type === 'ready') resolve(new DemoProcess(child, m.root, m.guests));
        else {
          child.kill('SIGKILL');
          reject(new Error(m.type === 'error' ? m.message : `unexpected message ${m.type}`));
        }
      });
    });
  }

  /** Advance the simulated counters by ms (manual mode); resolves when the worker has written them. */
  advance(ms: number): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ type: 'advance', ms, id });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
    // a 1000-guest tree can take longer than the 10 s to remove on a busy machine: finish it here
    rmSync(this.root, { recursive: true, force: true });
  }
}
