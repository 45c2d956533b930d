// Owns `virtune serve`: the engine as a daemon. `--listen unix:PATH` (read-write: mode 0600 and root
// only, or with `--acl FILE` mode 0666 and every request authorised by the peer's SO_PEERCRED
// credentials), `--listen-ro unix:PATH` (read-only, mode 0666: no tuning, no audit log, no journal),
// `--http HOST:PORT` (websocket + /metrics with two roles, viewer and operator, each with its own
// per-launch token written 0600 to STATE_DIR/http-{viewer,operator}.token; loopback unless
// `--tls-cert/--tls-key`; /metrics needs a token unless `--metrics-open`). Per-peer limits on
// connections, subscriptions and request rate. SIGTERM/SIGINT close clients and remove the socket
// files; a stale socket file is replaced, a live one is never stolen (exit 1). `--record FILE` records
// while serving; `--replay FILE` serves a recording instead of this host. startDaemon() is
// exported so the bench and tests can run the daemon in-process.

import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type * as net from 'node:net';
import * as path from 'node:path';
import type { Acl } from '../../engine/access/acl.js';
import { VirtuneError, usageError } from '../../engine/model/errors.js';
import { groupNames, peerCredAvailable, peerCredOf, userName, type PeerCred } from '../../engine/node/peercred.js';
import { listenUnix, socketTransport, type UnixListener } from '../../engine/node/unix-socket.js';
import { isLoopback, newToken, parseHostPort, startWsServer, type WsServer } from '../../engine/node/ws-server.js';
import { MAX_REQUEST_BYTES } from '../../engine/protocol/messages.js';
import { PROTOCOL_VERSION, type CallerInfo } from '../../engine/protocol/api.js';
import { DEFAULT_PEER_LIMITS, PeerLimits, type PeerLimitSettings, type PeerSlot } from '../../engine/rpc/peer-limits.js';
import { serveEngine, type RequestGuard, type ServedConnection } from '../../engine/rpc/server.js';
import type { Transport } from '../../engine/rpc/transport.js';
import type { SampleBlockEncoder } from '../../engine/ports/recording.js';
import { buildLocalEngine, packageVersion, stateDirOnHost, type LocalEngine } from '../engine-factory.js';
import { makeOut, parseGlobals, type GlobalOptions } from '../runtime.js';
import { buildReplayEngine, startRecording, type ReplayEngine } from '../recording.js';
import { Access, loadAcl } from '../serve-access.js';
import { createMetrics } from '../serve-metrics.js';
import { browserUi } from '../serve-http.js';

function replayAsLocal(r: ReplayEngine): LocalEngine {
  return { engine: r.engine, demo: null, stop: r.stop };
}

export interface DaemonOptions {
  listen: string | null;
  listenRo: string | null;
  http: string | null;
  /** --acl: rights of local users on the read-write socket (null: root only, socket 0600) */
  acl?: Acl | null;
  /** --tls-cert / --tls-key (PEM files): https + wss; required for a non-loopback --http */
  tlsCert?: string | null;
  tlsKey?: string | null;
  /** --metrics-open: /metrics without a token */
  metricsOpen?: boolean;
  /** fixed tokens (tests, bench); default: fresh random ones per launch */
  tokens?: { viewer?: string; operator?: string };
  /** per-peer limits (default DEFAULT_PEER_LIMITS) */
  limits?: Partial<PeerLimitSettings>;
  /** per-client cap on unsent bytes before the client is dropped */
  maxBacklogBytes?: number;
  /** skip snapshot events while a client has more than this queued */
  eventBacklogBytes?: number;
  /** record raw samples and tuning events to this file while serving */
  record?: string | null;
  /** serve a recording instead of this host (read-only; replay controls over EngineApi) */
  replay?: string | null;
  /** the peer-credential reader (tests inject a missing one) */
  peerCred?: { available(): boolean; of(sock: net.Socket): PeerCred | null };
}

export interface Daemon {
  local: LocalEngine;
  rw: UnixListener | null;
  ro: UnixListener | null;
  ws: WsServer | null;
  /** token files written for --http (viewer, operator) */
  tokenFiles: { viewer: string; operator: string } | null;
  clients(): number;
  close(): Promise<void>;
}

