// Owns FaultyFs, the HostFs test double that injects kernel errors (ENOENT, ENODEV, EACCES, EINVAL,
// ERANGE, EBUSY, …) on chosen paths, optionally only after N successful calls — to test a guest that
// vanishes mid-sample or a write the kernel refuses.

import { HostError, type HostErrorKind } from '../../src/engine/model/errors.js';
import type { HostFs, HostStat } from '../../src/engine/ports/host-fs.js';

const ERRNO: Record<string, HostErrorKind> = {
  ENOENT: 'missing', ENODEV: 'vanished', ESRCH: 'vanished', EACCES: 'permission', EPERM: 'permission',
  EINVAL: 'invalid', ERANGE: 'range', EBUSY: 'busy', ENOSPC: 'nospace', EOPNOTSUPP: 'unsupported', EIO: 'io',
};

export interface Fault {
  /** path prefix or predicate */
  match: string | ((path: string) => boolean);
  errno: keyof typeof ERRNO;
  ops?: Array<'read' | 'write' | 'list' | 'stat'>;
  /** let this many matching calls succeed first */
  after?: number;
}

export class FaultyFs implements HostFs {
  readonly faults: Array<Fault & { seen: number }> = [];
  writes: Array<{ path: string; data: string }> = [];

  constructor(private readonly inner: HostFs) {}

  get root(): string { return this.inner.root; }

  inject(f: Fault): this {
    this.faults.push({ ...f, seen: 0 });
    return this;
  }

  private check(op: 'read' | 'write' | 'list' | 'stat', path: string): void {
    for (const f of this.faults) {
      const hit = typeof f.match === 'string' ? path.startsWith(f.match) : f.match(path);
      if (!hit || (f.ops && !f.ops.includes(op))) continue;
      f.seen++;
      if (f.seen > (f.after ?? 0)) {
        let kind = ERRNO[f.errno] ?? 'io';
        if (f.errno === 'ENODEV' && op === 'write') kind = 'nodev';
        throw new HostError(kind, `${op} ${path}: injected ${f.errno}`, path, f.errno);
      }
    }
  }

  readText(p: string): string { this.check('read', p); return this.inner.readText(p); }
  readTail(p: string, maxBytes: number): { text: string; whole: boolean } { this.check('read', p); return this.inner.readTail(p, maxBytes); }
  readCached(p: string): string { this.check('read', p); return this.inner.readCached(p); }
  forget(prefix: string): void { this.inner.forget(prefix); }
  readDir(p: string): string[] { this.check('list', p); return this.inner.readDir(p); }
  readLink(p: string): string { this.check('read', p); return this.inner.readLink(p); }
  exists(p: string): boolean { return this.inner.exists(p); }
  stat(p: string): HostStat { this.check('stat', p); return this.inner.stat(p); }
  writeText(p: string, d: string): void { this.check('write', p); this.inner.writeText(p, d); this.writes.push({ path: p, data: d }); }
  appendDurable(p: string, d: string): void { this.check('write', p); this.inner.appendDurable(p, d); }
  mkdir(p: string, o?: { recursive?: boolean; mode?: number }): void { this.check('write', p); this.inner.mkdir(p, o); }
  rmdir(p: string): void { this.check('write', p); this.inner.rmdir(p); }
  unlink(p: string): void { this.check('write', p); this.inner.unlink(p); }
  rename(a: string, b: string): void { this.check('write', a); this.inner.rename(a, b); }
  resolve(p: string): string { return this.inner.resolve(p); }
  close(): void { this.inner.close(); }
}
