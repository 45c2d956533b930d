// Owns NodeHostFs, the Node adapter of the HostFs port: maps real kernel paths under a root, refuses
// paths that would leave it (`..` segments, relative paths, symlinks resolving outside a non-/ root) —
// for writes (write, append, mkdir, rename, unlink, rmdir) exactly as for reads — keeps cached
// descriptors for positional re-reads on the hot path (a hot descriptor not read for a while yields its
// slot; settings files keep descriptors while the pool has room, yielding to hot files), and maps errno to HostError kinds. A write to a
// regular file on a disk filesystem (a captured tree, a state file) goes to a temp file that is fsynced
// and renamed over the target, so a crash never leaves it empty; kernel files (procfs, sysfs, cgroupfs)
// get the single write(2) the kernel expects. Renames fsync the target directory. Reads under a non-/
// root (a demo or captured tree) leave access times alone (O_NOATIME).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { HostError, type HostErrorKind } from '../model/errors.js';
import { parseOpenFileLimits } from '../model/open-files.js';
import type { CachedFileRef, HostFs, HostStat } from '../ports/host-fs.js';

const ERRNO_KIND: Record<string, HostErrorKind> = {
  ENOENT: 'missing', ENOTDIR: 'missing', ESRCH: 'vanished',
  EACCES: 'permission', EPERM: 'permission', EROFS: 'permission',
  EINVAL: 'invalid', ERANGE: 'range', EBUSY: 'busy', ENOSPC: 'nospace',
  EOPNOTSUPP: 'unsupported', ENOTSUP: 'unsupported', ETIMEDOUT: 'timeout',
};

/** Map a Node fs error to a HostError. ENODEV means "gone" on a read and "no such device" on a write. */
export function toHostError(err: unknown, op: 'read' | 'write' | 'list' | 'stat' | 'other', realPath: string): HostError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EIO';
  let kind: HostErrorKind = ERRNO_KIND[code] ?? 'io';
  if (code === 'ENODEV') kind = op === 'write' ? 'nodev' : 'vanished';
  const what = e?.message ? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '') : code;
  return new HostError(kind, `${op} ${realPath}: ${what}`, realPath, code);
}

/** A pooled descriptor (-1 once closed) and the `reads` count of its last hot read. */
interface FdSlot {
  fd: number;
  lastRead: number;
}

/**
 * A pool entry for a descriptor just opened. `fd` is written once more after the literal: V8 treats a
 * field never written after its object was made as a constant, and the first `drop` (fd = -1: a guest
 * gone, a stale descriptor swept) would then throw away the optimized code of every reader.
 */
function newSlot(fd: number): FdSlot {
  const slot: FdSlot = { fd: -1, lastRead: 0 };
  slot.fd = fd;
  return slot;
}

/** O_NOATIME where the platform has it (Linux), else 0 */
const O_NOATIME = fs.constants.O_NOATIME ?? 0;
const ACCESS_MODE = fs.constants.O_RDONLY | fs.constants.O_WRONLY | fs.constants.O_RDWR;

/** a short read at most this long is the end of any file (seq_file records are far shorter than a page minus this) */
const SHORT_READ_END = 2048;

export class NodeHostFs implements HostFs {
  readonly root: string;
  private readonly cache = new Map<string, FdSlot>();
  /** descriptors of settings files (readSetting): they share maxCached with `cache` and yield to it */
  private readonly settingCache = new Map<string, FdSlot>();
  /** readCached calls so far, and their count at the last sweep of stale hot descriptors */
  private reads = 0;
  private sweptAt = 0;
  /** directories under a non-/ root already checked not to lead outside it */
  private readonly verifiedDirs = new Set<string>();
  private buf = Buffer.allocUnsafe(64 * 1024);

  /** at most this many cached descriptors (hot and settings together); past it reads open/read/close */
  readonly maxCached: number;

  /** reads open with O_NOATIME (openFile): under a non-/ root, until the kernel refuses it once */
  private noAtime: boolean;

  /** write regular files in place (a simulated kernel tree whose simulator keeps descriptors open) */
  private readonly inPlaceWrites: boolean;

  /**
   * file names whose writes are appended, not truncated (a simulated kernel tree: io.max takes one device
   * per write and keeps the other devices' lines, so its simulator folds in every write it finds appended)
   */
  private readonly appendedFiles: ReadonlySet<string>;

