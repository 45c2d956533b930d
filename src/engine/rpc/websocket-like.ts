// Owns wrapWebSocket: adapts anything shaped like a WebSocket (the browser's WebSocket, or a `ws`
// WebSocket on Node) to a Transport. Sends before the socket opened are queued (bounded).

import { TransportEvents, type Transport } from './transport.js';

export interface WebSocketLike {
  readonly readyState: number;       // 0 connecting, 1 open, 2 closing, 3 closed
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (ev: { data?: unknown }) => void): void;
}

const MAX_QUEUED = 1024;

function asText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return null;
}

export function wrapWebSocket(ws: WebSocketLike): Transport {
  const ev = new TransportEvents();
  const queue: string[] = [];
  ws.addEventListener('open', () => {
    for (const t of queue.splice(0)) ws.send(t);
  });
  ws.addEventListener('message', (e) => {
    const t = asText(e.data);
    if (t !== null) ev.emitMessage(t);
  });
  ws.addEventListener('close', () => ev.emitClose());
  ws.addEventListener('error', () => { /* a close event follows */ });
  return {
    get closed() { return ev.closed; },
    send(text: string): void {
      if (ev.closed) return;
      if (ws.readyState === 0) {
        if (queue.length < MAX_QUEUED) queue.push(text);
        return;
      }
      if (ws.readyState === 1) ws.send(text);
    },
    onMessage: (cb) => ev.onMessage(cb),
    onClose: (cb) => ev.onClose(cb),
    close(): void {
      if (ws.readyState < 2) ws.close(1000, 'bye');
      ev.emitClose();
    },
    backlog: () => ws.bufferedAmount,
  };
}
