// Owns ReadCtx, the thin error policy every collector reader goes through: a missing file is null
// (absent is not zero) and remembered so the hot path does not pay for the same ENOENT every tick;
// a parse error, EACCES or an I/O error becomes an `errors` entry and null; ENODEV/ESRCH mark the read
// as "vanished" so the caller can check whether the guest went away mid-sample. Also the sampler's
// caches it keeps in MissingCache: settings values with the text they were parsed from, and paths
// made once (the same string every tick, so lookups do not hash it again), and the
// files read by dir and name (FileRef: the path made once, whether it is missing, its settings entry),
// so a read finds its file's state on the FileRef instead of looking its path up in maps holding every
// file of every guest; a guest's GuestFiles finds its FileRefs without those maps. FileRefs live until
// their guest is forgotten (forgetFileRefs), not one discovery: a discovery only clears their missing flags.

import { HostError } from '../engine/model/errors.js';
import type { SourceErrorInfo } from '../engine/model/sample.js';
import type { CachedFileRef, HostFs } from '../engine/ports/host-fs.js';

/** A settings file's last reading: its text, what that parsed to, and whether it parsed without an error. */
export interface SettingEntry {
  text: string | null;
  value: unknown;
  ok: boolean;
  /** the pruning generation in which it was last asked for (pruneSettings) */
  gen: number;
}

export interface MissingCache {
  /** paths that were missing; cleared on every discovery task */
  paths: Set<string>;
  /**
   * settings files (limits, weights, cpusets) carried between settings ticks, with the text they were
   * parsed from: a settings tick that reads the same text again takes the same value without parsing
   */
  settings?: Map<string, SettingEntry>;
  /** generation of `settings` (pruneSettings) */
  settingsGen?: number;
  /**
   * the FileRefs made by ReadCtx.file/at, by dir then file name; kept across discovery tasks (which clear
   * their missing flags), dropped with their guest (forgetFileRefs)
   */
  joined?: Map<string, Map<string, FileRef>>;
  /** `/proc/PID` (ReadCtx.proc) and `/proc/PID/task/TID` (ReadCtx.task) made once; forgotten with `joined` */
  procDirs?: Map<number, string>;
  taskDirs?: Map<number, { pid: number; dir: string }>;
}

/**
 * One file read by `dir` and name, made once (ReadCtx.file) and kept until its guest is forgotten: its
 * path (the same string every tick, so the fs's descriptor pool finds it by a hash it keeps), whether
 * it was missing (as MissingCache.paths says; both are cleared on every discovery task), its settings
 * entry, and the place the fs keeps its descriptor's entry in (`slot`, HostFs.readCachedAt).
 */
export interface FileRef extends CachedFileRef {
  readonly dir: string;
  readonly name: string;
  readonly path: string;
  missing: boolean;
  setting: SettingEntry | null;
}

/** A directory's FileRefs by name (a guest reads a handful of files per directory: scanned, not hashed). */
interface DirFiles {
  names: string[];
  refs: FileRef[];
}

/**
 * One guest's FileRefs and /proc dirs (kept in the sampler's per-guest state, emptied in place after
 * every discovery task): the guest's reads find their files here, in a few small structures, instead of in
 * the maps that hold every guest's files.
 */
export interface GuestFiles {
  /** the MissingCache generation (settingsGen) they were made in */
  gen: number;
  /**
   * the FileRefs in the order the guest's last sample asked for them, and where this sample is in it:
   * a guest reads the same files in the same order every tick, so the next FileRef is found by one
   * comparison; a sample that reads otherwise (a settings or NUMA tick) finds its FileRefs below and
   * puts them in its places
   */
  seq: FileRef[];
  pos: number;
  dirs: Map<string, DirFiles>;
  /** the directory read last (reads come in runs per directory) */
  lastDir: string | null;
  lastFiles: DirFiles | null;
  pid: number;
  procDir: string | null;
  tasks: Map<number, string>;
}

