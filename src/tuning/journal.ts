// Owns the persistent write-ahead change journal and the audit log. The journal keeps one ChangeRecord
// per change as `<stateDir>/changes/<changeId>.json`, each save written to a temp file (fsync) and
// renamed into place (the HostFs fsyncs the directory after a rename), so a record is either the old or
// the new version after any crash. Records are validated on read: a corrupt one is reported (listed in
// `corrupt`), never skipped silently. The journal is indexed in memory: a sampling tick lists the
// directory and parses only files it has not seen; finished records beyond KEEP_FINISHED are pruned.
// The audit log gets one JSON line per step, appended with fsync. Paths are real host paths (the HostFs
// maps them under --root when they are defaults there).

import { CHANGE_STATES, type AuditEntry, type ChangeRecord, type PlanStep } from '../engine/model/tuning.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import { HostError } from '../engine/model/errors.js';

/** finished records (undone, reverted, rolled back) kept for `changes`; older ones are deleted */
export const KEEP_FINISHED = 200;

const STEP_KINDS = new Set<PlanStep['kind']>(['cgroup-write', 'sysfs-write', 'cgroup-create', 'cgroup-remove', 'cgroup-move', 'affinity', 'qmp', 'exec']);
const FINISHED = new Set<ChangeRecord['state']>(['undone', 'reverted', 'rolled-back']);
const ID_RE = /^[A-Za-z0-9_.-]+$/;

export interface CorruptRecord { file: string; reason: string }

/** Why a parsed journal record cannot be trusted (null: it can). Pure. */
export function recordProblem(rec: unknown, changeId: string): string | null {
  if (typeof rec !== 'object' || rec === null) return 'not a JSON object';
  const r = rec as Record<string, unknown>;
  if (r.changeId !== changeId) return `changeId ${JSON.stringify(r.changeId)} does not match the file name`;
  if (!(CHANGE_STATES as readonly unknown[]).includes(r.state)) return `unknown state ${JSON.stringify(r.state)}`;
  if (typeof r.appliedAt !== 'string') return 'no appliedAt';
  if (r.revertAt !== null && (typeof r.revertAt !== 'string' || Number.isNaN(Date.parse(r.revertAt)))) return `bad revertAt ${JSON.stringify(r.revertAt)}`;
  const plan = r.plan as Record<string, unknown> | null;
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.steps)) return 'no plan steps';
  if (!Array.isArray(r.undoSteps)) return 'no undo steps';
  for (const s of [...(plan.steps as unknown[]), ...(r.undoSteps as unknown[])]) {
    const k = (s as { kind?: unknown } | null)?.kind;
    if (!STEP_KINDS.has(k as PlanStep['kind'])) return `a step of unknown kind ${JSON.stringify(k)}`;
  }
  for (const k of ['stepsDone', 'undoDone', 'seq'] as const) {
    const v = r[k];
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 2 ** 40)) return `bad ${k} ${JSON.stringify(v)}`;
  }
  return null;
}

export class Journal {
  private readonly index = new Map<string, ChangeRecord>();
  /** files that failed validation, by file name (re-checked when they change) */
  private readonly bad = new Map<string, string>();

  constructor(private readonly fs: HostFs, private readonly stateDir: string) {}

  private dir(): string { return `${this.stateDir}/changes`; }

  /** Make the state directory (checked like every write: no symlink out of the root). */
  ensureDir(): void {
    this.fs.mkdir(this.dir(), { recursive: true, mode: 0o700 });
  }

  save(rec: ChangeRecord): void {
    const final = `${this.dir()}/${rec.changeId}.json`;
    const tmp = `${final}.tmp`;
    if (this.fs.exists(tmp)) this.fs.unlink(tmp);
    this.fs.appendDurable(tmp, JSON.stringify(rec, null, 1) + '\n');
    this.fs.rename(tmp, final);
    this.index.set(rec.changeId, structuredClone(rec));
    this.bad.delete(`${rec.changeId}.json`);
    if (FINISHED.has(rec.state)) this.prune();
  }

  private load(file: string): ChangeRecord | null {
    const id = file.slice(0, -'.json'.length);
    let rec: unknown;
    try {
      rec = JSON.parse(this.fs.readText(`${this.dir()}/${file}`));
    } catch (e) {
      this.bad.set(file, e instanceof SyntaxError ? 'not valid JSON' : (e as Error).message);
      this.index.delete(id);
      return null;
    }
    const why = recordProblem(rec, id);
    if (why) {
      this.bad.set(file, why);
      this.index.delete(id);
      return null;
    }
    this.bad.delete(file);
    this.index.set(id, rec as ChangeRecord);
    return rec as ChangeRecord;
  }

  /** Fresh from disk (under the state lock, before acting on a record). */
  get(changeId: string): ChangeRecord | null {
    if (!ID_RE.test(changeId)) return null;
    if (!this.fs.exists(`${this.dir()}/${changeId}.json`)) { this.index.delete(changeId); return null; }
    const r = this.load(`${changeId}.json`);
    return r ? structuredClone(r) : null;
  }

  /**
   * Every valid record, oldest first. `fresh`: re-read every file (under the lock, before deciding);
   * otherwise only files not seen before are parsed (the per-tick revert check).
   */
  list(fresh = false): ChangeRecord[] {
    this.sync(fresh, fresh);
    return [...this.index.values()].map((r) => structuredClone(r)).sort(byTime);
  }

