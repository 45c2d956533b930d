// The /proc scan's memory between discoveries (ProcScanMemo + scanProc) on a fixture /proc tree (a
// temp dir read through NodeHostFs under a root, with reads counted): a known pid is not read again, a
// new pid is, a reused pid (other start time) is re-read and a vanished one dropped; a young non-QEMU is
// read again (it may be about to exec QEMU); the kernel's last pid spares even the stat reads.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FULL_EVERY, ProcScanMemo, SETTLE_TICKS } from '../../src/collector/discovery/proc-memo.js';
import { parseStartTime, parseUptimeTicks } from '../../src/collector/procfs/parse.js';
import { scanProc, type Candidates } from '../../src/collector/discovery/routes.js';
import { ReadCtx } from '../../src/collector/read-ctx.js';
import { ProcTree } from '../helpers/proc-tree.js';

const QEMU = ['/usr/bin/qemu-system-x86_64', '-name', 'guest=a', '-m', '64'];

class Tree extends ProcTree {
  constructor() {
    super('virtune-libvirt-memo-');
    this.uptime(100_000);
  }
  uptime(ticks: number): void { this.write('proc/uptime', `${ticks / 100} 1.00\n`); }
  override proc(pid: number, argv: string[], start: number): void { super.proc(pid, argv, start, 'x y'); }
  scan(memo: ProcScanMemo): { pids: number[]; cmdlines: number[]; stats: number[] } {
    this.touched.length = 0;
    const out: Candidates = new Map();
    scanProc(new ReadCtx(this.fs, [], { paths: new Set() }, null, true), out, memo);
    const of = (f: string): number[] => this.touched.filter((p) => p.endsWith(`/${f}`)).map((p) => Number(p.split('/')[2])).sort((a, b) => a - b);
    return { pids: [...out.keys()].sort((a, b) => a - b), cmdlines: of('cmdline'), stats: of('stat') };
  }
}

describe('ProcScanMemo', () => {
  let t: Tree;
  beforeEach(() => { t = new Tree(); });
  afterEach(() => t.rm());

  it('reads a known pid once; a new pid appears, a vanished pid is dropped', () => {
    const memo = new ProcScanMemo();
    t.proc(10, ['/usr/sbin/sshd'], 5);
    t.proc(20, QEMU, 6);
    expect(t.scan(memo)).toEqual({ pids: [20], cmdlines: [10, 20], stats: [10, 20] });
    t.proc(30, QEMU, 99_000);
    let r = t.scan(memo);
    expect(r.pids).toEqual([20, 30]);           // the known QEMU is still a candidate, the new one joins
    expect(r.cmdlines).toEqual([30]);           // only the new pid's command line is read
    t.gone(20);
    r = t.scan(memo);
    expect(r.pids).toEqual([30]);
    expect(r.cmdlines).toEqual([]);
    expect(memo.size).toBe(2);                  // 10 and 30; 20 forgotten
  });

  it('a reused pid (another start time) is read again: a QEMU gone and its pid taken by a shell, and back', () => {
    const memo = new ProcScanMemo();
    t.proc(20, QEMU, 6);
    t.scan(memo);
    t.proc(20, ['/bin/bash'], 500);
    expect(t.scan(memo)).toMatchObject({ pids: [], cmdlines: [20] });
    t.proc(20, QEMU, 900);
    expect(t.scan(memo)).toMatchObject({ pids: [20], cmdlines: [20] });
  });

  it('a process younger than SETTLE_TICKS is read again next scan (a fork that will exec QEMU)', () => {
    const memo = new ProcScanMemo();
    t.uptime(100_000);
    t.proc(40, ['/usr/sbin/libvirtd'], 100_000 - SETTLE_TICKS / 2);
    expect(t.scan(memo)).toMatchObject({ pids: [], cmdlines: [40] });
    t.proc(40, QEMU, 100_000 - SETTLE_TICKS / 2); // same process, now exec'ed into QEMU
    expect(t.scan(memo)).toMatchObject({ pids: [40], cmdlines: [40] });
  });

  it('with the kernel\'s last pid, pids not handed out since the last scan are not even stat-ed; new ones are', () => {
    const memo = new ProcScanMemo();
    t.proc(10, ['/usr/sbin/sshd'], 5);
    t.proc(20, QEMU, 6);
    t.lastPid(20);
    t.scan(memo);
    t.proc(25, QEMU, 99_000);
    t.proc(10, ['/bin/sh'], 99_100); // 10 reused after a wrap: 26..max, then 1..10 handed out
    t.lastPid(10);
    const r = t.scan(memo);
    expect(r.stats).toEqual([10, 25]);          // 20 lies outside (10, 10] cyclic → (20 → wrap → 10]: untouched
    expect(r.cmdlines).toEqual([10, 25]);
    expect(r.pids).toEqual([20, 25]);
    t.lastPid(null);                            // unknown now: every listed pid's start time decides
    expect(t.scan(memo).stats).toEqual([10, 20, 25]);
  });

  it('every FULL_EVERY-th scan reads every command line', () => {
    const memo = new ProcScanMemo();
    t.proc(10, ['/usr/sbin/sshd'], 5);
    const counts: number[] = [];
    for (let i = 0; i <= FULL_EVERY; i++) counts.push(t.scan(memo).cmdlines.length);
    expect(counts[0]).toBe(1);
    expect(counts.slice(1, FULL_EVERY)).toEqual(Array(FULL_EVERY - 1).fill(0));
    expect(counts[FULL_EVERY]).toBe(1);
  });

  it('a tree without stat files (a captured tree) reads every command line every time', () => {
    const memo = new ProcScanMemo();
    t.proc(20, QEMU, 6);
    fs.rmSync(path.join(t.dir, 'proc/20/stat'));
    t.scan(memo);
    expect(t.scan(memo)).toMatchObject({ pids: [20], cmdlines: [20] });
  });

  it('parses field 22 after a comm with spaces and parens, and /proc/uptime', () => {
    expect(parseStartTime('7 (a) b) c) S 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 4242 100 10\n')).toBe(4242);
    expect(parseStartTime('7 (a) S 1')).toBeNull();
    expect(parseUptimeTicks('12.34 5.00\n', 100)).toBe(1234);
    expect(parseUptimeTicks('x', 100)).toBeNull();
  });
});
