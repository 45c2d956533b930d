// The cgroup route's memory between discoveries (CgroupScanMemo + scanCgroups) on a temporary cgroup v2
// tree read through NodeHostFs under a root (cgroup v2 cannot run here), with reads counted: a guest
// cgroup whose processes all still exist is not read again and gives the same candidates; a cgroup
// whose process went away, a new cgroup, a cgroup still without a process, and every FULL_EVERY-th scan
// are read.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CgroupScanMemo } from '../../src/collector/discovery/cgroup-memo.js';
import { FULL_EVERY } from '../../src/collector/discovery/proc-memo.js';
import { scanCgroups, type Candidates } from '../../src/collector/discovery/routes.js';
import { ReadCtx } from '../../src/collector/read-ctx.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { useLab } from '../helpers/lab.js';

const lab = useLab();
const MS = '/sys/fs/cgroup/machine.slice';

function tree(): { write: (rel: string, text: string) => void; rm: (rel: string) => void; scan: (memo: CgroupScanMemo) => { pids: Record<number, string[]>; reads: string[] } } {
  const root = lab.tmpdir('cgroup-memo');
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  const rm = (rel: string): void => fs.rmSync(path.join(root, rel), { recursive: true, force: true });
  const hfs = new NodeHostFs(root);
  lab.defer(() => hfs.close());
  const reads: string[] = [];
  const readText = hfs.readText.bind(hfs);
  hfs.readText = (p: string): string => { const text = readText(p); reads.push(p); return text; }; // files read (not the absent ones tried)
  const scan = (memo: CgroupScanMemo): { pids: Record<number, string[]>; reads: string[] } => {
    reads.length = 0;
    const out: Candidates = new Map();
    scanCgroups(new ReadCtx(hfs, [], { paths: new Set() }), ['/sys/fs/cgroup'], out, memo);
    const pids: Record<number, string[]> = {};
    for (const [pid, c] of out) pids[pid] = [...c.routes];
    return { pids, reads: reads.filter((p) => p.endsWith('/cgroup.procs')).map((p) => p.replace(`${MS}/`, '')).sort() };
  };
  return { write, rm, scan };
}

describe('CgroupScanMemo', () => {
  it('skips settled guest cgroups, reads new, changed and empty ones, and everything on a full scan', () => {
    const t = tree();
    const a = 'machine-qemu\\x2d1\\x2da.scope';
    const b = 'machine-qemu\\x2d2\\x2db.scope';
    t.write(`proc/100/stat`, '100 (qemu) S\n');
    t.write(`proc/200/stat`, '200 (qemu) S\n');
    t.write(`sys/fs/cgroup/machine.slice/${a}/cgroup.procs`, '');
    t.write(`sys/fs/cgroup/machine.slice/${a}/libvirt/cgroup.procs`, '100\n');
    t.write(`sys/fs/cgroup/machine.slice/${b}/cgroup.procs`, '200\n');
    const memo = new CgroupScanMemo();

    const first = t.scan(memo);
    expect(first.pids).toEqual({ 100: ['cgroup'], 200: ['cgroup'] });
    expect(first.reads).toEqual([`${a}/cgroup.procs`, `${a}/libvirt/cgroup.procs`, `${b}/cgroup.procs`]);

    // nothing changed: the same candidates, no cgroup.procs read
    const second = t.scan(memo);
    expect(second.pids).toEqual(first.pids);
    expect(second.reads).toEqual([]);

    // b's process went away (the guest restarted in the same directory), a new guest c, and d without a process yet
    const c = 'machine-qemu\\x2d3\\x2dc.scope';
    const d = 'machine-qemu\\x2d4\\x2dd.scope';
    t.rm('proc/200');
    t.write(`proc/201/stat`, '201 (qemu) S\n');
    t.write(`proc/300/stat`, '300 (qemu) S\n');
    t.write(`sys/fs/cgroup/machine.slice/${b}/cgroup.procs`, '201\n');
    t.write(`sys/fs/cgroup/machine.slice/${c}/cgroup.procs`, '300\n');
    t.write(`sys/fs/cgroup/machine.slice/${d}/cgroup.procs`, '');
    const third = t.scan(memo);
    expect(third.pids).toEqual({ 100: ['cgroup'], 201: ['cgroup'], 300: ['cgroup'] });
    expect(third.reads).toEqual([`${b}/cgroup.procs`, `${c}/cgroup.procs`, `${d}/cgroup.procs`]);

    // the empty scope is read again until QEMU is in it; a vanished directory is forgotten
    t.write(`proc/400/stat`, '400 (qemu) S\n');
    t.write(`sys/fs/cgroup/machine.slice/${d}/cgroup.procs`, '400\n');
    t.rm(`sys/fs/cgroup/machine.slice/${c}`);
    const fourth = t.scan(memo);
    expect(fourth.pids).toEqual({ 100: ['cgroup'], 201: ['cgroup'], 400: ['cgroup'] });
    expect(fourth.reads).toEqual([`${d}/cgroup.procs`]);
    expect(memo.size).toBe(3);

    // every FULL_EVERY-th scan reads every directory (4 scans so far)
    for (let i = 4; i < FULL_EVERY; i++) expect(t.scan(memo).reads).toEqual([]);
    expect(t.scan(memo).reads).toEqual([`${a}/cgroup.procs`, `${a}/libvirt/cgroup.procs`, `${b}/cgroup.procs`, `${d}/cgroup.procs`]);
  });

});
