// Owns ReadCtx, the thin error policy every collector reader goes through: a missing file is null
// (absent is not zero) and remembered so the hot path does not pay for the same ENOENT every tick;
// a parse error, EACCES or an I/O error becomes an `errors` entry and null; ENODEV/ESRCH mark the read
// as "vanished" so the caller can check whether the guest went away mid-sample. Also the sampler's
// caches it keeps in MissingCache: settings values with the text they were parsed from, and paths
// made once per discovery (the same string every tick, so lookups do not hash it again).

import { HostError } from '../engine/model/errors.js';
import type { SourceErrorInfo } from '../engine/model/sample.js';
import type { HostFs } from '../engine/ports/host-fs.js';

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
  /** `dir/file` paths made by ReadCtx.at, by dir then file; forgotten on every discovery task */
  joined?: Map<string, Map<string, string>>;
  /** `/proc/PID` (ReadCtx.proc) and `/proc/PID/task/TID` (ReadCtx.task) made once; forgotten with `joined` */
  procDirs?: Map<number, string>;
  taskDirs?: Map<number, { pid: number; dir: string }>;
}

/**
 * Drop the settings entries nobody asked for since the last call (a guest gone, a file no longer read)
 * and start a new generation; called on every discovery task instead of clearing them, so an unchanged
 * file keeps its parsed value across discovery. The paths made by at/proc/task are forgotten (a guest
 * gone leaves none behind; the next reads make them again).
 */
export function pruneSettings(cache: MissingCache): void {
  cache.joined?.clear();
  cache.procDirs?.clear();
  cache.taskDirs?.clear();
  const s = cache.settings;
  if (!s) return;
  const gen = cache.settingsGen ?? 0;
  for (const [p, e] of s) if (e.gen < gen) s.delete(p);
  cache.settingsGen = gen + 1;
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
  ) {}

  /**
   * `${dir}/${file}`, the same string object every tick until the next discovery task: the readers
   * look each path up in the fs's descriptor pool and the settings cache every tick, and a path made
   * afresh would be joined, flattened and hashed again for every lookup (a stable one keeps its hash).
   */
  at(dir: string, file: string): string {
    const joined = (this.missing.joined ??= new Map());
    let files = joined.get(dir);
    if (files === undefined) { files = new Map(); joined.set(dir, files); }
    let p = files.get(file);
    if (p === undefined) { p = `${dir}/${file}`; files.set(file, p); }
    return p;
  }

  /** `/proc/${pid}`, made once (as `at`). */
  proc(pid: number): string {
    const dirs = (this.missing.procDirs ??= new Map());
    let d = dirs.get(pid);
    if (d === undefined) { d = `/proc/${pid}`; dirs.set(pid, d); }
    return d;
  }

  /** `/proc/${pid}/task/${tid}`, made once (as `at`). */
  task(pid: number, tid: number): string {
    const dirs = (this.missing.taskDirs ??= new Map());
    let d = dirs.get(tid);
    if (d === undefined || d.pid !== pid) { d = { pid, dir: `/proc/${pid}/task/${tid}` }; dirs.set(tid, d); }
    return d.dir;
  }

  /** Same fs/errors/cache for another guest. */
  forGuest(guest: string | null): ReadCtx {
    return new ReadCtx(this.fs, this.errors, this.missing, guest, this.settingsDue);
  }

  /**
   * A settings file (a limit, weight or cpuset: it changes only when someone tunes) or a slow-moving
   * value (a thread's last CPU, KSM merging): read on settings ticks — through a descriptor the fs
   * keeps only while its pool has room (HostFs.readSetting), else open/read/close — and carried forward
   * in between.
   */
  carried<T>(path: string, source: string, parse: (text: string) => T): T | null {
    const cache = this.missing.settings;
    const e = cache?.get(path);
    const gen = this.missing.settingsGen ?? 0;
    if (e !== undefined) e.gen = gen;
    if (!this.settingsDue && e !== undefined) return e.value as T | null;
    const t = this.setting(path, source);
    // the same text parses to the same value (every parser here is a pure function of the text): no
    // parse, no new objects; a text that failed to parse is parsed again, so its error is recorded again
    if (e !== undefined && e.ok && t !== null && t === e.text) return e.value as T;
    const errorsBefore = this.errors.length;
    const v = t === null ? null : this.parse(t, path, source, parse);
    const ok = t !== null && this.errors.length === errorsBefore;
    if (e !== undefined) { e.text = t; e.value = v; e.ok = ok; } else cache?.set(path, { text: t, value: v, ok, gen });
    return v;
  }

  /**
   * A kernel file read every few ticks (a setting; at discovery a guest's cgroup.threads, /proc/PID/cgroup):
   * through HostFs.readSetting when the fs has it (a descriptor kept while the pool has room), else
   * readText. Missing is null (remembered); a failure is recorded.
   */
  setting(path: string, source: string): string | null {
    const fs = this.fs;
    return this.orMissing(path, source, () => (fs.readSetting ? fs.readSetting(path) : fs.readText(path)));
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
  text(path: string, source: string, cached = true): string | null {
    // the hot path: no closure per read (orMissing's policy, inline)
    if (this.missing.paths.has(path)) return null;
    try {
      return cached ? this.fs.readCached(path) : this.fs.readText(path);
    } catch (e) {
      return this.failed(e, path, source);
    }
  }

  /** Run a read: a missing path is null (and remembered), any other failure is recorded and null. */
  private orMissing<T>(path: string, source: string, read: () => T): T | null {
    if (this.missing.paths.has(path)) return null;
    try {
      return read();
    } catch (e) {
      return this.failed(e, path, source);
    }
  }

  /** A missing path is remembered; any other failure is recorded. Both read as null. */
  private failed(e: unknown, path: string, source: string): null {
    if (e instanceof HostError && e.kind === 'missing') {
      this.missing.paths.add(path);
      return null;
    }
    this.fail(source, e, path);
    return null;
  }

  /** Read and parse; a parse error is recorded (kind 'parse') and gives null. */
  get<T>(path: string, source: string, parse: (text: string) => T, cached = true): T | null {
    const t = this.text(path, source, cached);
    return t === null ? null : this.parse(t, path, source, parse);
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
    return this.orMissing(path, source, () => this.fs.readDir(path));
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
