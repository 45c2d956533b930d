// Owns the daemon fan-out benchmark: `virtune serve --demo N --http 127.0.0.1:PORT` in a child
// process, its CPU share from /proc/<pid>/stat (utime + stime) first with no client, then with C
// websocket clients that each subscribe to the 1 Hz snapshot stream. With --demo the simulator runs in
// a child process of the daemon (src/demo/process.ts), not counted in the daemon's /proc figures; the
// variant on --root reads a demo host the bench started in a process of its own. The difference
// idle → clients is the fan-out.
// The daemon's main thread is also measured alone (/proc/PID/task/PID/stat): the rest of the process
// is the sampler worker thread (sampling, derivation, the snapshot's JSON) and V8's helper threads.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { DemoProcess } from './demo-process.js';
import { cpuSec, threadCpuSec } from './proc-cpu.js';
import type { BenchOptions } from './options.js';
import { missing } from './parts.js';

export interface DaemonCost {
  guests: number;
  /** 'demo': serve --demo (simulator inside the daemon); 'root': serve --root of a demo host in its own process */
  host: 'demo' | 'root';
  clients: number;
  connected: number;
  windowSec: number;
  cpuPctIdle: number;
  cpuPctClients: number;
  /** of those, the daemon's main thread (event loop: history, fan-out); the rest is the sampler worker and V8's threads */
  mainThreadPctIdle: number | null;
  mainThreadPctClients: number | null;
  /** snapshots received per client per second during the window (≈ 1 at 1 Hz) */
  eventsPerClientPerSec: number;
  /** bytes of one snapshot event on the wire */
  eventBytes: number | null;
  rssMbAfter: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}


function rssMb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}


/** CPU share (% of one core) of pid, and of its main thread, over windowMs. */
export async function cpuShare(pid: number, windowMs: number): Promise<{ all: number; main: number | null }> {
  const c0 = cpuSec(pid);
  const m0 = threadCpuSec(pid);
  const t0 = performance.now();
  await sleep(windowMs);
  const c1 = cpuSec(pid);
  const m1 = threadCpuSec(pid);
  const sec = (performance.now() - t0) / 1000;
  return { all: ((c1 - c0) / sec) * 100, main: m0 === null || m1 === null ? null : ((m1 - m0) / sec) * 100 };
}

/** Start the daemon; resolves with its websocket URL (token included) once it printed it. */
export function startDaemon(hostArgs: string[], port: number, serveArgs: string[] = []): Promise<{ child: ChildProcess; url: string } | null> {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [cli, ...hostArgs, 'serve', '--http', `127.0.0.1:${port}`, ...serveArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`virtune serve printed no websocket URL in 60 s: ${out.slice(0, 300)}`)); }, 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      // the operator's URL (http://HOST:PORT/?token=T) names the websocket's address and token
      const m = /operator\s+http:\/\/([^\s/]+)\/\?token=([\w.~%-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `ws://${m[1]}/?token=${m[2]}` });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (/not available yet/.test(out)) {
        missing.push('daemon (virtune serve, src/cli/commands/serve.ts) has not landed');
        resolve(null);
      } else reject(new Error(`virtune serve exited (${code}): ${out.trim().split('\n')[0] ?? ''}`));
    });
  });
}

interface Client { ws: WebSocket; events: number; lastBytes: number | null }

function connectClient(url: string, id: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const c: Client = { ws, events: 0, lastBytes: null };
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`client ${id}: no subscription reply in 20 s`)); }, 20_000);
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
    ws.on('open', () => {
      ws.send(JSON.stringify({ v: 1, kind: 'req', id: 1, method: 'subscribe', params: {} }));
    });
    ws.on('message', (data: WebSocket.RawData) => {
      const text = data.toString();
      const msg = JSON.parse(text) as { kind?: string; id?: number; ok?: boolean; error?: { message?: string } };
      if (msg.kind === 'res' && msg.id === 1) {
        clearTimeout(timer);
        if (msg.ok) resolve(c);
        else reject(new Error(`client ${id}: subscribe refused: ${msg.error?.message ?? '?'}`));
      } else if (msg.kind === 'event') {
        c.events++;
        c.lastBytes = Buffer.byteLength(text);
      }
    });
  });
}

/** SIGTERM, and SIGKILL after 10 s; resolves with the exit code once it exited. */
export async function stopDaemon(child: ChildProcess): Promise<number | null> {
  const gone = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await gone;
  clearTimeout(t);
  return code;
}

/** ownDemo: serve --root of a demo host in its own process instead of serve --demo. */
export async function measureDaemon(o: BenchOptions, ownDemo = false): Promise<DaemonCost | null> {
  const port = await freePort();
  const demo = ownDemo ? await DemoProcess.start({ guests: o.daemonGuests, manual: false, qmp: true }) : null;
  const hostArgs = demo ? ['--root', demo.root] : ['--demo', String(o.daemonGuests)];
  let d: { child: ChildProcess; url: string } | null;
  try {
    d = await startDaemon(hostArgs, port);
  } catch (e) {
    await demo?.stop();
    throw e;
  }
  if (!d) {
    await demo?.stop();
    return null;
  }
  const daemon = d;
  const pid = daemon.child.pid as number;
  const clients: Client[] = [];
  try {
    await sleep(o.daemonWarmupSec * 1000);
    const idle = await cpuShare(pid, o.daemonWindowSec * 1000);
    for (let i = 0; i < o.daemonClients; i++) clients.push(await connectClient(daemon.url, i));
    await sleep(o.daemonWarmupSec * 1000);
    const before = clients.reduce((s, c) => s + c.events, 0);
    const t0 = performance.now();
    const busy = await cpuShare(pid, o.daemonWindowSec * 1000);
    const events = clients.reduce((s, c) => s + c.events, 0) - before;
    const sec = (performance.now() - t0) / 1000;
    return {
      guests: o.daemonGuests, host: demo ? 'root' : 'demo', clients: o.daemonClients, connected: clients.length, windowSec: o.daemonWindowSec,
      cpuPctIdle: idle.all, cpuPctClients: busy.all, mainThreadPctIdle: idle.main, mainThreadPctClients: busy.main,
      eventsPerClientPerSec: Math.round((events / clients.length / sec) * 100) / 100,
      eventBytes: clients[0]?.lastBytes ?? null, rssMbAfter: rssMb(pid),
    };
  } finally {
    for (const c of clients) c.ws.terminate();
    await stopDaemon(daemon.child);
    await demo?.stop();
  }
}
