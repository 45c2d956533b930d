// Tests of NodeHostFs, the real HostFs adapter, on a real temporary tree.
import { mkdirSync, readdirSync, rmdirSync, statSync, symlinkSync, utimesSync, writeFileSync, readFileSync, unlinkSync, readlinkSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/engine/model/errors.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { useLab } from '../helpers/lab.js';

describe('NodeHostFs', () => {
  const lab = useLab();

  function tree(): { root: string; fs: NodeHostFs } {
    const root = lab.tmpdir('hostfs');
    mkdirSync(path.join(root, 'sys/fs/cgroup/vm'), { recursive: true });
    writeFileSync(path.join(root, 'sys/fs/cgroup/vm/cpu.max'), 'max 100000\n');
    const fs = new NodeHostFs(root);
    lab.defer(() => fs.close());
    return { root, fs };
  }

  it('reads real kernel paths under the root', () => {
    const { fs } = tree();
    expect(fs.readText('/sys/fs/cgroup/vm/cpu.max')).toBe('max 100000\n');
    expect(fs.readDir('/sys/fs/cgroup')).toEqual(['vm']);
  });

  it('refuses a path that escapes the root with ..', () => {
    const { fs } = tree();
    const err = (() => { try { fs.readText('/sys/../../etc/passwd'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).kind).toBe('escape');
    expect(() => fs.writeText('/../x', '1')).toThrow(/refusing/);
    expect(() => fs.readText('relative/path')).toThrow(/refusing relative/);
  });

  it('refuses a symlink that leads outside a non-/ root', () => {
    const { root, fs } = tree();
    symlinkSync('/etc/hostname', path.join(root, 'sys/escape'));
    expect(() => fs.readText('/sys/escape')).toThrow(/outside the root/);
    symlinkSync('/etc', path.join(root, 'sys/escdir'));
    expect(() => fs.readCached('/sys/escdir/hostname')).toThrow(/outside the root/);
    // a symlink that stays inside the root is followed
    symlinkSync('fs/cgroup/vm/cpu.max', path.join(root, 'sys/inside'));
    expect(fs.readCached('/sys/inside')).toBe('max 100000\n');
  });

  it('maps errno to typed errors', () => {
    const { fs } = tree();
    const kindOf = (f: () => unknown): string | undefined => {
      try { f(); } catch (e) { return (e as HostError).kind; }
      return undefined;
    };
    expect(kindOf(() => fs.readText('/sys/fs/cgroup/vm/nope'))).toBe('missing');
    // writes never create control files, as on cgroupfs
    expect(kindOf(() => fs.writeText('/sys/fs/cgroup/vm/cpu.weight', '100'))).toBe('missing');
    expect(kindOf(() => fs.rmdir('/sys/fs/cgroup'))).toBeDefined();
  });

  it('maps a kernel-refused write to a typed error (real cgroup v1 EINVAL)', () => {
    const fs = new NodeHostFs('/');
    const kindOf = (f: () => unknown): string | undefined => {
      try { f(); } catch (e) { return (e as HostError).kind; }
      return undefined;
    };
    // the period of the root cpu cgroup cannot be set below 1000 µs
    const g = lab.cgroupV1(['cpu']);
    expect(kindOf(() => fs.writeText(`/sys/fs/cgroup/cpu${g.rel}/cpu.cfs_period_us`, '10'))).toBe('invalid');
    fs.close();
  });

  it('re-reads a cached descriptor with positional reads and sees new content', () => {
    const { root, fs } = tree();
    const file = path.join(root, 'sys/fs/cgroup/vm/cpu.max');
    expect(fs.readCached('/sys/fs/cgroup/vm/cpu.max')).toBe('max 100000\n');
    writeFileSync(file, '50000 100000\n');
    expect(fs.readCached('/sys/fs/cgroup/vm/cpu.max')).toBe('50000 100000\n');
    expect(fs.readCached('/sys/fs/cgroup/vm/cpu.max')).toBe(readFileSync(file, 'utf8'));
  });

  it('keeps at most maxCached descriptors open and still reads the rest correctly', () => {
    const root = lab.tmpdir('hostfs-cap');
    for (let i = 0; i < 10; i++) writeFileSync(path.join(root, `f${i}`), `v${i}\n`);
    const fs = new NodeHostFs(root, { maxCached: 4 });
    lab.defer(() => fs.close());
    const fdsBefore = readdirSync('/proc/self/fd').length;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) expect(fs.readCached(`/f${i}`)).toBe(`v${i}\n`);
    }
    expect(readdirSync('/proc/self/fd').length - fdsBefore).toBe(4);
    writeFileSync(path.join(root, 'f9'), 'new\n');
    expect(fs.readCached('/f9')).toBe('new\n');
  });

  it('a hot file no longer read gives its descriptor to one read every round (files first read do not keep the pool)', () => {
    const root = realpathSync(lab.tmpdir('hostfs-stale'));
    for (let i = 0; i < 6; i++) writeFileSync(path.join(root, `f${i}`), `v${i}\n`);
    const fs = new NodeHostFs(root, { maxCached: 4 });
    lab.defer(() => fs.close());
    const cachedFiles = (): string[] => readdirSync('/proc/self/fd').flatMap((fd) => {
      try { const t = readlinkSync(`/proc/self/fd/${fd}`); return t.startsWith(root) ? [path.basename(t)] : []; } catch { return []; }
    }).sort();
    // start-up reads every file once: the first four take the pool
    for (let i = 0; i < 6; i++) expect(fs.readCached(`/f${i}`)).toBe(`v${i}\n`);
    expect(cachedFiles()).toEqual(['f0', 'f1', 'f2', 'f3']);
    // then only f2..f5 are read each round: f0 and f1 go stale and their slots go to f4 and f5
    for (let round = 0; round < 6; round++) for (let i = 2; i < 6; i++) expect(fs.readCached(`/f${i}`)).toBe(`v${i}\n`);
    expect(cachedFiles()).toEqual(['f2', 'f3', 'f4', 'f5']);
    writeFileSync(path.join(root, 'f5'), 'new\n');
    expect(fs.readCached('/f5')).toBe('new\n');
    expect(fs.readCached('/f0')).toBe('v0\n'); // still read correctly, now without a descriptor of its own
    expect(cachedFiles()).toEqual(['f2', 'f3', 'f4', 'f5']);
  });

  it('keeps settings files on descriptors while the pool has room, and gives their slots to hot files first', () => {
    const root = lab.tmpdir('hostfs-settings');
    for (let i = 0; i < 6; i++) writeFileSync(path.join(root, `s${i}`), `s${i}\n`);
    for (let i = 0; i < 6; i++) writeFileSync(path.join(root, `h${i}`), `h${i}\n`);
    const fs = new NodeHostFs(root, { maxCached: 4 });
    lab.defer(() => fs.close());
    const open = (): number => readdirSync('/proc/self/fd').length;
    const base = open();
    // settings alone: they take descriptors up to the cap, the rest is read open/read/close
    for (let i = 0; i < 6; i++) expect(fs.readSetting(`/s${i}`)).toBe(`s${i}\n`);
    expect(open() - base).toBe(4);
    // a setting rewritten in place is seen on its descriptor, as on a kernel file
    writeFileSync(path.join(root, 's0'), 'changed\n');
    expect(fs.readSetting('/s0')).toBe('changed\n');
    // hot files take the settings' slots: all four hot files end up cached, no settings file keeps one
    for (let round = 0; round < 2; round++) for (let i = 0; i < 4; i++) expect(fs.readCached(`/h${i}`)).toBe(`h${i}\n`);
    expect(open() - base).toBe(4);
    for (let i = 0; i < 6; i++) expect(fs.readSetting(`/s${i}`)).toBe(i === 0 ? 'changed\n' : `s${i}\n`);
    expect(open() - base).toBe(4);
    writeFileSync(path.join(root, 'h3'), 'hot\n');
    expect(fs.readCached('/h3')).toBe('hot\n');
    // a settings file that is also a hot file is read on the hot descriptor
    expect(fs.readSetting('/h3')).toBe('hot\n');
    expect(open() - base).toBe(4);
    // forget closes settings descriptors too
    fs.forget('/');
    expect(open() - base).toBe(0);
    expect(() => fs.readSetting('/nope')).toThrow(HostError);
  });

  it('a settings descriptor of a cgroup removed and made again reads the new cgroup (real cgroup v1)', () => {
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const g = lab.cgroupV1(['cpu']);
    const file = `/sys/fs/cgroup/cpu${g.rel}/cpu.shares`;
    g.write('cpu', 'cpu.shares', '512');
    expect(fs.readSetting(file).trim()).toBe('512');
    // the group goes (a guest stopped) and a group of the same name comes back (restarted) with other shares
    rmdirSync(g.dir('cpu'));
    mkdirSync(g.dir('cpu'));
    g.write('cpu', 'cpu.shares', '2048');
    expect(fs.readSetting(file).trim()).toBe('2048');
    expect(fs.readSetting(file).trim()).toBe('2048');
    rmdirSync(g.dir('cpu'));
    expect(() => fs.readSetting(file)).toThrow(HostError);
    mkdirSync(g.dir('cpu')); // the lab removes it after the test
  });

  it('a file in a missing directory is "missing" with the same message (no realpath or open of the file)', () => {
    const { fs } = tree();
    const err = (() => { try { fs.readText('/sys/fs/cgroup/gone/cgroup.procs'); } catch (e) { return e; } })() as HostError;
    expect(err).toBeInstanceOf(HostError);
    expect(err.kind).toBe('missing');
    expect(err.message).toBe('read /sys/fs/cgroup/gone/cgroup.procs: no such file or directory');
    const w = (() => { try { fs.writeText('/sys/fs/cgroup/gone/cpu.max', '1'); } catch (e) { return e; } })() as HostError;
    expect(w.kind).toBe('missing');
    // the directory appearing later is noticed (a missing directory is not remembered)
    mkdirSync(path.join(fs.root, 'sys/fs/cgroup/gone'));
    writeFileSync(path.join(fs.root, 'sys/fs/cgroup/gone/cgroup.procs'), '42\n');
    expect(fs.readText('/sys/fs/cgroup/gone/cgroup.procs')).toBe('42\n');
  });

  it('reading a tree under a root leaves its files\' access times alone (O_NOATIME)', () => {
    const { root, fs } = tree();
    const file = path.join(root, 'sys/fs/cgroup/vm/cpu.max');
    // an access time two days old: relatime would move it on the next read
    const old = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(file, old, old);
    const before = statSync(file).atimeMs;
    expect(fs.readCached('/sys/fs/cgroup/vm/cpu.max')).toBe('max 100000\n');
    expect(fs.readText('/sys/fs/cgroup/vm/cpu.max')).toBe('max 100000\n');
    expect(fs.readSetting('/sys/fs/cgroup/vm/cpu.max')).toBe('max 100000\n');
    expect(statSync(file).atimeMs).toBe(before);
  });

  it('readCachedAt keeps the descriptor on the caller\'s ref; a descriptor closed meanwhile is never read through it', () => {
    const { root, fs } = tree();
    const file = path.join(root, 'sys/fs/cgroup/vm/cpu.max');
    writeFileSync(path.join(root, 'sys/fs/cgroup/other'), 'other\n');
    const ref = { path: '/sys/fs/cgroup/vm/cpu.max', slot: null as unknown };
    expect(fs.readCachedAt(ref)).toBe('max 100000\n');
    expect(ref.slot).not.toBeNull();
    writeFileSync(file, '50000 100000\n');
    expect(fs.readCachedAt(ref)).toBe('50000 100000\n');
    // the cgroup made again: its descriptor forgotten (closed), its number taken by another file
    unlinkSync(file);
    writeFileSync(file, '20000 100000\n');
    fs.forget('/sys/fs/cgroup/vm/');
    expect(fs.readCached('/sys/fs/cgroup/other')).toBe('other\n');
    expect(fs.readCachedAt(ref)).toBe('20000 100000\n');
    // a path read through readCached and readCachedAt shares one descriptor
    writeFileSync(file, '30000 100000\n');
    expect(fs.readCached('/sys/fs/cgroup/vm/cpu.max')).toBe('30000 100000\n');
  });

  it('reads large files through the cached path (buffer growth)', () => {
    const { root, fs } = tree();
    const big = 'x'.repeat(200_000) + '\n';
    writeFileSync(path.join(root, 'sys/big'), big);
    expect(fs.readCached('/sys/big')).toBe(big);
  });

  it('reports a vanished process on a cached /proc descriptor', async () => {
    const fs = new NodeHostFs('/');
    const child = lab.spawn(['sleep', '30']);
    const pid = child.pid as number;
    expect(fs.readCached(`/proc/${pid}/stat`)).toContain('(sleep)');
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    let kind: string | null = null;
    try { fs.readCached(`/proc/${pid}/stat`); } catch (e) { kind = (e as HostError).kind; }
    expect(['vanished', 'missing']).toContain(kind);
    fs.close();
  });

  it('appendDurable creates the directory and appends', () => {
    const { root, fs } = tree();
    fs.appendDurable('/var/log/virtune/audit.log', 'a\n');
    fs.appendDurable('/var/log/virtune/audit.log', 'b\n');
    expect(readFileSync(path.join(root, 'var/log/virtune/audit.log'), 'utf8')).toBe('a\nb\n');
    unlinkSync(path.join(root, 'var/log/virtune/audit.log'));
  });
});
