// Owns writing the demo tree: every path is a real host path (`/proc/...`) mapped under the root.
// Rewrites happen in place on the same inode (a kept O_RDWR descriptor, write at 0, ftruncate), never by
// rename, so readers that keep descriptors open (HostFs.readCached) see new values; a rewrite with
// unchanged content is skipped.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** descriptors kept for files rewritten every step at most (the rest are opened per write) */
export const MAX_FDS = 8192;

/**
 * Descriptors the writer may keep under an open-file limit: what is left after a QMP listening socket
 * and one connection per guest (when the guests have QMP) and 128 for everything else, at most MAX_FDS.
 * Past it a file is opened per write (slower, never EMFILE).
 */
export function keptFdBudget(guests: number, qmp: boolean, limit: number | null): number {
  if (limit === null) return MAX_FDS;
  return Math.max(0, Math.min(MAX_FDS, limit - (qmp ? 2 * guests : 0) - 128));
}

export class TreeWriter {
  private readonly last = new Map<string, string>();
  private readonly fds = new Map<string, number>();
  private readonly dirs = new Set<string>();
  writes = 0;
  /** while the tree is first laid out every put() creates (no failed open per file) */
  creating = false;

  constructor(readonly root: string, private readonly maxFds = MAX_FDS) {}

  abs(p: string): string {
    return this.root + p;
  }

  mkdir(p: string): void {
    if (this.dirs.has(p)) return;
    fs.mkdirSync(this.abs(p), { recursive: true });
    this.dirs.add(p);
  }

  /** Create (or replace) a file; parents are created. */
  create(p: string, content: string): void {
    this.mkdir(path.posix.dirname(p));
    fs.writeFileSync(this.abs(p), content, { mode: 0o644 });
    this.last.set(p, content);
    this.writes++;
  }

  /** Rewrite a file in place when its content changed (through a kept descriptor, up to maxFds). */
  put(p: string, content: string): void {
    const prev = this.last.get(p);
    if (prev === content) return;
    if (this.creating) { this.create(p, content); return; }
    let fd = this.fds.get(p);
    let keep = true;
    if (fd === undefined) {
      try {
        fd = fs.openSync(this.abs(p), fs.constants.O_RDWR);
      } catch {
        this.create(p, content);
        return;
      }
      keep = this.fds.size < this.maxFds;
      if (keep) this.fds.set(p, fd);
    }
    try {
      fs.writeSync(fd, content, 0, 'latin1');
      // counters only grow: truncate only when the new text is shorter than what the file holds
      if (prev === undefined || content.length < prev.length) fs.ftruncateSync(fd, content.length);
    } finally {
      if (!keep) fs.closeSync(fd);
    }
    this.last.set(p, content);
    this.writes++;
  }

  /** Close the kept descriptors (stop). */
  close(): void {
    for (const fd of this.fds.values()) {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    }
    this.fds.clear();
  }

  /** Forget what was written (the file was changed by someone else and must be rewritten). */
  invalidate(p: string): void {
    this.last.delete(p);
  }

  symlink(p: string, target: string): void {
    this.mkdir(path.posix.dirname(p));
    try { fs.unlinkSync(this.abs(p)); } catch { /* not there yet */ }
    fs.symlinkSync(target, this.abs(p));
  }
}