  /**
   * List the directory; parse files not seen before (all of them when `fresh`). `strict`: only a
   * directory that does not exist is an empty journal; one that cannot be listed (permission) throws,
   * so `virtune changes` or `undo` run by a user who may not read it says so instead of "no changes".
   * The per-tick checks are not strict (a directory that cannot be listed, for any reason, is an empty
   * journal): an engine that may not read the journal has nothing to revert.
   */
  private sync(fresh: boolean, strict = false): void {
    let listed: string[];
    try {
      listed = this.fs.readDir(this.dir());
    } catch (e) {
      if (strict && !(e instanceof HostError && e.kind === 'missing')) throw e;
      this.index.clear();
      this.bad.clear();
      return;
    }
    const files = listed.filter((f) => f.endsWith('.json'));
    if (!fresh && files.length === this.index.size + this.bad.size && files.every((f) => this.index.has(f.slice(0, -5)) || this.bad.has(f))) return;
    const present = new Set(files.map((f) => f.slice(0, -5)));
    for (const id of [...this.index.keys()]) if (!present.has(id)) this.index.delete(id);
    for (const f of [...this.bad.keys()]) if (!present.has(f.slice(0, -5))) this.bad.delete(f);
    for (const f of files) {
      const id = f.slice(0, -5);
      if (fresh || (!this.index.has(id) && !this.bad.has(f))) this.load(f);
    }
  }

  /** True when the index holds a change in one of these states (no file is read). */
  hasState(states: ReadonlySet<ChangeRecord['state']>): boolean {
    for (const r of this.index.values()) if (states.has(r.state)) return true;
    return false;
  }

  /** Records that could not be read or validated: `<file>: <reason>` (after list()). */
  corrupt(): CorruptRecord[] {
    return [...this.bad].map(([file, reason]) => ({ file: `${this.dir()}/${file}`, reason }));
  }

  /**
   * corrupt() after listing the directory: files not seen before are parsed; known ones are re-read
   * only when `recheck` (a record damaged after it was read shows up then).
   */
  problems(recheck: boolean): CorruptRecord[] {
    this.sync(recheck);
    return this.corrupt();
  }

  /** The next application sequence number (call under the state lock, after a fresh list()). */
  nextSeq(): number {
    let max = 0;
    for (const r of this.index.values()) max = Math.max(max, r.seq ?? 0);
    return max + 1;
  }

  /** Records whose revert deadline has passed, from the index (cheap: no file is re-read). */
  due(nowWallMs: number): string[] {
    this.sync(false);
    const out: ChangeRecord[] = [];
    for (const r of this.index.values()) if (r.state === 'applied' && r.revertAt !== null && Date.parse(r.revertAt) <= nowWallMs) out.push(r);
    return out.sort(byTime).map((r) => r.changeId);
  }

  private prune(): void {
    const finished = [...this.index.values()].filter((r) => FINISHED.has(r.state)).sort(byTime);
    for (const r of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      try { this.fs.unlink(`${this.dir()}/${r.changeId}.json`); this.index.delete(r.changeId); } catch { /* kept: pruned next time */ }
    }
  }
}

function byTime(a: ChangeRecord, b: ChangeRecord): number {
  if (a.seq !== undefined && b.seq !== undefined && a.seq !== b.seq) return a.seq - b.seq;
  return a.appliedAt < b.appliedAt ? -1 : a.appliedAt > b.appliedAt ? 1 : a.changeId < b.changeId ? -1 : a.changeId > b.changeId ? 1 : 0;
}

/** the most of the audit log one read looks at */
export const AUDIT_TAIL_MAX_BYTES = 16 * 1024 * 1024;

export class AuditLog {
  constructor(private readonly fs: HostFs, private readonly path: string) {}

  append(e: AuditEntry): void {
    this.fs.appendDurable(this.path, JSON.stringify(e) + '\n');
  }

  /**
   * The last `limit` entries, oldest first. Reads a bounded tail of the file (growing the window until
   * it holds `limit` lines, at most AUDIT_TAIL_MAX_BYTES), never the whole log. A line that is not an
   * entry is reported as one (result failed).
   */
  read(limit: number): AuditEntry[] {
    if (limit <= 0 || !this.fs.exists(this.path)) return [];
    let window = Math.min(AUDIT_TAIL_MAX_BYTES, Math.max(64 * 1024, limit * 1024));
    let lines: string[] = [];
    for (;;) {
      const { text, whole } = this.fs.readTail(this.path, window);
      lines = text.split('\n');
      if (!whole) lines.shift(); // the first line of a tail is cut
      lines = lines.filter((l) => l.trim() !== '');
      if (whole || lines.length >= limit || window >= AUDIT_TAIL_MAX_BYTES) break;
      window = Math.min(AUDIT_TAIL_MAX_BYTES, window * 4);
    }
    const out: AuditEntry[] = [];
    const first = Math.max(0, lines.length - limit);
    for (let i = first; i < lines.length; i++) {
      const l = lines[i]!;
      try {
        out.push(JSON.parse(l) as AuditEntry);
      } catch {
        out.push({ time: '', uid: null, user: null, peerPid: null, guest: null, guestUuid: null, changeId: null, action: 'recover', step: null,
          old: null, new: null, result: 'failed', message: `${this.path}: an entry near the end is not valid (torn or corrupt)` });
      }
    }
    return out;
  }
}
