// Owns connecting to a daemon's websocket (`--connect ws://HOST:PORT/?token=T`) with the `ws` package,
// as a Transport.

import WebSocket from 'ws';
import { VirtuneError } from '../model/errors.js';
import type { Transport } from '../rpc/transport.js';
import { wrapWebSocket, type WebSocketLike } from '../rpc/websocket-like.js';

export function connectWs(url: string, opts: { maxPayload?: number } = {}): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: opts.maxPayload ?? 64 * 1024 * 1024 });
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
