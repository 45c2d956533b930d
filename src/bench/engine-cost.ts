// Owns the engine benchmarks seen from the harness: engine CPU share at 1 Hz on the demo host (which
// runs in its own child process, in real time; once after a few seconds and once after minutes, when the
// JIT has settled), the floor of that engine's plain tick at the same rate,
// and resident memory after an hour of history, each
// measured in a fresh engine-worker process.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DemoProcess } from './demo-process.js';
import type { BenchOptions } from './options.js';
import { loadDemo, loadSampler, tryImport } from './parts.js';

export interface EngineCpu { cpuPct: number; [k: string]: unknown }
export interface EngineRss { rssMb: number; [k: string]: unknown }

function runWorker(args: string[], timeoutMs: number): Promise<Record<string, unknown>> {
  const script = fileURLToPath(new URL('./engine-worker.js', import.meta.url));
  const child = fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: Record<string, unknown> | null = null;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`engine worker ${args[0]} timed out`)); }, timeoutMs);
    child.on('message', (m: Record<string, unknown>) => { result = m; });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!result) reject(new Error(`engine worker ${args[0]} exited (${code}) without a result`));
      else if (typeof result.error === 'string') reject(new Error(result.error));
      else resolve(result);
    });
  });
}

/** A fresh engine-worker in `mode` (cpu | floor) on a real-time demo host of o.engineGuests guests. */
async function onDemo(mode: 'cpu' | 'floor', o: BenchOptions, warmupSec: number): Promise<EngineCpu> {
  const demo = await DemoProcess.start({ guests: o.engineGuests, manual: false, qmp: true });
  try {
    const r = await runWorker([mode, demo.root, String(o.engineGuests), String(o.engineWindowSec), String(warmupSec)],
      (o.engineWindowSec + warmupSec + 120) * 1000);
    return r as EngineCpu;
  } finally {
    await demo.stop();
  }
}

/** The engine's CPU share over o.engineWindowSec after `warmupSec` (default: o.engineWarmupSec). */
export async function measureEngineCpu(o: BenchOptions, warmupSec = o.engineWarmupSec): Promise<EngineCpu | null> {
  if (!(await loadSampler()) || !(await tryImport('../engine/core/engine.js', 'engine')) || !(await loadDemo())) return null;
  return onDemo('cpu', o, warmupSec);
}

/** The floor of the engine's plain tick at 1 Hz on the same demo host (engine-worker `floor`). */
export async function measureEngineFloorCpu(o: BenchOptions): Promise<EngineCpu | null> {
  if (!(await loadSampler()) || !(await loadDemo())) return null;
  return onDemo('floor', o, o.engineWarmupSec);
}

export async function measureRss(o: BenchOptions): Promise<EngineRss | null> {
  const r = await runWorker(['rss', String(o.rssGuests), String(o.rssSeconds)], 600_000);
  return r as EngineRss;
}
