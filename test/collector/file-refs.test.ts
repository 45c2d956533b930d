// ReadCtx's FileRefs: a guest's reads find the same FileRef (and path string) every tick through its
// GuestFiles, across discovery tasks, in whatever order a tick asks for them, until the guest is
// forgotten; a missing file is null and not read again until the next discovery task, and a file that
// appears meanwhile is read after it; settings entries are the same whether a file is asked for by
// FileRef or by path. Real files in a temp tree through NodeHostFs.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forgetFileRefs, newGuestFiles, pruneSettings, ReadCtx, type MissingCache } from '../../src/collector/read-ctx.js';
import type { SourceErrorInfo } from '../../src/engine/model/sample.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { useLab } from '../helpers/lab.js';

const lab = useLab();

/** The fs over a temp tree (closed after the test) and an empty sampler cache. */
function open(root: string): { fs: NodeHostFs; cache: MissingCache } {
  const fs = new NodeHostFs(root);
  lab.defer(() => fs.close());
  return { fs, cache: { paths: new Set(), settings: new Map() } };
}

describe('FileRefs of a guest', () => {
  it('are the same objects every tick and across discovery; a missing file stays null until the next discovery', () => {
    const root = lab.tmpdir();
    mkdirSync(path.join(root, 'cg'));
    writeFileSync(path.join(root, 'cg', 'memory.current'), '4096\n');
    const { fs, cache } = open(root);
    const files = newGuestFiles();
    const errors: SourceErrorInfo[] = [];
    const tick = (): ReadCtx => new ReadCtx(fs, errors, cache, null, false).forGuest('g', files);
    const int = (t: string): number => Number(t.trim());

    const a = tick();
    const ref = a.file('/cg', 'memory.current');
    expect(a.get(ref, 't', int)).toBe(4096);
    expect(a.at('/cg', 'memory.current')).toBe(ref.path);
    expect(ref.path).toBe('/cg/memory.current');
    const b = tick();
    expect(b.file('/cg', 'memory.current')).toBe(ref);
    expect(b.task(7, 8)).toBe(b.task(7, 8));
    expect(b.task(7, 8)).toBe('/proc/7/task/8');
    expect(b.proc(7)).toBe('/proc/7');

    // missing: null, remembered (also where the sampler looks), not an error
    expect(b.get(b.file('/cg', 'memory.max'), 't', int)).toBeNull();
    expect(cache.paths.has('/cg/memory.max')).toBe(true);
    writeFileSync(path.join(root, 'cg', 'memory.max'), '8192\n');
    expect(tick().get(tick().file('/cg', 'memory.max'), 't', int)).toBeNull();

    // the discovery task forgets what was missing: the file that appeared is read; the FileRefs stay
    const maxRef = tick().file('/cg', 'memory.max');
    cache.paths.clear();
    pruneSettings(cache);
    const c = tick();
    expect(c.file('/cg', 'memory.max')).toBe(maxRef);
    expect(c.get(c.file('/cg', 'memory.max'), 't', int)).toBe(8192);
    expect(c.file('/cg', 'memory.current')).toBe(ref);
    expect(c.get(ref, 't', int)).toBe(4096);
    expect(errors).toEqual([]);
  });

  it('of a guest forgotten are dropped with its directories, not those of a directory that only shares a prefix', () => {
    const root = lab.tmpdir();
    for (const d of ['cg', 'cg/libvirt', 'cg2']) mkdirSync(path.join(root, d));
    for (const f of ['cg/cpu.weight', 'cg/libvirt/cpu.weight', 'cg2/cpu.weight']) writeFileSync(path.join(root, f), '100\n');
    const { fs, cache } = open(root);
    const ctx = new ReadCtx(fs, [], cache, null, true);
    const own = ctx.file('/cg', 'cpu.weight');
    const nested = ctx.file('/cg/libvirt', 'cpu.weight');
    const other = ctx.file('/cg2', 'cpu.weight');
    forgetFileRefs(cache, '/cg');
    // the forgotten directories make new FileRefs (a guest started again in the same cgroup reads afresh)
    expect(ctx.file('/cg', 'cpu.weight')).not.toBe(own);
    expect(ctx.file('/cg/libvirt', 'cpu.weight')).not.toBe(nested);
    expect(ctx.file('/cg2', 'cpu.weight')).toBe(other);
    expect(ctx.get(ctx.file('/cg/libvirt', 'cpu.weight'), 't', (t) => Number(t.trim()))).toBe(100);
  });

  it('of a guest are looked up again after discovery, so one dropped with another guest is not kept', () => {
    const root = lab.tmpdir();
    mkdirSync(path.join(root, 'shared'));
    writeFileSync(path.join(root, 'shared', 'memory.current'), '1\n');
    const { fs, cache } = open(root);
    const files = newGuestFiles();
    const tick = (): ReadCtx => new ReadCtx(fs, [], cache, null, false).forGuest('g', files);
    const first = tick().file('/shared', 'memory.current');
    // another guest in the same cgroup vanished: its directory's FileRefs went with it
    forgetFileRefs(cache, '/shared');
    cache.paths.clear();
    pruneSettings(cache);
    const after = tick().file('/shared', 'memory.current');
    expect(after).not.toBe(first);
    expect(tick().file('/shared', 'memory.current')).toBe(after);
  });

  it('are found by name whatever order a tick asks for them in', () => {
    const { fs, cache } = open(lab.tmpdir());
    const files = newGuestFiles();
    const tick = (): ReadCtx => new ReadCtx(fs, [], cache, null, false).forGuest('g', files);
    const first = tick();
    const a = first.file('/x', 'a');
    const b = first.file('/x', 'b');
    const c = first.file('/y', 'c');
    expect([a.path, b.path, c.path]).toEqual(['/x/a', '/x/b', '/y/c']);
    // another order, one more file, one fewer: each name still finds its own FileRef
    const other = tick();
    expect(other.file('/y', 'c')).toBe(c);
    expect(other.file('/x', 'd').path).toBe('/x/d');
    expect(other.file('/x', 'a')).toBe(a);
    const again = tick();
    expect([again.file('/x', 'a'), again.file('/x', 'b'), again.file('/y', 'c')]).toEqual([a, b, c]);
    expect(again.file('/x', 'b')).toBe(b);
  });

  it('drop a settings entry nobody asked for since the last discovery: asked again, the file is read afresh', () => {
    const root = lab.tmpdir();
    writeFileSync(path.join(root, 'cpu.weight'), '100\n');
    const { fs, cache } = open(root);
    const files = newGuestFiles();
    const int = (t: string): number => Number(t.trim());
    const ctx = (due: boolean): ReadCtx => new ReadCtx(fs, [], cache, null, due).forGuest('g', files);
    const ref = ctx(true).file('', 'cpu.weight');
    expect(ctx(true).carried(ref, 't', int)).toBe(100);
    writeFileSync(path.join(root, 'cpu.weight'), '200\n');
    // asked between discoveries: carried
    pruneSettings(cache);
    expect(ctx(false).carried(ctx(false).file('', 'cpu.weight'), 't', int)).toBe(100);
    // not asked during a whole discovery interval: the entry goes, from the map and from the FileRef
    pruneSettings(cache);
    pruneSettings(cache);
    expect(cache.settings?.has('/cpu.weight')).toBe(false);
    const again = ctx(false).file('', 'cpu.weight');
    expect(again).toBe(ref);
    expect(ctx(false).carried(again, 't', int)).toBe(200);
  });

  it('share settings entries with reads by path', () => {
    const root = lab.tmpdir();
    writeFileSync(path.join(root, 'cpu.weight'), '100\n');
    const { fs, cache } = open(root);
    const files = newGuestFiles();
    let parses = 0;
    const parse = (t: string): { w: number } => { parses++; return { w: Number(t.trim()) }; };
    const ctx = (due: boolean): ReadCtx => new ReadCtx(fs, [], cache, null, due).forGuest('g', files);

    const byRef = ctx(true).carried(ctx(true).file('', 'cpu.weight'), 't', parse);
    expect(byRef).toEqual({ w: 100 });
    // by path, between settings ticks: the same value, not read or parsed again
    writeFileSync(path.join(root, 'cpu.weight'), '200\n');
    expect(new ReadCtx(fs, [], cache, null, false).carried('/cpu.weight', 't', parse)).toBe(byRef);
    expect(ctx(false).carried(ctx(false).file('', 'cpu.weight'), 't', parse)).toBe(byRef);
    expect(parses).toBe(1);
    // a settings tick by path updates the entry the FileRef holds
    expect(new ReadCtx(fs, [], cache, null, true).carried('/cpu.weight', 't', parse)).toEqual({ w: 200 });
    expect(ctx(false).carried(ctx(false).file('', 'cpu.weight'), 't', parse)).toEqual({ w: 200 });
    expect(parses).toBe(2);
  });
});
