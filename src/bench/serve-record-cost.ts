// Owns the benchmark of recording while serving: `virtune serve --demo N` (its sampler in a worker
// thread, the simulator in a child process) at its 1 Hz pace with no client, first as it is, then a
// fresh daemon with `--record FILE`; the CPU share of each (all threads, and the main thread alone, from
// /proc) over the same window after the same warm-up. The difference is what recording costs a daemon
// at the real pace: the blocks are built in the sampler worker from the samples it read, committed on
// the main thread (compression on the thread pool, SQLite).

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import * as path from 'node:path';
import { cpuShare, freePort, startDaemon, stopDaemon } from './daemon-cost.js';

export interface ServeRecordCost {
  guests: number;
  windowSec: number;
  /** CPU share of the daemon (% of one core), without and with --record */
  cpuPctPlain: number;
  cpuPctRecording: number;
  mainThreadPctPlain: number | null;
  mainThreadPctRecording: number | null;
  /** (recording - plain) CPU per sample, ms: the daemon samples once a second */
  msPerSample: number;
  /** the recording's size when the daemon stopped (bytes; the last block committed at exit) */
  fileBytes: number | null;
  /** exit code of the recording daemon on SIGTERM (0: its last block committed) */
  exitCode: number | null;
}

async function daemonShare(guests: number, warmupSec: number, windowSec: number, serveArgs: string[]): Promise<{ all: number; main: number | null; exitCode: number | null } | null> {
  const d = await startDaemon(['--demo', String(guests)], await freePort(), serveArgs);
  if (!d) return null;
  let share: { all: number; main: number | null };
  try {
    await sleep(warmupSec * 1000);
    share = await cpuShare(d.child.pid as number, windowSec * 1000);
  } catch (e) {
    await stopDaemon(d.child);
    throw e;
  }
  return { ...share, exitCode: await stopDaemon(d.child) };
}

export async function measureServeRecord(guests: number, warmupSec: number, windowSec: number): Promise<ServeRecordCost | null> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-bench-serve-rec-'));
  try {
    const plain = await daemonShare(guests, warmupSec, windowSec, []);
    if (!plain) return null;
    const file = path.join(dir, 'served.vtr');
    const rec = await daemonShare(guests, warmupSec, windowSec, ['--record', file]);
    if (!rec) return null;
    let fileBytes: number | null = null;
    try { fileBytes = statSync(file).size; } catch { fileBytes = null; }
    return {
      guests, windowSec, cpuPctPlain: plain.all, cpuPctRecording: rec.all, mainThreadPctPlain: plain.main, mainThreadPctRecording: rec.main,
      msPerSample: ((rec.all - plain.all) / 100) * 1000, fileBytes, exitCode: rec.exitCode,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
