// Owns the QMP replay server for tests: a real unix-socket server that speaks QMP from a recorded
// transcript (test/fixtures/qmp/*.jsonl: first line the greeting, then one line per command with its
// `return` or `error`, and `event` lines sent right after `qmp_capabilities`). Each answer is the
// recorded line itself plus the request's id, so big integers go over the wire byte-exact.

import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Lab } from '../helpers/lab.js';
import { FIXTURES } from '../helpers/fixture-host.js';

interface Entry { raw: string; execute: string; args: unknown }

export interface ReplayServer {
  socket: string;
  /** every command received, in order */
  received: Array<{ execute: string; arguments?: unknown }>;
  connections: number;
  /** replace the answer of a command (raw JSON line) from now on */
  override(execute: string, rawLine: string): void;
  /** send an event line (raw JSON) to every connected client now */
  event(rawLine: string): void;
  close(): Promise<void>;
}

export function loadTranscript(name: string): string[] {
  return readFileSync(path.join(FIXTURES, 'qmp', name), 'utf8').split('\n').filter((l) => l.trim() !== '');
}

export async function startReplayServer(lab: Lab, socketPath: string, lines: string[]): Promise<ReplayServer> {
  const [greeting, ...rest] = lines;
  if (!greeting) throw new Error('empty transcript');
  const events = rest.filter((l) => (JSON.parse(l) as { event?: unknown }).event !== undefined);
  const entries: Entry[] = rest.filter((l) => !events.includes(l)).map((raw) => {
    const o = JSON.parse(raw) as { execute: string; arguments?: unknown };
    return { raw, execute: o.execute, args: o.arguments };
  });
  const sockets = new Set<net.Socket>();
  const srv: ReplayServer = {
    socket: socketPath, received: [], connections: 0,
    override(execute, rawLine) {
      const o = JSON.parse(rawLine) as { arguments?: unknown };
      entries.unshift({ raw: rawLine, execute, args: o.arguments });
    },
    event(rawLine) {
      for (const s of sockets) s.write(`${rawLine}\r\n`);
    },
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
  const server = net.createServer((sock) => {
    srv.connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.write(`${greeting}\r\n`);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const req = JSON.parse(line) as { execute: string; arguments?: unknown; id?: unknown };
        srv.received.push({ execute: req.execute, ...(req.arguments !== undefined ? { arguments: req.arguments } : {}) });
        const id = JSON.stringify(req.id);
        if (req.execute === 'qmp_capabilities') {
          sock.write(`{"return": {}, "id": ${id}}\r\n`);
          for (const e of events) sock.write(`${e}\r\n`);
          continue;
        }
        const hit = entries.find((e) => e.execute === req.execute && isDeepStrictEqual(e.args, req.arguments));
        const answer = hit
          ? `${hit.raw.slice(0, hit.raw.lastIndexOf('}'))},"id":${id}}`
          : `{"error":{"class":"CommandNotFound","desc":"The command ${req.execute} has not been found"},"id":${id}}`;
        sock.write(`${answer}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(socketPath, () => resolve()); });
  lab.defer(() => srv.close());
  return srv;
}
