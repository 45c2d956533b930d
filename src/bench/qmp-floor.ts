// Owns the QMP part of the floor: a QmpConnector wrapper that records, per socket, the commands one
// sample sends, and the floor loop that replays exactly those request bytes on every guest's socket
// (greeting read, capabilities + the batch written in one write, replies counted by their newlines,
// never parsed), all guests in parallel as the enricher does. What a sample's QMP cannot go below.

import { connect } from 'node:net';
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

/** One guest: connect, read the greeting, write capabilities + the batch, read `n + 1` reply lines, close. */
function roundTrip(path: string, bytes: string, replies: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let greeted = false;
    let seen = 0;
    s.on('data', (d: Buffer) => {
      let nl = d.indexOf(10);
      while (nl >= 0) {
        if (!greeted) { greeted = true; s.write(bytes); } else if (++seen === replies) { s.destroy(); resolve(); return; }
        nl = d.indexOf(10, nl + 1);
      }
    });
    s.on('error', reject);
    s.on('close', () => { if (seen < replies) reject(new Error(`${path}: closed after ${seen} of ${replies} replies`)); });
  });
}

/** µs per whole pass over every recorded socket (all in parallel). */
export async function measureQmpFloor(rec: RecordingQmp, runs: number, warmup: number): Promise<{ sockets: number; commands: number; pass: Stat }> {
  const jobs = [...rec.batches].map(([path, cmds]) => {
    const lines = [{ execute: 'qmp_capabilities' }, ...cmds].map((c, i) => `${JSON.stringify({ ...c, id: i + 1 })}\n`);
    return { path, bytes: lines.join(''), replies: cmds.length + 1 };
  });
  const pass = await timeRuns(() => Promise.all(jobs.map((j) => roundTrip(j.path, j.bytes, j.replies))), { runs, warmup });
  return { sockets: jobs.length, commands: jobs.reduce((a, j) => a + j.replies - 1, 0), pass };
}
