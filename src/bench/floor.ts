// Owns the floor benchmark: the cost of the kernel reads a sample cannot avoid. The same files one
// sample read are re-read (1) by a minimal loop that keeps every descriptor open and re-reads it with
// a positional read into a reused buffer (no decoding), and (2) by a plain readFileSync loop.

import * as fs from 'node:fs';
import { scale, timeRuns, type Stat } from './stats.js';

export interface FloorResult {
  /** files one pass stands for (all the sample read) */
  files: number;
  /** files actually re-read; fewer than `files` when the descriptor limit forbids keeping all open */
  measuredFiles: number;
  /** whole pass over every file, µs (scaled up from measuredFiles when fewer) */
  pread: Stat;
  readFile: Stat;
}

/** Descriptors the floor may hold at once (RLIMIT_NOFILE is 20000 on the build machines). */
export const MAX_FLOOR_FDS = 12_000;

/** Descriptors held open on files, re-read with positional reads into one reused buffer (no decoding). */
export class HeldFiles {
  private readonly buf = Buffer.allocUnsafe(64 * 1024);

  private constructor(readonly fds: number[], readonly names: string[]) {}

  /** Open at most MAX_FLOOR_FDS of `realPaths` (a file that vanished since it was read is left out). */
  static open(realPaths: readonly string[]): HeldFiles {
    const fds: number[] = [];
    const names: string[] = [];
    for (const p of realPaths.slice(0, MAX_FLOOR_FDS)) {
      try {
        fds.push(fs.openSync(p, fs.constants.O_RDONLY));
        names.push(p);
      } catch {
        // a file that vanished since the sample read it is not part of the floor
      }
    }
    return new HeldFiles(fds, names);
  }

  /** One pass: every file read from offset 0 to its end (or the buffer's end). */
  pass(): void {
    const buf = this.buf;
    for (const fd of this.fds) {
      let off = 0;
      for (;;) {
        const n = fs.readSync(fd, buf, off, buf.length - off, off);
        if (n === 0 || off + n >= buf.length) break;
        off += n;
      }
    }
  }

  close(): void {
    for (const fd of this.fds) fs.closeSync(fd);
    this.fds.length = 0;
  }
}

export async function measureFloor(realPaths: readonly string[], runs: number, warmup: number): Promise<FloorResult> {
  const held = HeldFiles.open(realPaths);
  try {
    const pread = await timeRuns(() => held.pass(), { runs, warmup });
    const readFile = await timeRuns(() => {
      for (const p of held.names) fs.readFileSync(p);
    }, { runs, warmup });
    if (held.fds.length === 0) throw new Error('floor: none of the sampled files could be opened');
    const k = realPaths.length > MAX_FLOOR_FDS ? realPaths.length / held.fds.length : 1;
    return { files: Math.round(held.fds.length * k), measuredFiles: held.fds.length, pread: scale(pread, 1 / k), readFile: scale(readFile, 1 / k) };
  } finally {
    held.close();
  }
}

/** Kernel files of the kinds a sample reads, on this machine (the demo host's files are tmpfs/disk). */
const KERNEL_FILES = [
  '/proc/stat', '/proc/meminfo', '/proc/self/stat', '/proc/self/status', '/proc/self/schedstat',
  '/proc/self/task/' + String(process.pid) + '/stat', '/proc/pressure/cpu', '/proc/pressure/io',
  '/sys/devices/system/node/node0/meminfo', '/sys/kernel/mm/ksm/pages_sharing',
  '/sys/class/net/lo/statistics/rx_bytes', '/sys/class/net/lo/statistics/tx_bytes',
  '/sys/fs/cgroup/cpu/cpu.stat', '/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/cpuacct/cpuacct.usage',
  '/sys/fs/cgroup/cpuset/cpuset.cpus', '/sys/fs/cgroup/blkio/blkio.throttle.io_serviced',
];

/** The same two loops over real kernel files of this machine, per file: calibrates the demo floor. */
export async function measureKernelFloor(runs: number, warmup: number): Promise<{ files: string[]; preadUsPerFile: number; readFileUsPerFile: number }> {
  const files = KERNEL_FILES.filter((p) => { try { fs.accessSync(p, fs.constants.R_OK); return true; } catch { return false; } });
  const r = await measureFloor(files, runs, warmup);
  return { files, preadUsPerFile: r.pread.median / r.files, readFileUsPerFile: r.readFile.median / r.files };
}
