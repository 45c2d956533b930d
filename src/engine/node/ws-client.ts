// Owns connecting to a daemon's websocket (`--connect ws://HOST:PORT/`) with the `ws` package, as a
// Transport. The token goes in an `Authorization: Bearer` header (never in the URL the caller logs).

import WebSocket from 'ws';
import { VirtuneError } from '../model/errors.js';
import type { Transport } from '../rpc/transport.js';
import { wrapWebSocket, type WebSocketLike } from '../rpc/websocket-like.js';

export function connectWs(url: string, opts: { maxPayload?: number; token?: string | null } = {}): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    const ws = new WebSocket(url, { maxPayload: opts.maxPayload ?? 64 * 1024 * 1024, headers });
    const t = wrapWebSocket(ws as unknown as WebSocketLike);
    const onError = (e: Error): void => {
      reject(new VirtuneError(1, `cannot connect to ${url.replace(/token=[^&]*/, 'token=…')}: ${e.message}`));
    };
    ws.once('error', onError);
    ws.once('unexpected-response', (_req, res) => {
      ws.off('error', onError);
      const code = res.statusCode === 401 || res.statusCode === 403 ? 4 : 1;
      reject(new VirtuneError(code, `the daemon refused the websocket: HTTP ${res.statusCode ?? '?'}`));
      ws.terminate();
    });
    ws.once('open', () => { ws.off('error', onError); resolve(t); });
  });
}
