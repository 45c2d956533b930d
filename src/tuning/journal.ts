// Owns the persistent undo journal and the audit log. The journal keeps one ChangeRecord per applied
// change as `<stateDir>/changes/<changeId>.json` (written to a temp file with fsync, then renamed), so
// `virtune undo` works from a later process. The audit log gets one JSON line per step, appended with
// fsync. Paths are real host paths (the HostFs maps them under --root).

import type { AuditEntry, ChangeRecord } from '../engine/model/tuning.js';
import type { HostFs } from '../engine/ports/host-fs.js';

export class Journal {
  constructor(private readonly fs: HostFs, private readonly stateDir: string) {}

  private dir(): string { return `${this.stateDir}/changes`; }

  save(rec: ChangeRecord): void {
    const final = `${this.dir()}/${rec.changeId}.json`;
    const tmp = `${final}.tmp`;
    if (this.fs.exists(tmp)) this.fs.unlink(tmp);
    this.fs.appendDurable(tmp, JSON.stringify(rec, null, 1) + '\n');
    this.fs.rename(tmp, final);
  }

  get(changeId: string): ChangeRecord | null {
    if (!/^[A-Za-z0-9_.-]+$/.test(changeId)) return null;
    const p = `${this.dir()}/${changeId}.json`;
    if (!this.fs.exists(p)) return null;
    return JSON.parse(this.fs.readText(p)) as ChangeRecord;
  }

  list(): ChangeRecord[] {
    if (!this.fs.exists(this.dir())) return [];
    const out: ChangeRecord[] = [];
    for (const f of this.fs.readDir(this.dir())) {
      if (!f.endsWith('.json')) continue;
      try { out.push(JSON.parse(this.fs.readText(`${this.dir()}/${f}`)) as ChangeRecord); } catch { /* a torn temp file */ }
    }
    return out.sort((a, b) => (a.appliedAt < b.appliedAt ? -1 : a.appliedAt > b.appliedAt ? 1 : a.changeId < b.changeId ? -1 : 1));
  }
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
   * it holds `limit` lines, at most AUDIT_TAIL_MAX_BYTES), never the whole log.
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
    for (const l of lines.slice(-limit)) {
      try { out.push(JSON.parse(l) as AuditEntry); } catch { /* skip a torn line */ }
    }
    return out;
  }
}