function unixPath(flag: string, v: string): string {
  if (!v.startsWith('unix:') || v.length <= 'unix:'.length) throw usageError(`${flag}: '${v}' is not unix:PATH`);
  const p = v.slice('unix:'.length);
  const parent = path.dirname(path.resolve(p));
  if (!fs.existsSync(parent)) throw usageError(`${flag}: no such directory ${parent} (ENOENT): create it first`);
  return p;
}

const errorLine = (code: number, message: string): string => JSON.stringify({
  v: PROTOCOL_VERSION, kind: 'res', id: null, ok: false, error: { code, message },
});
const OVERSIZE_REPLY = errorLine(2, `message too large (over ${MAX_REQUEST_BYTES} bytes)`);

/** Write a token file with mode 0600 whatever the umask: a fresh file beside it, then renamed over. */
function writeSecret(file: string, token: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, token + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function readPem(flag: string, file: string): Buffer {
  try { return fs.readFileSync(file); } catch (e) {
    throw usageError(`${flag}: cannot read '${file}' (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

export async function startDaemon(g: GlobalOptions, opts: DaemonOptions): Promise<Daemon> {
  const rwPath = opts.listen ? unixPath('--listen', opts.listen) : null;
  const roPath = opts.listenRo ? unixPath('--listen-ro', opts.listenRo) : null;
  const http = opts.http ? parseHostPort(opts.http) : null;
  if (!rwPath && !roPath && !http) throw usageError('serve: give at least one of --listen unix:PATH, --listen-ro unix:PATH, --http HOST:PORT');
  if (rwPath && rwPath === roPath) throw usageError('serve: --listen and --listen-ro must be different paths');
  if ((opts.tlsCert ?? null) !== null && (opts.tlsKey ?? null) === null) throw usageError('serve: --tls-cert needs --tls-key');
  if ((opts.tlsKey ?? null) !== null && (opts.tlsCert ?? null) === null) throw usageError('serve: --tls-key needs --tls-cert');
  if (opts.tlsCert && !http) throw usageError('serve: --tls-cert/--tls-key go with --http HOST:PORT');
  if (http && !isLoopback(http.host) && !opts.tlsCert) {
    throw usageError(`serve: --http ${http.host} is not loopback: give --tls-cert FILE and --tls-key FILE (tokens must not cross a network in clear text)`);
  }
  if (opts.acl && !rwPath) throw usageError('serve: --acl grants rights on the read-write socket: give --listen unix:PATH');
  const cred = opts.peerCred ?? { available: peerCredAvailable, of: peerCredOf };
  if (rwPath && !cred.available()) {
    throw new VirtuneError(1, 'serve: cannot read peer credentials (SO_PEERCRED: the native addon native/peercred is not built; run `npm run build:native`): the read-write socket will not start without knowing who calls');
  }
  const tls = opts.tlsCert && opts.tlsKey ? { cert: readPem('--tls-cert', opts.tlsCert), key: readPem('--tls-key', opts.tlsKey) } : null;

  if (opts.record && opts.replay) throw usageError('serve: --record and --replay exclude each other');
  if (opts.replay && (g.demo !== null || g.root !== '/')) throw usageError('serve: --replay serves a recording; --demo and --root do not apply');
  const recording = opts.record ? startRecording({ file: opts.record, demo: g.demo !== null, intervalSec: g.intervalSec }) : null;
  let local: LocalEngine;
  try {
    local = opts.replay
      ? replayAsLocal(buildReplayEngine(opts.replay, packageVersion()))
      : await buildLocalEngine(g, {
        write: true, version: packageVersion(), onRawSample: recording?.onRawSample,
        // the recording's blocks are built in the sampler worker: the samples do not cross whole
        ...(recording ? { recordBeside: (e: SampleBlockEncoder) => recording.encodeWith(e) } : {}),
        // the sampler runs in a worker thread (VIRTUNE_SAMPLER_THREAD=0 keeps it on this thread, for comparison)
        samplerInWorker: process.env.VIRTUNE_SAMPLER_THREAD !== '0',
      });
  } catch (e) {
    await recording?.close().catch(() => undefined);
    throw e;
  }
  const access = new Access({ acl: opts.acl ?? null, engine: local.engine, daemonUid: process.getuid?.() ?? null, now: () => new Date() });
  const limits = new PeerLimits({ ...DEFAULT_PEER_LIMITS, ...opts.limits }, () => performance.now());
  const conns = new Set<ServedConnection>();
  const serve = (t: Transport, slot: PeerSlot, o: { readOnly: boolean; caller: CallerInfo; guard?: RequestGuard }): void => {
    const c = serveEngine(local.engine, t, {
      readOnly: o.readOnly, hideJournal: o.readOnly, caller: o.caller, guard: o.guard, quota: slot.quota,
      eventBacklogBytes: opts.eventBacklogBytes,
    });
    conns.add(c);
    t.onClose(() => { conns.delete(c); slot.release(); });
  };
  const onUnix = (readOnly: boolean) => (sock: net.Socket): void => {
    const pc = cred.of(sock);
    if (!pc && !readOnly) { sock.end(errorLine(4, 'not permitted: the daemon cannot identify this peer (SO_PEERCRED)') + '\n'); sock.destroy(); return; }
    const slot = limits.open(pc ? `uid:${pc.uid}` : 'uid:?');
    if (!slot) {
      // over the per-peer cap: refuse at once (cheap), so one user's flood cannot starve the others
      sock.end(errorLine(1, `too many connections from this user (limit ${limits.settings.maxConnections})`) + '\n');
      sock.destroy();
      return;
    }
    const user = pc ? userName(pc.uid) : null;
    const caller: CallerInfo = { uid: pc?.uid ?? null, user, pid: pc?.pid ?? null, via: 'unix' };
    const t = socketTransport(sock, { maxLineBytes: MAX_REQUEST_BYTES, oversizeReply: OVERSIZE_REPLY, maxBacklogBytes: opts.maxBacklogBytes });
    const guard = !readOnly && pc ? access.forPeer({ uid: pc.uid, user, groups: groupNames(user, pc.gid) }, caller) : undefined;
    serve(t, slot, { readOnly, caller, guard });
  };

  const d: Daemon = { local, rw: null, ro: null, ws: null, tokenFiles: null, clients: () => conns.size, close: async () => undefined };
  let closing: Promise<void> | null = null;
  d.close = () => {
    closing ??= (async () => {
      await Promise.all([...conns].map((c) => c.close().catch(() => undefined)));
      await d.rw?.close();
      await d.ro?.close();
      await d.ws?.close();
      for (const f of d.tokenFiles ? [d.tokenFiles.viewer, d.tokenFiles.operator] : []) {
        try { fs.unlinkSync(f); } catch { /* gone */ }
      }
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
    if (rwPath) d.rw = await listenUnix(rwPath, { mode: opts.acl ? 0o666 : 0o600, onConnection: onUnix(false) });
    if (roPath) d.ro = await listenUnix(roPath, { mode: 0o666, onConnection: onUnix(true) });
    if (http) {
      const tokens = { viewer: opts.tokens?.viewer ?? newToken(), operator: opts.tokens?.operator ?? newToken() };
      const stateDir = stateDirOnHost(g, local.demo ? local.demo.root : g.root);
      const files = { viewer: path.join(stateDir, 'http-viewer.token'), operator: path.join(stateDir, 'http-operator.token') };
      try {
        writeSecret(files.viewer, tokens.viewer);
        writeSecret(files.operator, tokens.operator);
      } catch (e) {
        throw new VirtuneError(1, `serve: cannot write the token files in ${stateDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      d.tokenFiles = files;
      const metrics = createMetrics(local.engine);
      const ui = browserUi(() => d.ws);
      d.ws = await startWsServer({
        sessionRole: (req) => ui.sessionRole(req),
        host: http.host, port: http.port, tokens, tls: tls ?? undefined,
        maxBacklogBytes: opts.maxBacklogBytes,
        onConnection: (t, info) => {
          const slot = limits.open(`addr:${info.remoteAddress ?? '?'}`);
          if (!slot) { t.send(errorLine(1, `too many connections from ${info.remoteAddress ?? 'this address'}`)); t.close(); return; }
          const caller: CallerInfo = { uid: null, user: null, pid: null, via: 'ws', role: info.role, remote: info.remoteAddress };
          if (info.role === 'viewer') serve(t, slot, { readOnly: true, caller });
          else serve(t, slot, { readOnly: false, caller, guard: access.forOperator(caller) });
        },
        onHttp: async (req, res, role) => {
          const url = new URL(req.url ?? '/', 'http://x');
          if (req.method !== 'GET' || url.pathname !== '/metrics') return ui.handle(req, res);
          if (!opts.metricsOpen && role === null) {
            res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="virtune"' });
            res.end('virtune: /metrics needs the viewer token as "Authorization: Bearer TOKEN" (or serve --metrics-open)\n');
            return true;
          }
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
    .option('--listen <unix:PATH>', 'read-write unix socket (mode 0600: root only; 0666 with --acl)')
    .option('--listen-ro <unix:PATH>', 'read-only unix socket (mode 0666; no tuning, audit log or journal)')
    .option('--acl <FILE>', 'JSON rules granting local users rights on the read-write socket')
    .option('--http <HOST:PORT>', 'websocket, browser UI and /metrics (loopback unless --tls-cert/--tls-key)')
    .option('--tls-cert <FILE>', 'PEM certificate for --http (https/wss)')
    .option('--tls-key <FILE>', 'PEM private key for --http')
    .option('--metrics-open', '/metrics without the viewer token')
    .option('--record <FILE>', 'record raw samples and tuning events to FILE while serving')
    .option('--replay <FILE>', 'serve a recording instead of this host (read-only, with replay controls)')
    .action(async (o: { listen?: string; listenRo?: string; acl?: string; http?: string; tlsCert?: string; tlsKey?: string; metricsOpen?: boolean; record?: string; replay?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      if (g.connect) throw usageError('serve: --connect makes no sense for the daemon');
      const out = makeOut(g.json);
      // validated before anything starts: a bad ACL never leaves a daemon running
      const acl = o.acl !== undefined ? loadAcl(o.acl) : null;
      // ops/test knob: the per-client cap on unsent bytes before a client that does not read is dropped
      const cap = Number(process.env.VIRTUNE_SERVE_MAX_BACKLOG ?? '');
      const maxBacklogBytes = Number.isInteger(cap) && cap > 0 ? cap : undefined;
      const d = await startDaemon(g, {
        listen: o.listen ?? null, listenRo: o.listenRo ?? null, http: o.http ?? null, acl,
        tlsCert: o.tlsCert ?? null, tlsKey: o.tlsKey ?? null, metricsOpen: o.metricsOpen === true,
        record: o.record ?? null, replay: o.replay ?? null,
        maxBacklogBytes, eventBacklogBytes: maxBacklogBytes === undefined ? undefined : Math.floor(maxBacklogBytes / 2),
      });
      const ws = d.ws;
      const info = {
        pid: process.pid,
        demo: d.local.demo !== null,
        record: o.record ?? null,
        replay: o.replay ?? null,
        listen: d.rw ? `unix:${d.rw.path}` : null,
        listenRo: d.ro ? `unix:${d.ro.path}` : null,
        acl: acl !== null,
        websocket: ws ? ws.baseUrl : null,
        viewer: ws ? `${ws.httpBase}/?token=${ws.tokens.viewer}` : null,
        operator: ws ? `${ws.httpBase}/?token=${ws.tokens.operator}` : null,
        tokenFiles: d.tokenFiles,
        metrics: ws ? `${ws.httpBase}/metrics` : null,
        metricsOpen: o.metricsOpen === true,
      };
      if (g.json) out.data({ serving: info });
      out.text(`virtune serve: pid ${process.pid}${info.demo ? ' (demo host)' : ''}`);
      if (info.record) out.text(`  recording   ${info.record}`);
      if (info.replay) out.text(`  replaying   ${info.replay} (read-only)`);
      if (info.listen) out.text(`  read-write  ${info.listen}${acl ? ` (--acl: ${acl.rules.length} rule${acl.rules.length === 1 ? '' : 's'})` : ' (root only)'}`);
      if (info.listenRo) out.text(`  read-only   ${info.listenRo}`);
      if (ws && d.tokenFiles) {
        out.text(`  viewer      ${info.viewer}`);
        out.text(`  operator    ${info.operator}`);
        out.text(`  websocket   ${info.websocket} (virtune --connect ${info.websocket} --token-file ${d.tokenFiles.viewer} | ${d.tokenFiles.operator})`);
        out.text(`  metrics     ${info.metrics}${info.metricsOpen ? ' (open)' : ' (Authorization: Bearer <viewer token>)'}`);
      }
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
