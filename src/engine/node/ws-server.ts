// Owns the daemon's HTTP + websocket endpoint (`virtune serve --http HOST:PORT`, https/wss with
// `tls`): two roles with their own per-launch tokens, viewer (read-only) and operator (read-write).
// checkToken(token) is THE one mapping from a token to a role (constant time); roleOf(req) applies it
// to what a request presents — `Authorization: Bearer T`, else `?token=T`, else (no token at all) the
// sessionRole hook (a browser's session cookie, see the browser UI) — for websocket upgrades and for
// the plain-HTTP handler (/metrics, the browser UI), which gets the role. A websocket upgrade needs a
// role and, when the client sends an Origin, one of the allowed origins (the daemon's own address).
// Loopback by default. A client whose unsent bytes pass a cap is dropped (back-pressure).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { VirtuneError } from '../model/errors.js';
import type { Transport } from '../rpc/transport.js';
import { wrapWebSocket, type WebSocketLike } from '../rpc/websocket-like.js';

/** viewer: read-only (as the read-only socket); operator: read-write */
export type WsRole = 'viewer' | 'operator';
export interface WsConnectionInfo { remoteAddress: string | null; origin: string | null; role: WsRole }

export interface WsServerOptions {
  host: string;
  port: number;
  /** the two roles' tokens (default: fresh random ones) */
  tokens?: { viewer?: string; operator?: string };
  /** legacy single token: the operator's */
  token?: string;
  /** serve https/wss with this certificate and key (PEM) */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** extra allowed Origin values (the server's own http://HOST:PORT forms are always allowed) */
  allowedOrigins?: string[];
  /** largest inbound websocket message (default 1 MiB) */
  maxPayload?: number;
  /** drop a client with more than this many bytes unsent (default 64 MiB) */
  maxBacklogBytes?: number;
  onConnection(t: Transport, info: WsConnectionInfo): void;
  /** a request without a token (a browser's session cookie): its role, or null */
  sessionRole?(req: http.IncomingMessage): WsRole | null;
  /** plain HTTP: return true when handled; `role` is roleOf(req) */
  onHttp?(req: http.IncomingMessage, res: http.ServerResponse, role: WsRole | null): boolean | Promise<boolean>;
}

export interface WsServer {
  readonly host: string;
  readonly port: number;
  /** the operator token (legacy name) */
  readonly token: string;
  readonly tokens: { readonly viewer: string; readonly operator: string };
  /** ws(s)://HOST:PORT/?token=OPERATOR (tests; the daemon prints tokenless URLs) */
  readonly url: string;
  /** ws(s)://HOST:PORT/ without a token */
  readonly baseUrl: string;
  /** http(s)://HOST:PORT */
  readonly httpBase: string;
  /** the role a presented token grants (constant-time comparison), null for none */
  checkToken(token: string | null | undefined): WsRole | null;
  /** the role of a request: Authorization: Bearer, else ?token=, else the sessionRole hook */
  roleOf(req: http.IncomingMessage): WsRole | null;
  readonly connections: number;
  close(): Promise<void>;
}

export function newToken(): string { return randomBytes(24).toString('base64url'); }

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** `PORT`, `HOST:PORT` or `[V6]:PORT` -> host + port (default host 127.0.0.1). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new VirtuneError(2, `--http: '${text}' is not HOST:PORT (port 0-65535)`);
  }
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  return { host, port };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request presents: `Authorization: Bearer T`, else `?token=T`; null when none. */
export function presentedToken(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1] as string;
  }
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  return q !== null && q !== '' ? q : null;
}

export async function startWsServer(opts: WsServerOptions): Promise<WsServer> {
  // the last large text sent and its UTF-8 bytes (the same event string goes to every subscriber)
  let lastText: string | null = null;
  let lastBytes: Buffer = Buffer.alloc(0);
  const encodeOnce = (text: string): Buffer => {
    if (text !== lastText) { lastText = text; lastBytes = Buffer.from(text, 'utf8'); }
    return lastBytes;
  };
  const tokens = { viewer: opts.tokens?.viewer ?? newToken(), operator: opts.tokens?.operator ?? opts.token ?? newToken() };
  if (sameToken(tokens.viewer, tokens.operator)) throw new VirtuneError(2, '--http: the viewer and operator tokens must differ');
  const checkToken = (t: string | null | undefined): WsRole | null => {
    if (!t) return null;
    // compare against both, always: the time taken does not tell which (if any) matched
    const op = sameToken(t, tokens.operator);
    const vi = sameToken(t, tokens.viewer);
    return op ? 'operator' : vi ? 'viewer' : null;
  };
  const roleOf = (req: http.IncomingMessage): WsRole | null => {
    const t = presentedToken(req);
    return t !== null ? checkToken(t) : opts.sessionRole?.(req) ?? null;
  };
  const maxBacklog = opts.maxBacklogBytes ?? 64 * 1024 * 1024;
  const clients = new Set<WebSocket>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const handled = opts.onHttp ? opts.onHttp(req, res, roleOf(req)) : false;
    void Promise.resolve(handled).then((h) => {
      if (h) return;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }, () => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('error\n');
    });
  };
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
  const scheme = opts.tls ? 'https' : 'http';
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 1024 * 1024 });
  let port = opts.port;
  const allowed = (): Set<string> => {
    const hosts = [opts.host, 'localhost', '127.0.0.1', '[::1]'].map((h) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h));
    return new Set([...hosts.map((h) => `${scheme}://${h}:${port}`), ...(opts.allowedOrigins ?? [])]);
  };
  const refuse = (socket: import('node:stream').Duplex, code: number, text: string): void => {
    socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  server.on('upgrade', (req, socket, head) => {
    const role = roleOf(req);
    if (role === null) { refuse(socket, 401, 'Unauthorized'); return; }
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
    if (origin !== null && !allowed().has(origin)) { refuse(socket, 403, 'Forbidden'); return; }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      const inner = wrapWebSocket(ws as unknown as WebSocketLike);
      const t: Transport = {
        get closed() { return inner.closed; },
        send(text) {
          if (ws.bufferedAmount > maxBacklog) { ws.terminate(); return; }
          // a snapshot event goes to every subscriber as the same string: encode it once, not per client
          if (text.length >= 4096 && !inner.closed && ws.readyState === ws.OPEN) { ws.send(encodeOnce(text), { binary: false }); return; }
          inner.send(text);
        },
        onMessage: (cb) => inner.onMessage(cb),
        onClose: (cb) => inner.onClose(cb),
        close: () => inner.close(),
        backlog: () => ws.bufferedAmount,
      };
      opts.onConnection(t, { remoteAddress: req.socket.remoteAddress ?? null, origin, role });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new VirtuneError(1, `--http: cannot listen on ${opts.host}:${opts.port}: ${e.code ?? e.message}`)));
    server.listen(opts.port, opts.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const ws = opts.tls ? 'wss' : 'ws';
  return {
    host: opts.host, port, token: tokens.operator, tokens,
    url: `${ws}://${hostInUrl}:${port}/?token=${tokens.operator}`,
    baseUrl: `${ws}://${hostInUrl}:${port}/`,
    httpBase: `${scheme}://${hostInUrl}:${port}`,
    checkToken, roleOf,
    get connections() { return clients.size; },
    async close(): Promise<void> {
      for (const c of clients) c.close(1001, 'server shutting down');
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      setTimeout(() => { for (const c of clients) c.terminate(); server.closeAllConnections(); }, 500).unref();
      wss.close();
      await done;
    },
  };
}