export function newGuestFiles(): GuestFiles {
  return { gen: -1, seq: [], pos: 0, dirs: new Map(), lastDir: null, lastFiles: null, pid: -1, procDir: null, tasks: new Map() };
}

/**
 * Drop the settings entries nobody asked for since the last call (a guest gone, a file no longer read)
 * and start a new generation; called on every discovery task instead of clearing them, so an unchanged
 * file keeps its parsed value across discovery. The FileRefs stay, their missing flags cleared (as the
 * sampler clears MissingCache.paths): a file that appeared is read again. Made afresh at every discovery,
 * they cost a few thousand objects at 100 guests and, worse, made V8 throw away and compile again every
 * reader that inlines ReadCtx.file, once per discovery. The /proc paths made by proc/task are forgotten
 * (the next reads make them again).
 */
export function pruneSettings(cache: MissingCache): void {
  const gen = cache.settingsGen ?? 0;
  if (cache.joined) {
    for (const files of cache.joined.values()) {
      for (const r of files.values()) {
        if (r.missing) r.missing = false;
        // an entry dropped below is dropped from its FileRef too: asked again, the file is read afresh
        if (r.setting !== null && r.setting.gen < gen) r.setting = null;
      }
    }
  }
  cache.procDirs?.clear();
  cache.taskDirs?.clear();
  const s = cache.settings;
  if (!s) return;
  for (const [p, e] of s) if (e.gen < gen) s.delete(p);
  cache.settingsGen = gen + 1;
}

/**
 * Drop the FileRefs of the directory `dir` and of every directory under it (a guest gone: its cgroup
 * dirs, `/proc/PID`, its NICs' sysfs dirs), as HostFs.forget drops their descriptors.
 */
export function forgetFileRefs(cache: MissingCache, dir: string): void {
  const joined = cache.joined;
  if (!joined) return;
  const under = dir.endsWith('/') ? dir : `${dir}/`;
  for (const d of joined.keys()) if (d === dir || d.startsWith(under)) joined.delete(d);
}

export class ReadCtx {
  vanished = false;

  constructor(
    readonly fs: HostFs,
    readonly errors: SourceErrorInfo[],
    readonly missing: MissingCache,
    readonly guest: string | null = null,
    /** false between settings ticks: carried() answers from the values of the last settings tick */
    readonly settingsDue = true,
    /** the guest's own FileRefs (forGuest), null for host-wide reads */
    private readonly files: GuestFiles | null = null,
  ) {}

  /**
   * The FileRef of `${dir}/${name}`, the same object (and path string) every tick until its guest is
   * forgotten (forgetFileRefs): the readers look each path up in the fs's descriptor pool every tick, and a path
   * made afresh would be joined, flattened and hashed again for every lookup (a stable one keeps its
   * hash); its missing flag and settings entry save the lookups of the path in `missing`.
   */
  file(dir: string, name: string): FileRef {
    const g = this.files;
    if (g === null) return this.sharedRef(dir, name);
    const pos = g.pos++;
    const next = g.seq[pos];
    if (next !== undefined && next.dir === dir && next.name === name) return next;
    const r = this.guestRef(g, dir, name);
    if (pos < g.seq.length) g.seq[pos] = r; else g.seq.push(r);
    return r;
  }

  /** The guest's FileRef of `${dir}/${name}` found by directory (the last one, else by name) and name. */
  private guestRef(g: GuestFiles, dir: string, name: string): FileRef {
    let d = g.lastDir === dir ? g.lastFiles : null;
    if (d === null) {
      d = g.dirs.get(dir) ?? null;
      if (d === null) { d = { names: [], refs: [] }; g.dirs.set(dir, d); }
      g.lastDir = dir;
      g.lastFiles = d;
    }
    const names = d.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return d.refs[i] as FileRef;
    const r = this.sharedRef(dir, name);
    names.push(name);
    d.refs.push(r);
    return r;
  }

