// Owns the daemon's HTTP + websocket endpoint (`virtune serve --http HOST:PORT`): websocket upgrades
// need the per-launch token (`?token=`, compared in constant time by checkToken, which gives the
// token's role) or a browser session the sessionRole hook vouches for and, when the client sends an
// Origin, one of the allowed origins (the daemon's own address by default); plain HTTP requests go to
// a handler the composition root supplies (/metrics, the browser UI). Loopback by default. A client
// whose unsent bytes pass a cap is dropped (back-pressure).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { VirtuneError } from '../model/errors.js';
import type { Transport } from '../rpc/transport.js';
import { wrapWebSocket, type WebSocketLike } from '../rpc/websocket-like.js';

export type WsRole = 'viewer' | 'operator';

export interface WsConnectionInfo { remoteAddress: string | null; origin: string | null; role: WsRole }

export interface WsServerOptions {
  host: string;
  port: number;
  /** default: a fresh random token */
  token?: string;
  /** extra allowed Origin values (the server's own http://HOST:PORT forms are always allowed) */
  allowedOrigins?: string[];
  /** largest inbound websocket message (default 1 MiB) */
  maxPayload?: number;
  /** drop a client with more than this many bytes unsent (default 64 MiB) */
  maxBacklogBytes?: number;
  onConnection(t: Transport, info: WsConnectionInfo): void;
  /** an upgrade without ?token= (a browser's session cookie, see http-ui.ts): its role, or null */
  sessionRole?(req: http.IncomingMessage): WsRole | null;
  /** plain HTTP: return true when handled */
  onHttp?(req: http.IncomingMessage, res: http.ServerResponse): boolean | Promise<boolean>;
}

export interface WsServer {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** ws://HOST:PORT/?token=T */
  readonly url: string;
  readonly connections: number;
  /** the role a token grants, or null: the one check every token-bearing door uses */
  checkToken(token: string): WsRole | null;
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

export async function startWsServer(opts: WsServerOptions): Promise<WsServer> {
  // the last large text sent and its UTF-8 bytes (the same event string goes to every subscriber)
  let lastText: string | null = null;
  let lastBytes: Buffer = Buffer.alloc(0);
  const encodeOnce = (text: string): Buffer => {
    if (text !== lastText) { lastText = text; lastBytes = Buffer.from(text, 'utf8'); }
    return lastBytes;
  };
  const token = opts.token ?? newToken();
  const checkToken = (t: string): WsRole | null => (sameToken(t, token) ? 'operator' : null);
  const maxBacklog = opts.maxBacklogBytes ?? 64 * 1024 * 1024;
  const clients = new Set<WebSocket>();
  const server = http.createServer((req, res) => {
    const handled = opts.onHttp ? opts.onHttp(req, res) : false;
    void Promise.resolve(handled).then((h) => {
      if (h) return;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }, () => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('error\n');
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 1024 * 1024 });
  let port = opts.port;
  const allowed = (): Set<string> => {
    const hosts = [opts.host, 'localhost', '127.0.0.1', '[::1]'].map((h) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h));
    return new Set([...hosts.map((h) => `http://${h}:${port}`), ...(opts.allowedOrigins ?? [])]);
  };
  const refuse = (socket: import('node:stream').Duplex, code: number, text: string): void => {
    socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const given = url.searchParams.get('token');
    const role = given !== null ? checkToken(given) : opts.sessionRole?.(req) ?? null;
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
  return {
    host: opts.host, port, token,
    url: `ws://${hostInUrl}:${port}/?token=${token}`,
    get connections() { return clients.size; },
    checkToken,
    async close(): Promise<void> {
      for (const c of clients) c.close(1001, 'server shutting down');
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      setTimeout(() => { for (const c of clients) c.terminate(); server.closeAllConnections(); }, 500).unref();
      wss.close();
      await done;
    },
  };
}
