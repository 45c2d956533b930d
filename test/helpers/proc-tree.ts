// Owns ProcTree, the /proc-shaped fixture tree of the discovery tests (a fixture: the real /proc cannot
// be made to hand out chosen pids and start times): a temp dir read through NodeHostFs under it as the
// root, every readText and readDir path recorded in `touched`, and writers for the files discovery reads.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';

export class ProcTree {
  readonly dir: string;
  /** the paths read (readText) and listed (readDir), in order */
  readonly touched: string[] = [];
  readonly fs: NodeHostFs;

  constructor(prefix: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const inner = new NodeHostFs(this.dir);
    const touched = this.touched;
    this.fs = new Proxy(inner, {
      get(t, k, r) {
        if (k === 'readText' || k === 'readDir') return (p: string) => { touched.push(p); return (t[k] as (p: string) => unknown).call(t, p); };
        const v = Reflect.get(t, k, r) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  }

  write(rel: string, text: string): void {
    fs.mkdirSync(path.dirname(path.join(this.dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(this.dir, rel), text);
  }

  /** the kernel's last handed-out pid; null: the file is absent */
  lastPid(pid: number | null): void {
    if (pid === null) fs.rmSync(path.join(this.dir, 'proc/sys'), { recursive: true, force: true });
    else this.write('proc/sys/kernel/ns_last_pid', `${pid}\n`);
  }

  /** a process: its argv and a stat line with this start time (ticks) and comm */
  proc(pid: number, argv: string[], start: number, comm = 'x'): void {
    this.write(`proc/${pid}/cmdline`, argv.map((a) => `${a}\0`).join(''));
    this.write(`proc/${pid}/stat`, `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 ${start} 100 10 0\n`);
  }

  gone(pid: number): void { fs.rmSync(path.join(this.dir, `proc/${pid}`), { recursive: true }); }

  rm(): void { fs.rmSync(this.dir, { recursive: true, force: true }); }
}