  /** The FileRef every ReadCtx of this sampler shares for `${dir}/${name}`. */
  private sharedRef(dir: string, name: string): FileRef {
    const joined = (this.missing.joined ??= new Map());
    let files = joined.get(dir);
    if (files === undefined) { files = new Map(); joined.set(dir, files); }
    let r = files.get(name);
    if (r === undefined) {
      const path = `${dir}/${name}`;
      r = { dir, name, path, missing: this.missing.paths.has(path), setting: null, slot: null };
      files.set(name, r);
    }
    return r;
  }

  /** `${dir}/${name}`, the same string object every tick (as `file`). */
  at(dir: string, name: string): string {
    return this.file(dir, name).path;
  }

  /** `/proc/${pid}`, made once (as `at`). */
  proc(pid: number): string {
    const g = this.files;
    if (g !== null && g.pid === pid && g.procDir !== null) return g.procDir;
    const dirs = (this.missing.procDirs ??= new Map());
    let d = dirs.get(pid);
    if (d === undefined) { d = `/proc/${pid}`; dirs.set(pid, d); }
    if (g !== null && g.pid !== pid) { g.pid = pid; g.tasks.clear(); }
    if (g !== null) g.procDir = d;
    return d;
  }

  /** `/proc/${pid}/task/${tid}`, made once (as `at`). */
  task(pid: number, tid: number): string {
    const g = this.files;
    if (g !== null && g.pid === pid) {
      const t = g.tasks.get(tid);
      if (t !== undefined) return t;
    }
    const dirs = (this.missing.taskDirs ??= new Map());
    let d = dirs.get(tid);
    if (d === undefined || d.pid !== pid) { d = { pid, dir: `/proc/${pid}/task/${tid}` }; dirs.set(tid, d); }
    if (g !== null) {
      if (g.pid !== pid) this.proc(pid);
      g.tasks.set(tid, d.dir);
    }
    return d.dir;
  }

  /**
   * Same fs/errors/cache for another guest; `files` (kept per guest by the sampler) holds the guest's
   * FileRefs, looked up again from the shared ones after every discovery task (a FileRef another guest's
   * vanishing dropped — a shared cgroup — is not kept). Emptied in place: the same objects, the same
   * shapes, every tick.
   */
  forGuest(guest: string | null, files: GuestFiles | null = null): ReadCtx {
    if (files !== null) {
      files.pos = 0;
      const gen = this.missing.settingsGen ?? 0;
      if (files.gen !== gen) {
        files.gen = gen;
        files.seq.length = 0;
        files.dirs.clear();
        files.lastDir = null;
        files.lastFiles = null;
        files.pid = -1;
        files.procDir = null;
        files.tasks.clear();
      }
    }
    return new ReadCtx(this.fs, this.errors, this.missing, guest, this.settingsDue, files);
  }

  /**
   * A settings file (a limit, weight or cpuset: it changes only when someone tunes) or a slow-moving
   * value (a thread's last CPU, KSM merging): read on settings ticks — through a descriptor the fs
   * keeps only while its pool has room (HostFs.readSetting), else open/read/close — and carried forward
   * in between.
   */
  carried<T>(file: string | FileRef, source: string, parse: (text: string) => T): T | null {
    const ref = typeof file === 'string' ? null : file;
    const path = ref === null ? (file as string) : ref.path;
    const cache = this.missing.settings;
    let e = ref === null ? null : ref.setting;
    if (e === null) {
      e = cache?.get(path) ?? null;
      if (ref !== null) ref.setting = e;
    }
    const gen = this.missing.settingsGen ?? 0;
    if (e !== null) e.gen = gen;
    if (!this.settingsDue && e !== null) return e.value as T | null;
    const t = this.setting(file, source);
    // the same text parses to the same value (every parser here is a pure function of the text): no
    // parse, no new objects; a text that failed to parse is parsed again, so its error is recorded again
    if (e !== null && e.ok && t !== null && t === e.text) return e.value as T;
    const errorsBefore = this.errors.length;
    const v = t === null ? null : this.parse(t, path, source, parse);
    const ok = t !== null && this.errors.length === errorsBefore;
    if (e !== null) { e.text = t; e.value = v; e.ok = ok; } else if (cache) {
      const entry: SettingEntry = { text: t, value: v, ok, gen };
      cache.set(path, entry);
      if (ref !== null) ref.setting = entry;
    }
    return v;
  }

