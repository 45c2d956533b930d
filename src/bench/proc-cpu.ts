// Owns reading another process's (or thread's) CPU time for the benchmarks: utime + stime, and the
// reaped children's cutime + cstime, from /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat, in seconds.

import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux x86 and arm64

/** own = utime + stime, reaped = cutime + cstime, seconds; null when the file cannot be read. */
export function statTimes(statPath: string): { own: number; reaped: number } | null {
  let stat: string;
  try {
    stat = readFileSync(statPath, 'utf8');
  } catch {
    return null;
  }
  // the fields after the command name: [0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { own: (Number(f[11]) + Number(f[12])) / CLK_TCK, reaped: (Number(f[13]) + Number(f[14])) / CLK_TCK };
}

/** utime + stime of a process (all its threads), seconds; throws when the process is gone. */
export function cpuSec(pid: number): number {
  const t = statTimes(`/proc/${pid}/stat`);
  if (t === null) throw new Error(`process ${pid}: /proc/${pid}/stat cannot be read (the process is gone?)`);
  return t.own;
}

/** utime + stime of one thread of a process (its main thread: tid = pid), seconds; null when unreadable. */
export function threadCpuSec(pid: number, tid: number = pid): number | null {
  return statTimes(`/proc/${pid}/task/${tid}/stat`)?.own ?? null;
}