  constructor(root = '/', opts: { maxCached?: number; inPlaceWrites?: boolean; appendedFiles?: readonly string[] } = {}) {
    const abs = path.resolve(root);
    this.root = abs;
    this.maxCached = opts.maxCached ?? defaultMaxCached();
    this.inPlaceWrites = opts.inPlaceWrites ?? false;
    this.noAtime = abs !== '/' && O_NOATIME !== 0;
    this.appendedFiles = new Set(this.root === '/' ? [] : opts.appendedFiles ?? []);
  }

  /**
   * For a write under a non-/ root: the deepest existing ancestor of the path must resolve inside the
   * root (a symlinked directory cannot lead the write out), and the target itself must not be a
   * symlink leading out. Returns the real path.
   */
  private writable(p: string): string {
    const real = this.resolve(p);
    if (this.root === '/') return real;
    let dir = path.posix.dirname(real);
    while (dir !== this.root && dir.startsWith(this.root + '/') && !fs.existsSync(dir)) dir = path.posix.dirname(dir);
    this.checkInside(dir, p);
    let isLink = false;
    try { isLink = fs.lstatSync(real).isSymbolicLink(); } catch { /* does not exist yet */ }
    if (isLink) {
      let target: string;
      try { target = fs.realpathSync.native(real); } catch { target = path.posix.resolve(path.posix.dirname(real), fs.readlinkSync(real)); }
      if (target !== this.root && !target.startsWith(this.root + '/')) {
        throw new HostError('escape', `refusing to write ${p}: it is a symlink leading outside the root ${this.root}`, p);
      }
    }
    return real;
  }

  resolve(p: string): string {
    if (typeof p !== 'string' || !p.startsWith('/')) {
      throw new HostError('escape', `refusing relative path '${String(p)}'`, String(p));
    }
    // the common case: no `.`/`..` segment (each would start with `/.`) and no `//`, so the path is
    // already normal (path.posix.normalize would give it back unchanged): no split, no normalize
    if (p.indexOf('/.') < 0 && p.indexOf('//') < 0) return this.root === '/' ? p : this.root + p;
    if (p.split('/').includes('..')) {
      throw new HostError('escape', `refusing path with '..' that could leave the root: ${p}`, p);
    }
    const norm = path.posix.normalize(p);
    return this.root === '/' ? norm : this.root + norm;
  }

  /**
   * For a non-/ root, make sure symlinks do not lead outside it. Returns true when the path exists
   * and was checked (false: it does not exist; the open that follows reports that).
   */
  private checkInside(real: string, p: string): boolean {
    return this.root === '/' || this.resolvesInside(real, p) === null;
  }

  /**
   * One realpath(3) of `real` (not an lstat per component): throws when it leads outside the root;
   * returns null when it resolved inside, else the error that stopped the realpath.
   */
  private resolvesInside(real: string, p: string): NodeJS.ErrnoException | null {
    let target: string;
    try {
      target = fs.realpathSync.native(real);
    } catch (e) {
      return e as NodeJS.ErrnoException;
    }
    if (target !== this.root && !target.startsWith(this.root + '/')) {
      throw new HostError('escape', `refusing ${p}: it resolves outside the root ${this.root}`, p);
    }
    return null;
  }

  /**
   * Check a directory under a non-/ root once (checkInside) and remember it. Returns the error when
   * the directory does not exist (ENOENT/ENOTDIR), else null.
   */
  private verifyDir(dir: string, p: string): NodeJS.ErrnoException | null {
    const e = this.resolvesInside(dir, p);
    if (e === null) { this.verifiedDirs.add(dir); return null; }
    return e.code === 'ENOENT' || e.code === 'ENOTDIR' ? e : null;
  }

