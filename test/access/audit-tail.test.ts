// The audit log is read with a bounded tail (tuning/journal.ts AuditLog.read), never the whole file:
// a 24 MiB log answers its last entries from a few hundred KiB, in order, with a cut first line dropped.

import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostFs } from '../../src/engine/ports/host-fs.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { AuditLog } from '../../src/tuning/journal.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function countingFs(inner: NodeHostFs): { fs: HostFs; tailBytes: number[]; wholeReads: () => number } {
  const tailBytes: number[] = [];
  let whole = 0;
  const fs = new Proxy(inner, {
    get(t, k) {
      if (k === 'readTail') return (p: string, n: number) => { tailBytes.push(n); return t.readTail(p, n); };
      if (k === 'readText') return (p: string) => { whole++; return t.readText(p); };
      const v = (t as unknown as Record<string | symbol, unknown>)[k];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  }) as unknown as HostFs;
  return { fs, tailBytes, wholeReads: () => whole };
}

describe('AuditLog.read', () => {
  it('reads a bounded tail of a large log and returns the last N entries oldest first', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-audit-'));
    dirs.push(dir);
    const file = path.join(dir, 'audit.log');
    const line = (i: number): string => JSON.stringify({ time: `t${i}`, uid: 0, user: 'root', peerPid: 1, guest: 'g', guestUuid: null, changeId: `c${i}`, action: 'apply', step: null, old: 'x'.repeat(400), new: null, result: 'ok' }) + '\n';
    let chunk = '';
    const n = 50_000; // ~24 MiB
    for (let i = 0; i < n; i++) {
      chunk += line(i);
      if (chunk.length > 1 << 20) { appendFileSync(file, chunk); chunk = ''; }
    }
    appendFileSync(file, chunk);
    const inner = new NodeHostFs('/');
    const c = countingFs(inner);
    const got = new AuditLog(c.fs, file).read(10);
    inner.close();
    expect(got.map((e) => e.changeId)).toEqual(Array.from({ length: 10 }, (_, k) => `c${n - 10 + k}`));
    expect(c.wholeReads()).toBe(0);
    expect(Math.max(...c.tailBytes)).toBeLessThanOrEqual(1024 * 1024);
  });

  it('reads a small log whole (no line dropped) and an absent one as empty', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-audit-'));
    dirs.push(dir);
    const file = path.join(dir, 'audit.log');
    appendFileSync(file, '{"changeId":"a"}\n{"changeId":"b"}\n');
    const fs = new NodeHostFs('/');
    expect(new AuditLog(fs, file).read(100).map((e) => e.changeId)).toEqual(['a', 'b']);
    expect(new AuditLog(fs, path.join(dir, 'none.log')).read(5)).toEqual([]);
    fs.close();
  });
});
