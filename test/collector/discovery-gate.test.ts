// The short cut of a discovery with nothing new to find (DiscoveryGate inside discover()) on a fixture
// /proc tree read through NodeHostFs under a root, with reads and listings counted: with the kernel's
// last pid and the mount table unchanged and every guest alive, the last result stands and /proc is not
// listed; a new pid (a QEMU started), a guest gone, a changed mount table, an unknown last pid and
// every FULL_EVERY-th discovery run it in full — so what appears without a new pid is found within
// FULL_EVERY discoveries.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover } from '../../src/collector/discovery/discover.js';
import { FULL_EVERY, ProcScanMemo } from '../../src/collector/discovery/proc-memo.js';
import { DiscoveryGate } from '../../src/collector/discovery/quiet-gate.js';
import { CgroupScanMemo } from '../../src/collector/discovery/cgroup-memo.js';
import { ReadCtx } from '../../src/collector/read-ctx.js';
import { ProcTree } from '../helpers/proc-tree.js';

const qemu = (name: string): string[] => ['/usr/bin/qemu-system-x86_64', '-name', `guest=${name}`, '-m', '64'];

class Tree extends ProcTree {
  constructor() {
    super('virtune-gate-');
    this.write('proc/uptime', '1000.00 1.00\n');
    this.write('proc/self/mountinfo', '22 1 0:21 / /proc rw - proc proc rw\n');
  }
  override proc(pid: number, argv: string[], start = 5): void { super.proc(pid, argv, start); }
}

describe('DiscoveryGate', () => {
  let t: Tree;
  let gate: DiscoveryGate<ReturnType<typeof discover>>;
  let procMemo: ProcScanMemo;
  let cgroupMemo: CgroupScanMemo;
  beforeEach(() => { t = new Tree(); gate = new DiscoveryGate(); procMemo = new ProcScanMemo(); cgroupMemo = new CgroupScanMemo(); });
  afterEach(() => t.rm());

  const run = (): { names: string[]; listedProc: boolean } => {
    t.touched.length = 0;
    const r = discover(new ReadCtx(t.fs, [], { paths: new Set() }, null, true), { procMemo, cgroupMemo, gate });
    return { names: r.guests.map((g) => g.name).sort(), listedProc: t.touched.includes('/proc') };
  };

  it('stands on the last result while no pid was handed out; a QEMU started (a new pid) is found at once', () => {
    t.lastPid(100);
    t.proc(20, qemu('a'));
    expect(run()).toEqual({ names: ['a'], listedProc: true });
    expect(run()).toEqual({ names: ['a'], listedProc: false });
    // only the two files the gate checks (and an existence check of the guest's /proc dir)
    expect(t.touched).toEqual(['/proc/sys/kernel/ns_last_pid', '/proc/self/mountinfo']);
    expect(gate.skipped).toBe(1);
    t.proc(101, qemu('b'));
    t.lastPid(104);
    expect(run()).toEqual({ names: ['a', 'b'], listedProc: true });
  });

  it('runs in full when a guest is gone, the mount table changed, or the last pid is unknown', () => {
    t.lastPid(100);
    t.proc(20, qemu('a'));
    t.proc(30, qemu('b'));
    run();
    t.gone(30);
    expect(run()).toEqual({ names: ['a'], listedProc: true });
    t.write('proc/self/mountinfo', '22 1 0:21 / /proc rw - proc proc rw\n23 1 0:22 / /mnt rw - tmpfs t rw\n');
    expect(run().listedProc).toBe(true);
    expect(run().listedProc).toBe(false);
    t.lastPid(null);
    expect(run().listedProc).toBe(true);
    expect(run().listedProc).toBe(true);
  });

  it('what appears without a new pid is found within FULL_EVERY discoveries', () => {
    t.lastPid(100);
    t.proc(20, qemu('a'));
    run();
    // a process that is a QEMU now without any pid handed out (e.g. moved into view): no short cut forever
    t.proc(40, qemu('c'));
    const seen: boolean[] = [];
    for (let i = 0; i < FULL_EVERY; i++) seen.push(run().names.includes('c'));
    expect(seen.slice(0, FULL_EVERY - 2).every((s) => !s)).toBe(true);
    expect(seen[FULL_EVERY - 1]).toBe(true);
  });

  it('a known process that becomes a QEMU without a new pid (an exec) is found within FULL_EVERY discoveries while the gate stands', () => {
    t.lastPid(100);
    t.proc(20, qemu('a'));
    t.proc(30, ['/bin/sh', '-c', 'sleep 5; exec qemu-system-x86_64']); // old: its "not a QEMU" verdict is kept
    expect(run().names).toEqual(['a']);
    t.proc(30, qemu('c')); // same pid, same start time: no id handed out
    const seen: boolean[] = [];
    for (let i = 0; i < FULL_EVERY; i++) seen.push(run().names.includes('c'));
    expect(seen.slice(0, FULL_EVERY - 2).every((s) => !s)).toBe(true);
    expect(seen[FULL_EVERY - 1]).toBe(true);
  });
});
