// Owns the daemon responsiveness benchmark: `virtune serve --root DEMO --listen unix:PATH` in a child
// process (its sampler in a worker thread) reading a demo host of N guests that runs in its own
// process (as real QEMUs would; a 1000-guest simulator inside the daemon runs out of descriptors), and
// a client that sends `status` every 10 ms over the
// unix socket while the daemon samples N guests at 1 Hz; the reply latencies' p50/p99/max, and the
// CPU time of the daemon's main thread per tick over the same window (/proc/PID/task/PID/stat: less
// sensitive to the machine's load than the latencies).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROTOCOL_VERSION } from '../engine/protocol/api.js';
import { DemoProcess } from './demo-process.js';
import { threadCpuSec } from './proc-cpu.js';
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

export interface StatusLatency {
  guests: number; windowSec: number; requests: number; p50Ms: number; p99Ms: number; maxMs: number;
  /** CPU ms (user + system) of the daemon's main thread per tick in the window; null when unreadable */
  mainThreadCpuMsPerTick: number | null;
}


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function measureStatusLatency(guests: number, windowSec: number, warmupSec: number): Promise<StatusLatency> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-bench-status-'));
  const sock = path.join(dir, 'rw.sock');
  const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
  const demo = await DemoProcess.start({ guests, manual: false, qmp: true });
  const child = spawn(process.execPath, [cli, '--root', demo.root, '--interval', '1', 'serve', '--listen', `unix:${sock}`], {
    stdio: 'ignore', detached: true,
  });
  let client: Socket | null = null;
  try {
    const deadline = Date.now() + 120_000;
    while (!existsSync(sock)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the daemon did not listen within 120 s');
      await sleep(100);
    }
    const c = connect(sock);
    client = c;
    await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', rej); });
    const waiting = new Map<number, (t: number) => void>();
    let samples = 0;
    let buf = '';
    c.on('data', (d: Buffer) => {
      const at = performance.now();
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /"id":(\d+)/.exec(line.slice(0, 200));
        const seen = /"samples":(\d+)/.exec(line);
        if (seen) samples = Number(seen[1]);
        const w = m ? waiting.get(Number(m[1])) : undefined;
        if (w) { waiting.delete(Number(m?.[1])); w(at); }
      }
    });
    let id = 0;
    const ask = (): Promise<number> => {
      const n = ++id;
      const t0 = performance.now();
      return new Promise((res) => {
        waiting.set(n, (at) => res(at - t0));
        c.write(`${JSON.stringify({ v: PROTOCOL_VERSION, kind: 'req', id: n, method: 'status', params: {} })}\n`);
      });
    };
    await ask();
    await sleep(warmupSec * 1000);
    const lat: number[] = [];
    await ask();
    const cpu0 = threadCpuSec(child.pid as number);
    const samples0 = samples;
    const end = Date.now() + windowSec * 1000;
    while (Date.now() < end) {
      lat.push(await ask());
      await sleep(10);
    }
    await ask();
    const cpu1 = threadCpuSec(child.pid as number);
    const ticks = samples - samples0;
    const mainThreadCpuMsPerTick = cpu0 === null || cpu1 === null || ticks <= 0 ? null : round(((cpu1 - cpu0) * 1000) / ticks, 1);
    lat.sort((a, b) => a - b);
    const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number;
    return { guests, windowSec, requests: lat.length, p50Ms: round(q(0.5), 2), p99Ms: round(q(0.99), 2), maxMs: round(lat[lat.length - 1] as number, 2), mainThreadCpuMsPerTick };
  } finally {
    client?.destroy();
    try { process.kill(-(child.pid as number), 'SIGTERM'); } catch { /* gone */ }
    const deadline = Date.now() + 10_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(50);
    if (child.exitCode === null && child.signalCode === null) { try { process.kill(-(child.pid as number), 'SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
    await demo.stop();
  }
}
