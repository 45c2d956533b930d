// Owns the renderer's link to the engine: in Electron the preload's two-function bridge (one IPC
// channel), in a browser a websocket to the daemon that served the page (the session cookie set by
// the token exchange authenticates it). A dropped link is reported and re-opened with back-off; the
// app re-subscribes on every new link.

import { connectEngine, type RemoteEngine } from '../../engine/rpc/client.js';
import { TransportEvents, type Transport } from '../../engine/rpc/transport.js';
import { wrapWebSocket, type WebSocketLike } from '../../engine/rpc/websocket-like.js';
import { BRIDGE_NAME, type VirtuneBridge } from '../shared/bridge.js';

function bridge(): VirtuneBridge | null {
  const b = (window as unknown as Record<string, unknown>)[BRIDGE_NAME];
  return b && typeof (b as VirtuneBridge).send === 'function' ? (b as VirtuneBridge) : null;
}

/** IPC transport over the preload bridge (never closes on its own: the window dies with the app) */
function ipcTransport(b: VirtuneBridge): Transport {
  const ev = new TransportEvents();
  const off = b.onMessage((t) => ev.emitMessage(t));
  return {
    get closed() { return ev.closed; },
    send: (t) => { if (!ev.closed) b.send(t); },
    onMessage: (cb) => ev.onMessage(cb),
    onClose: (cb) => ev.onClose(cb),
    close: () => { off(); ev.emitClose(); },
  };
}

export function openTransport(): Transport {
  const b = bridge();
  if (b) return ipcTransport(b);
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return wrapWebSocket(new WebSocket(`${proto}//${location.host}/ws`) as unknown as WebSocketLike);
}

export interface LinkEvents {
  up(engine: RemoteEngine): Promise<void> | void;
  down(reason: string): void;
}

/** Keeps one live engine link; retries 0.5 s, 1 s, 2 s … 5 s after a loss. */
export class Link {
  private engine: RemoteEngine | null = null;
  private delay = 500;
  private stopped = false;

  constructor(private readonly ev: LinkEvents) {}

  get current(): RemoteEngine | null { return this.engine; }

  start(): void { void this.attempt(); }

  stop(): void { this.stopped = true; void this.engine?.close(); }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const t = openTransport();
    const engine = connectEngine(t);
    let lost = false;
    const onLost = (reason: string): void => {
      if (lost || this.stopped) return;
      lost = true;
      if (this.engine === engine) this.engine = null;
      this.ev.down(reason);
      setTimeout(() => void this.attempt(), this.delay);
      this.delay = Math.min(5000, this.delay * 2);
    };
    t.onClose(() => onLost('the connection to the engine closed'));
    try {
      await engine.status();
    } catch (e) {
      onLost((e as Error).message);
      return;
    }
    if (lost) return;
    this.engine = engine;
    this.delay = 500;
    try { await this.ev.up(engine); } catch (e) { this.ev.down((e as Error).message); }
  }
}
