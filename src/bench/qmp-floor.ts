// Owns the QMP part of the floor: a QmpConnector wrapper that records, per socket, the commands one
// sample sends, and the floor loop that replays exactly those request bytes on every guest's socket
// (connected once before timing — greeting read, capabilities answered — as the sampler holds a
// dedicated monitor between ticks; then per pass the batch in one write, replies counted by their
// newlines, never parsed), all guests in parallel as the enricher does. What a sample's QMP cannot go
// below. Beside the wall time of a pass: this process's CPU per pass, and the QMP servers' (the demo
// host's process) when the caller can read it — the pass waits for whichever side is slower.

import { connect, type Socket } from 'node:net';
import type { QmpChannel, QmpConnectOptions, QmpConnector } from '../engine/ports/qmp.js';
import { timeRuns, type Stat } from './stats.js';

export class RecordingQmp implements QmpConnector {
  recording = false;
  readonly batches = new Map<string, Array<{ execute: string; arguments?: Record<string, unknown> }>>();

  constructor(private readonly inner: QmpConnector) {}

  async connect(socketPath: string, opts?: QmpConnectOptions): Promise<QmpChannel> {
    const ch = await this.inner.connect(socketPath, opts);
    const rec = this;
    return {
      get greeting() { return ch.greeting; },
      get closed() { return ch.closed; },
      execute<T>(command: string, args?: Record<string, unknown>, o?: { timeoutMs?: number }): Promise<T> {
        if (rec.recording) {
          let list = rec.batches.get(socketPath);
          if (!list) { list = []; rec.batches.set(socketPath, list); }
          list.push(args === undefined ? { execute: command } : { execute: command, arguments: args });
        }
        return ch.execute<T>(command, args, o);
      },
      takeEvents: () => ch.takeEvents(),
      onEvent: (l) => ch.onEvent(l),
      close: () => ch.close(),
    };
  }
}

/**
 * One guest's socket, connected (greeting read, capabilities answered) before any timing, as the
 * sampler holds a dedicated monitor between ticks: `exchange` writes the batch and waits for its
 * `lines` reply lines (counted by their newlines, never parsed).
 */
class HeldSocket {
  private seen = 0;
  private want = 0;
  private settle: ((e?: Error) => void) | null = null;

  private constructor(private readonly s: Socket, private readonly path: string) {
    s.on('data', (d: Buffer) => {
      for (let nl = d.indexOf(10); nl >= 0; nl = d.indexOf(10, nl + 1)) this.seen++;
      if (this.settle && this.seen >= this.want) { const f = this.settle; this.settle = null; f(); }
    });
    s.on('error', (e) => { const f = this.settle; this.settle = null; f?.(e); });
    s.on('close', () => { const f = this.settle; this.settle = null; f?.(new Error(`${this.path}: closed after ${this.seen} of ${this.want} replies`)); });
  }

  static async open(path: string): Promise<HeldSocket> {
    const h = new HeldSocket(connect(path), path);
    await h.exchange(null, 1); // the greeting
    await h.exchange(`${JSON.stringify({ execute: 'qmp_capabilities', id: 0 })}\n`, 1);
    return h;
  }

  exchange(bytes: string | null, lines: number): Promise<void> {
    this.seen = 0;
    this.want = lines;
    const p = new Promise<void>((resolve, reject) => { this.settle = (e) => (e ? reject(e) : resolve()); });
    if (bytes !== null) this.s.write(bytes);
    return p;
  }

  close(): void { this.s.destroy(); }
}

/** Every recorded socket held open, and one pass: each guest's batch written, its replies counted. */
export interface QmpFloorPass {
  sockets: number;
  commands: number;
  pass(): Promise<void>;
  close(): void;
}

export async function openQmpFloor(rec: RecordingQmp): Promise<QmpFloorPass> {
  const jobs = [...rec.batches].map(([path, cmds]) => {
    const lines = cmds.map((c, i) => `${JSON.stringify({ ...c, id: i + 1 })}\n`);
    return { path, bytes: lines.join(''), replies: cmds.length };
  });
  const held = await Promise.all(jobs.map((j) => HeldSocket.open(j.path)));
  return {
    sockets: jobs.length,
    commands: jobs.reduce((a, j) => a + j.replies, 0),
    pass: async () => { await Promise.all(jobs.map((j, i) => (held[i] as HeldSocket).exchange(j.bytes, j.replies))); },
    close: () => { for (const h of held) h.close(); },
  };
}

export interface QmpFloor {
  sockets: number;
  commands: number;
  /** wall time of a whole pass, µs */
  pass: Stat;
  /** this process's CPU time per pass, µs (mean over the measured passes) */
  clientCpuUs: number;
  /** the QMP servers' CPU time per pass, µs (mean); null when not given a way to read it */
  serverCpuUs: number | null;
}

/**
 * µs per whole pass over every recorded socket (all in parallel, on connections held across passes),
 * and the CPU per pass of this process and of the servers (`serverCpuSec`: their process's CPU seconds
 * so far) over the same passes (the warm-up ones too: on held connections every pass is the same work).
 */
export async function measureQmpFloor(rec: RecordingQmp, runs: number, warmup: number, serverCpuSec?: () => number): Promise<QmpFloor> {
  const q = await openQmpFloor(rec);
  try {
    const s0 = serverCpuSec?.();
    const c0 = process.cpuUsage();
    const pass = await timeRuns(() => q.pass(), { runs, warmup });
    const c = process.cpuUsage(c0);
    const passes = Math.max(1, runs + warmup);
    const server = serverCpuSec && s0 !== undefined ? ((serverCpuSec() - s0) * 1e6) / passes : null;
    return { sockets: q.sockets, commands: q.commands, pass, clientCpuUs: (c.user + c.system) / passes, serverCpuUs: server };
  } finally {
    q.close();
  }
}
