// Owns `virtune serve`: the engine as a daemon. `--listen unix:PATH` (read-write, mode 0600),
// `--listen-ro unix:PATH` (read-only, mode 0666: tuning refused with code 4), `--http HOST:PORT`
// (websocket with a per-launch token and origin check, loopback by default, plus /metrics). Peer
// uid/pid come from SO_PEERCRED and go with every tuning request. SIGTERM/SIGINT close clients and
// remove the socket files; a stale socket file is replaced, a live one is never stolen (exit 1).
// startDaemon() is exported so the bench can run the daemon in-process.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type * as net from 'node:net';
import { usageError } from '../../engine/model/errors.js';
import { peerCredOf, userName } from '../../engine/node/peercred.js';
import { listenUnix, socketTransport, type UnixListener } from '../../engine/node/unix-socket.js';
import { isLoopback, parseHostPort, startWsServer, type WsServer } from '../../engine/node/ws-server.js';
import { MAX_REQUEST_BYTES } from '../../engine/protocol/messages.js';
import { PROTOCOL_VERSION, type CallerInfo } from '../../engine/protocol/api.js';
import { serveEngine, type ServedConnection } from '../../engine/rpc/server.js';
import type { Transport } from '../../engine/rpc/transport.js';
import { buildLocalEngine, packageVersion, type LocalEngine } from '../engine-factory.js';
import { makeOut, parseGlobals, type GlobalOptions } from '../runtime.js';
import { buildReplayEngine, startRecording, type ReplayEngine } from '../recording.js';
import { createMetrics } from '../serve-metrics.js';

function replayAsLocal(r: ReplayEngine): LocalEngine {
  return { engine: r.engine, demo: null, stop: r.stop };
}

export interface DaemonOptions {
  listen: string | null;
  listenRo: string | null;
  http: string | null;
  /** websocket token (default: random per launch) */
  token?: string;
  /** per-client cap on unsent bytes before the client is dropped */
  maxBacklogBytes?: number;
  /** skip snapshot events while a client has more than this queued */
  eventBacklogBytes?: number;
  /** record raw samples and tuning events to this file while serving */
  record?: string | null;
  /** serve a recording instead of this host (read-only; replay controls over EngineApi) */
  replay?: string | null;
}

export interface Daemon {
  local: LocalEngine;
  rw: UnixListener | null;
  ro: UnixListener | null;
  ws: WsServer | null;
  clients(): number;
  close(): Promise<void>;
}

function unixPath(flag: string, v: string): string {
  if (!v.startsWith('unix:') || v.length <= 'unix:'.length) throw usageError(`${flag}: '${v}' is not unix:PATH`);
  const p = v.slice('unix:'.length);
  const parent = path.dirname(path.resolve(p));
  if (!existsSync(parent)) throw usageError(`${flag}: no such directory ${parent} (ENOENT): create it first`);
  return p;
}

const OVERSIZE_REPLY = JSON.stringify({
  v: PROTOCOL_VERSION, kind: 'res', id: null, ok: false,
  error: { code: 2, message: `message too large (over ${MAX_REQUEST_BYTES} bytes)` },
});

