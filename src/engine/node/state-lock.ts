// Owns FlockStateLock, the Node adapter of the StateLock port: an in-process queue per directory plus
// flock(2) (through the native addon) on `<dir>/lock`, so tuning is serialised inside one process and
// between processes sharing the state directory. flock rather than an O_EXCL pid file: the kernel drops
// the lock when its holder dies (kill -9, power loss needs no cleanup), so there is no stale-lock guess
// by pid liveness and no takeover race. The lock file holds the holder's pid for the "busy" message.

import * as fs from 'node:fs';
import { VirtuneError } from '../model/errors.js';
import type { StateLock } from '../ports/state-lock.js';
import { nativeAddon } from './native-addon.js';

const POLL_MS = 20;

export class FlockStateLock implements StateLock {
  /** per directory: the tail of this process's queue */
  private readonly queues = new Map<string, Promise<void>>();

  async acquire(dir: string, timeoutMs = 30_000): Promise<() => void> {
    const addon = nativeAddon();
    if (!addon) throw new VirtuneError(1, 'tuning needs the native addon for its state lock (flock); build it with `npm run build:native`');
    const prev = this.queues.get(dir) ?? Promise.resolve();
    let releaseQueue!: () => void;
    const mine = new Promise<void>((r) => { releaseQueue = r; });
    const tail = prev.then(() => mine);
    this.queues.set(dir, tail);
    const deadline = Date.now() + timeoutMs;
    try {
      await Promise.race([prev, new Promise<void>((_, rej) => setTimeout(() => rej(busy(dir, null)), timeoutMs).unref())]);
    } catch (e) {
      void prev.then(releaseQueue);
      throw e;
    }
    let fd: number;
    try {
      fd = fs.openSync(`${dir}/lock`, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      releaseQueue();
      throw new VirtuneError(1, `cannot open the state lock ${dir}/lock: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
      while (!addon.flock(fd, 'try-exclusive')) {
        if (Date.now() >= deadline) throw busy(dir, holder(fd));
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, `${process.pid}\n`, 0);
    } catch (e) {
      fs.closeSync(fd);
      releaseQueue();
      throw e instanceof VirtuneError ? e : new VirtuneError(1, `cannot lock ${dir}/lock: ${(e as Error).message}`);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try { addon.flock(fd, 'unlock'); } finally { fs.closeSync(fd); releaseQueue(); }
      if (this.queues.get(dir) === tail) this.queues.delete(dir);
    };
  }
}

function holder(fd: number): number | null {
  try {
    const b = Buffer.alloc(32);
    const n = fs.readSync(fd, b, 0, 32, 0);
    const pid = Number(b.toString('utf8', 0, n).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function busy(dir: string, pid: number | null): VirtuneError {
  return new VirtuneError(1, `another virtune is changing this host (state lock ${dir}/lock${pid ? ` held by pid ${pid}` : ''}); try again when it is done`);
}