  private open(p: string, flags: number): number {
    const real = this.resolve(p);
    if (this.root !== '/') {
      // under a non-/ root each directory is checked once; the file itself is opened with O_NOFOLLOW,
      // and only a file that is a symlink (ELOOP) pays for its own check
      const dir = path.posix.dirname(real);
      if (!this.verifiedDirs.has(dir)) {
        const missing = this.verifyDir(dir, p);
        // no such directory: the file cannot be there either (no realpath of it, no open)
        if (missing) throw toHostError(missing, flags === fs.constants.O_RDONLY ? 'read' : 'write', p);
      }
      if (this.verifiedDirs.has(dir)) {
        try {
          return this.openFile(real, flags | fs.constants.O_NOFOLLOW);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ELOOP') {
            throw toHostError(e, flags === fs.constants.O_RDONLY ? 'read' : 'write', p);
          }
        }
      }
    }
    this.checkInside(real, p);
    try {
      return this.openFile(real, flags);
    } catch (e) {
      throw toHostError(e, flags === fs.constants.O_RDONLY ? 'read' : 'write', p);
    }
  }

  /**
   * open(2); a read under a non-/ root (a demo or captured tree: regular files) with O_NOATIME, so
   * re-reading a file another process rewrites does not update its access time on every read (an inode
   * change per file per tick; kernel files have no such cost). O_NOATIME is only for the file's owner
   * or CAP_FOWNER: once refused (EPERM), reads open without it.
   */
  private openFile(real: string, flags: number): number {
    if (!this.noAtime || (flags & ACCESS_MODE) !== fs.constants.O_RDONLY) return fs.openSync(real, flags);
    try {
      return fs.openSync(real, flags | O_NOATIME);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
      this.noAtime = false;
      return fs.openSync(real, flags);
    }
  }

  private preadAll(fd: number, p: string, shortReadIsEnd: boolean): string {
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, this.buf, total, this.buf.length - total, total);
      } catch (e) {
        throw toHostError(e, 'read', p);
      }
      if (n === 0) break;
      total += n;
      // hot path: a short read is the end — sysfs, regular files and single-record seq_files return
      // everything that fits in one read, so the read(2) that would return 0 is saved. A multi-record
      // seq_file (/proc/net/dev, numa_maps) hands out whole records up to about one page per read, so
      // a read that came close to a page may not be the end: only a read well under a page
      // (SHORT_READ_END) ends it; past that we read on until 0. Whole-file reads (readText) always do.
      if (shortReadIsEnd && total < this.buf.length && total <= SHORT_READ_END) break;
      if (total === this.buf.length) {
        const bigger = Buffer.allocUnsafe(this.buf.length * 2);
        this.buf.copy(bigger, 0, 0, total);
        this.buf = bigger;
      }
    }
    return this.buf.toString('utf8', 0, total);
  }

  readText(p: string): string {
    const fd = this.open(p, fs.constants.O_RDONLY);
    try {
      return this.preadAll(fd, p, false);
    } finally {
      fs.closeSync(fd);
    }
  }

  readCached(p: string): string {
    const slot = this.cache.get(p) ?? this.openHot(p);
    return slot === null ? this.readText(p) : this.readHot(slot, p);
  }

  /**
   * readCached for a caller that keeps a place per file (`ref.slot`): the descriptor's pool entry is
   * kept there, so a re-read finds it without looking the path up in the pool (a lookup in a map of
   * every file of every guest is a few cache misses per read); an entry closed meanwhile (evicted,
   * forgotten, failed) is found or opened again by path.
   */
  readCachedAt(ref: CachedFileRef): string {
    let slot = ref.slot as FdSlot | null;
    if (slot === null || slot.fd < 0) {
      slot = this.cache.get(ref.path) ?? this.openHot(ref.path);
      if (slot === null) return this.readText(ref.path);
      ref.slot = slot;
    }
    return this.readHot(slot, ref.path);
  }

  private readHot(slot: FdSlot, p: string): string {
    slot.lastRead = ++this.reads;
    return this.preadCached(this.cache, slot, p);
  }

  /**
   * A hot file's descriptor, opened into the pool: it takes a slot a settings file holds, then one a
   * hot file no longer read holds; null when the pool stays full (the caller reads open/read/close).
   */
  private openHot(p: string): FdSlot | null {
    if (this.cache.size + this.settingCache.size >= this.maxCached) this.evictSetting();
    if (this.cache.size + this.settingCache.size >= this.maxCached && !this.sweepStale()) return null;
    const slot = newSlot(this.open(p, fs.constants.O_RDONLY));
    this.cache.set(p, slot);
    return slot;
  }

  /**
   * The pool is full: close the hot descriptors not read during the last two pool-fulls of reads (a
   * file read once at start-up or at discovery, a guest's file on a path read no more), at most one scan
   * per pool-full of reads. True when a slot came free. Without it the files first read keep the pool
   * for good and, on a host with more files than fit, files read every tick pay open/read/close.
   */
  private sweepStale(): boolean {
    const n = this.cache.size;
    if (this.reads - this.sweptAt < n) return false;
    this.sweptAt = this.reads;
    const before = this.reads - 2 * n;
    let freed = false;
    for (const [p, slot] of this.cache) {
      if (slot.lastRead >= before) continue;
      this.drop(this.cache, p, slot);
      freed = true;
    }
    return freed;
  }

  /** Take a descriptor out of its pool and close it; a FileRef still holding its entry sees fd -1. */
  private drop(pool: Map<string, FdSlot>, p: string, slot: FdSlot): void {
    pool.delete(p);
    const fd = slot.fd;
    slot.fd = -1;
    try { fs.closeSync(fd); } catch { /* already gone */ }
  }

  /**
   * A settings file (a limit, weight, cpuset: read every few ticks): a cached descriptor while the pool
   * has room, else open/read/close. Its slot is the first to go when a hot file (readCached) needs one,
   * so settings never push hot files out of the pool. A descriptor that fails (its file removed, a
   * cgroup made again under the same path) is dropped and the path read afresh: the same result as
   * readText for kernel files.
   */
  readSetting(p: string): string {
    const hot = this.cache.get(p);
    const pool = hot !== undefined ? this.cache : this.settingCache;
    const slot = hot ?? this.settingCache.get(p);
    if (slot !== undefined) {
      try {
        return this.preadCached(pool, slot, p);
      } catch {
        // read seconds ago at most a few ticks: the file may have been removed and made again (a
        // cgroup recreated under the same path): the descriptor is dropped and the path opened afresh
        return this.readText(p);
      }
    }
    if (this.cache.size + this.settingCache.size >= this.maxCached) return this.readText(p);
    const opened = newSlot(this.open(p, fs.constants.O_RDONLY));
    this.settingCache.set(p, opened);
    return this.preadCached(this.settingCache, opened, p);
  }

  private evictSetting(): void {
    for (const [p, slot] of this.settingCache) {
      this.drop(this.settingCache, p, slot);
      return;
    }
  }

  private preadCached(pool: Map<string, FdSlot>, slot: FdSlot, p: string): string {
    try {
      return this.preadAll(slot.fd, p, true);
    } catch (e) {
      this.drop(pool, p, slot);
      throw e;
    }
  }

  forget(prefix: string): void {
    for (const pool of [this.cache, this.settingCache]) {
      for (const [p, slot] of pool) {
        if (p.startsWith(prefix)) this.drop(pool, p, slot);
      }
    }
  }

  readDir(p: string): string[] {
    const real = this.resolve(p);
    // a directory checked once (here or as a file's directory) is not realpath'd again
    if (this.root !== '/' && !this.verifiedDirs.has(real)) this.verifyDir(real, p);
    try {
      return fs.readdirSync(real);
    } catch (e) {
      throw toHostError(e, 'list', p);
    }
  }

  readLink(p: string): string {
    try {
      return fs.readlinkSync(this.resolve(p));
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw toHostError(e, 'read', p);
    }
  }

  exists(p: string): boolean {
    const real = this.resolve(p);
    return fs.existsSync(real);
  }

  stat(p: string): HostStat {
    const real = this.resolve(p);
    try {
      const l = fs.lstatSync(real);
      const s = l.isSymbolicLink() ? fs.statSync(real) : l;
      return {
        isFile: s.isFile(), isDirectory: s.isDirectory(), isSocket: s.isSocket(),
        isSymlink: l.isSymbolicLink(), mode: s.mode, uid: s.uid, size: s.size,
      };
    } catch (e) {
      throw toHostError(e, 'stat', p);
    }
  }

  writeText(p: string, data: string): void {
    if (!this.inPlaceWrites && this.root !== '/') {
      // a regular file on a disk filesystem (a captured tree): never truncate-then-write
      const real = this.writable(p);
      let st: fs.Stats | null = null;
      try { st = fs.statSync(real); } catch { /* missing: the open below reports it */ }
      if (st && st.isFile() && !isKernelFs(st.dev, real)) { this.replaceFile(p, real, data); return; }
    }
    // No O_CREAT: writing a control file that does not exist must fail as it does on cgroupfs.
    const keep = this.appendedFiles.size > 0 && this.appendedFiles.has(path.posix.basename(p));
    const fd = this.open(p, fs.constants.O_WRONLY | (keep ? fs.constants.O_APPEND : fs.constants.O_TRUNC));
    try {
      // appended writes stay one per line, as the simulator reads them back
      const b = Buffer.from(keep && !data.endsWith('\n') ? `${data}\n` : data);
      fs.writeSync(fd, b, 0, b.length);
    } catch (e) {
      throw toHostError(e, 'write', p);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** temp file beside the (symlink-resolved) target, fsync, rename over it, fsync the directory */
  private replaceFile(p: string, real: string, data: string): void {
    let target: string;
    try { target = fs.realpathSync.native(real); } catch (e) { throw toHostError(e, 'write', p); }
    if (target !== this.root && !target.startsWith(this.root + '/')) {
      throw new HostError('escape', `refusing to write ${p}: it resolves outside the root ${this.root}`, p);
    }
    const tmp = `${target}.vt-${process.pid}.tmp`;
    try {
      const mode = fs.statSync(target).mode & 0o7777;
      const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, mode);
      try {
        fs.writeSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, target);
      fsyncDir(path.posix.dirname(target));
    } catch (e) {
      try { fs.unlinkSync(tmp); } catch { /* not created */ }
      throw toHostError(e, 'write', p);
    }
    this.forget(p);
  }

  /** the last maxBytes of a file (the audit log's bounded tail); whole says whether that is all of it */
  readTail(p: string, maxBytes: number): { text: string; whole: boolean } {
    const fd = this.open(p, fs.constants.O_RDONLY);
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.max(0, Math.min(size, Math.floor(maxBytes)));
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = fs.readSync(fd, buf, got, len - got, size - len + got);
        if (n === 0) break;
        got += n;
      }
      return { text: buf.subarray(0, got).toString('utf8'), whole: len === size };
    } catch (e) {
      throw toHostError(e, 'read', p);
    } finally {
      fs.closeSync(fd);
    }
  }

  appendDurable(p: string, data: string): void {
    try {
      const real = this.writable(p);
      const dir = path.posix.dirname(real);
      const created = !fs.existsSync(real);
      if (!fs.existsSync(dir)) this.mkdir(path.posix.dirname(p), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(real, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
      try {
        fs.writeSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      if (created) fsyncDir(dir);
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw toHostError(e, 'write', p);
    }
  }

  mkdir(p: string, opts?: { recursive?: boolean; mode?: number }): void {
    try {
      fs.mkdirSync(this.writable(p), { recursive: opts?.recursive ?? false, mode: opts?.mode ?? 0o755 });
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw toHostError(e, 'write', p);
    }
  }

  rmdir(p: string): void {
    try {
      fs.rmdirSync(this.writable(p));
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw toHostError(e, 'write', p);
    }
  }

  unlink(p: string): void {
    try {
      fs.unlinkSync(this.writable(p));
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw toHostError(e, 'write', p);
    }
    this.forget(p);
  }

  rename(from: string, to: string): void {
    try {
      const target = this.writable(to);
      fs.renameSync(this.writable(from), target);
      fsyncDir(path.posix.dirname(target));
    } catch (e) {
      if (e instanceof HostError) throw e;
      throw toHostError(e, 'write', from);
    }
    this.forget(to);
  }

  close(): void {
    this.forget('');
  }
}

/** fsync a directory, so a rename or a new file in it survives a power loss */
function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

/** statfs magic numbers of the kernel's pseudo-filesystems, where a control file takes one write(2) */
const KERNEL_FS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x27e0eb /* cgroup */, 0x63677270 /* cgroup2 */,
  0x64626720 /* debugfs */, 0x74726163 /* tracefs */, 0x73636673 /* securityfs */, 0xcafe4a11 /* bpf */, 0x6e736673 /* nsfs */]);
const fsTypeByDev = new Map<number, boolean>();

function isKernelFs(dev: number, real: string): boolean {
  let k = fsTypeByDev.get(dev);
  if (k === undefined) {
    try { k = KERNEL_FS.has(Number(fs.statfsSync(real).type)); } catch { k = true; /* unknown: behave like the kernel */ }
    fsTypeByDev.set(dev, k);
  }
  return k;
}

/**
 * Cached descriptors may use 60 % of the process's open-file limit (soft RLIMIT_NOFILE from
 * /proc/self/limits); the rest stays free for QMP sockets, clients and child processes. A host with
 * more hot files than that pays open/read/close for the excess instead of failing with EMFILE.
 */
function defaultMaxCached(): number {
  try {
    const soft = parseOpenFileLimits(fs.readFileSync('/proc/self/limits', 'utf8'))?.soft;
    if (typeof soft === 'number') return Math.max(64, Math.floor(soft * 0.6));
  } catch {
    /* not Linux procfs: use the conservative default */
  }
  return 600;
}