export async function startDaemon(g: GlobalOptions, opts: DaemonOptions): Promise<Daemon> {
  const rwPath = opts.listen ? unixPath('--listen', opts.listen) : null;
  const roPath = opts.listenRo ? unixPath('--listen-ro', opts.listenRo) : null;
  const http = opts.http ? parseHostPort(opts.http) : null;
  if (!rwPath && !roPath && !http) throw usageError('serve: give at least one of --listen unix:PATH, --listen-ro unix:PATH, --http HOST:PORT');
  if (rwPath && rwPath === roPath) throw usageError('serve: --listen and --listen-ro must be different paths');

  if (opts.record && opts.replay) throw usageError('serve: --record and --replay exclude each other');
  if (opts.replay && (g.demo !== null || g.root !== '/')) throw usageError('serve: --replay serves a recording; --demo and --root do not apply');
  const recording = opts.record ? startRecording({ file: opts.record, demo: g.demo !== null, intervalSec: g.intervalSec }) : null;
  let local: LocalEngine;
  try {
    local = opts.replay
      ? replayAsLocal(buildReplayEngine(opts.replay, packageVersion()))
      : await buildLocalEngine(g, { write: true, version: packageVersion(), onRawSample: recording?.onRawSample });
  } catch (e) {
    await recording?.close().catch(() => undefined);
    throw e;
  }
  const conns = new Set<ServedConnection>();
  const serve = (t: Transport, readOnly: boolean, caller: CallerInfo): void => {
    const c = serveEngine(local.engine, t, { readOnly, caller, eventBacklogBytes: opts.eventBacklogBytes });
    conns.add(c);
    t.onClose(() => conns.delete(c));
  };
  const onUnix = (readOnly: boolean) => (sock: net.Socket): void => {
    const cred = peerCredOf(sock);
    const caller: CallerInfo = { uid: cred?.uid ?? null, user: cred ? userName(cred.uid) : null, pid: cred?.pid ?? null, via: 'unix' };
    const t = socketTransport(sock, { maxLineBytes: MAX_REQUEST_BYTES, oversizeReply: OVERSIZE_REPLY, maxBacklogBytes: opts.maxBacklogBytes });
    serve(t, readOnly, caller);
  };

  const d: Daemon = { local, rw: null, ro: null, ws: null, clients: () => conns.size, close: async () => undefined };
  let closing: Promise<void> | null = null;
  d.close = () => {
    closing ??= (async () => {
      await Promise.all([...conns].map((c) => c.close().catch(() => undefined)));
      await d.rw?.close();
      await d.ro?.close();
      await d.ws?.close();
      await local.stop();
      await recording?.close();
    })();
    return closing;
  };
  try {
    await local.engine.start();
    recording?.attach({ changes: () => local.engine.changes(), auditLog: (n) => local.engine.auditLog(n) });
    recording?.failed.catch((e: unknown) => {
      process.stderr.write(`virtune serve: recording stopped: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    });
    local.engine.setClientCounter(() => conns.size);
    if (rwPath) d.rw = await listenUnix(rwPath, { mode: 0o600, onConnection: onUnix(false) });
    if (roPath) d.ro = await listenUnix(roPath, { mode: 0o666, onConnection: onUnix(true) });
    if (http) {
      const metrics = createMetrics(local.engine);
      d.ws = await startWsServer({
        host: http.host, port: http.port, token: opts.token,
        maxBacklogBytes: opts.maxBacklogBytes,
        onConnection: (t) => serve(t, false, { uid: null, user: null, pid: null, via: 'ws' }),
        onHttp: async (req, res) => {
          const url = new URL(req.url ?? '/', 'http://x');
          if (req.method !== 'GET' || url.pathname !== '/metrics') return false;
          const body = await metrics.render();
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(body);
          return true;
        },
      });
    }
  } catch (e) {
    await d.close();
    throw e;
  }
  return d;
}

export function registerServe(program: Command): void {
  program.command('serve')
    .description('run the engine as a daemon (read-write and read-only unix sockets, websocket)')
    .option('--listen <unix:PATH>', 'read-write unix socket (mode 0600)')
    .option('--listen-ro <unix:PATH>', 'read-only unix socket (mode 0666)')
    .option('--http <HOST:PORT>', 'websocket, browser UI and /metrics (loopback by default)')
    .option('--record <FILE>', 'record raw samples and tuning events to FILE while serving')
    .option('--replay <FILE>', 'serve a recording instead of this host (read-only, with replay controls)')
    .action(async (o: { listen?: string; listenRo?: string; http?: string; record?: string; replay?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      if (g.connect) throw usageError('serve: --connect makes no sense for the daemon');
      const out = makeOut(g.json);
      const token = process.env.VIRTUNE_TOKEN && process.env.VIRTUNE_TOKEN.length >= 16 ? process.env.VIRTUNE_TOKEN : undefined;
      // ops/test knob: the per-client cap on unsent bytes before a client that does not read is dropped
      const cap = Number(process.env.VIRTUNE_SERVE_MAX_BACKLOG ?? '');
      const maxBacklogBytes = Number.isInteger(cap) && cap > 0 ? cap : undefined;
      const d = await startDaemon(g, {
        listen: o.listen ?? null, listenRo: o.listenRo ?? null, http: o.http ?? null, token,
        record: o.record ?? null, replay: o.replay ?? null,
        maxBacklogBytes, eventBacklogBytes: maxBacklogBytes === undefined ? undefined : Math.floor(maxBacklogBytes / 2),
      });
      const info = {
        pid: process.pid,
        demo: d.local.demo !== null,
        record: o.record ?? null,
        replay: o.replay ?? null,
        listen: d.rw ? `unix:${d.rw.path}` : null,
        listenRo: d.ro ? `unix:${d.ro.path}` : null,
        websocket: d.ws ? d.ws.url : null,
        metrics: d.ws ? `http://${d.ws.host.includes(':') ? `[${d.ws.host}]` : d.ws.host}:${d.ws.port}/metrics` : null,
      };
      if (g.json) out.data({ serving: info });
      out.text(`virtune serve: pid ${process.pid}${info.demo ? ' (demo host)' : ''}`);
      if (info.record) out.text(`  recording   ${info.record}`);
      if (info.replay) out.text(`  replaying   ${info.replay} (read-only)`);
      if (info.listen) out.text(`  read-write  ${info.listen}`);
      if (info.listenRo) out.text(`  read-only   ${info.listenRo}`);
      if (info.websocket) out.text(`  websocket   ${info.websocket}`);
      if (info.metrics) out.text(`  metrics     ${info.metrics}`);
      if (d.ws && !isLoopback(d.ws.host)) out.warn(`virtune serve: warning: the websocket listens on ${d.ws.host}, not loopback`);
      if (process.getuid?.() !== 0 && (info.listen !== null)) out.warn('virtune serve: not running as root: tuning will be refused by the OS (exit 4)');
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      out.warn('virtune serve: shutting down');
      await d.close();
    });
}