  /**
   * A kernel file read every few ticks (a setting; at discovery a guest's cgroup.threads, /proc/PID/cgroup):
   * through HostFs.readSetting when the fs has it (a descriptor kept while the pool has room), else
   * readText. Missing is null (remembered); a failure is recorded.
   */
  setting(file: string | FileRef, source: string): string | null {
    const ref = typeof file === 'string' ? null : file;
    const path = ref === null ? (file as string) : ref.path;
    if (ref === null ? this.missing.paths.has(path) : ref.missing) return null;
    const fs = this.fs;
    try {
      return fs.readSetting ? fs.readSetting(path) : fs.readText(path);
    } catch (e) {
      return this.failed(e, path, source, ref);
    }
  }

  /** Record a failure that is not "file missing". */
  fail(source: string, e: unknown, path: string | null = null): void {
    const he = e instanceof HostError ? e : null;
    const kind = he?.kind ?? 'io';
    if (kind === 'vanished') this.vanished = true;
    const msg = he ? (he.path || !path ? he.message : `${path}: ${he.message}`) : `${path ?? ''}: ${String(e)}`;
    this.errors.push({ source, guest: this.guest, message: msg, kind });
  }

  /** Read a file's text; null when missing (cached as missing) or unreadable (recorded). */
  text(file: string | FileRef, source: string, cached = true): string | null {
    // the hot path: no closure per read, and for a FileRef no lookup of its path
    const ref = typeof file === 'string' ? null : file;
    const path = ref === null ? (file as string) : ref.path;
    if (ref === null ? this.missing.paths.has(path) : ref.missing) return null;
    const fs = this.fs;
    try {
      if (!cached) return fs.readText(path);
      return ref !== null && fs.readCachedAt ? fs.readCachedAt(ref) : fs.readCached(path);
    } catch (e) {
      return this.failed(e, path, source, ref);
    }
  }

  /** A missing path is remembered (on its FileRef too); any other failure is recorded. Both read as null. */
  private failed(e: unknown, path: string, source: string, ref: FileRef | null = null): null {
    if (e instanceof HostError && e.kind === 'missing') {
      this.missing.paths.add(path);
      if (ref !== null) ref.missing = true;
      return null;
    }
    this.fail(source, e, path);
    return null;
  }

  /** Read and parse; a parse error is recorded (kind 'parse') and gives null. */
  get<T>(file: string | FileRef, source: string, parse: (text: string) => T, cached = true): T | null {
    const t = this.text(file, source, cached);
    return t === null ? null : this.parse(t, typeof file === 'string' ? file : file.path, source, parse);
  }

  private parse<T>(t: string, path: string, source: string, parse: (text: string) => T): T | null {
    try {
      return parse(t);
    } catch (e) {
      const he = e instanceof HostError ? e : new HostError('parse', String(e));
      this.errors.push({ source, guest: this.guest, message: `${path}: ${he.message}`, kind: 'parse' });
      return null;
    }
  }

  /** List a directory; null when missing, [] never means "missing". */
  list(path: string, source: string): string[] | null {
    if (this.missing.paths.has(path)) return null;
    try {
      return this.fs.readDir(path);
    } catch (e) {
      return this.failed(e, path, source);
    }
  }

  /** Read a symlink target; null on any failure (no error entry: links are optional hints). */
  link(path: string): string | null {
    try {
      return this.fs.readLink(path);
    } catch {
      return null;
    }
  }
}
