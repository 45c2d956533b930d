// Owns the transport set-ups the contract suite runs over: direct calls, the JSON loopback, a unix
// socket, a websocket on 127.0.0.1 and Electron IPC through a fake ipcMain/webContents (the Electron
// binary cannot run here). Each returns the client EngineApi and a cleanup.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/core/engine.js';
import { connectUnix, listenUnix, socketTransport } from '../../src/engine/node/unix-socket.js';
import { connectWs } from '../../src/engine/node/ws-client.js';
import { startWsServer } from '../../src/engine/node/ws-server.js';
import type { CallerInfo, EngineApi } from '../../src/engine/protocol/api.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { createLoopbackPair } from '../../src/engine/rpc/loopback.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import { TransportEvents, type Transport } from '../../src/engine/rpc/transport.js';
import { IPC_CHANNEL, ipcTransport, type IpcMainEventLike, type IpcMainLike } from '../../src/desktop/main/ipc-transport.js';

export interface Connected { api: EngineApi; cleanup(): Promise<void> }
export type Connect = (engine: Engine, opts: { readOnly: boolean; caller: CallerInfo }) => Promise<Connected>;

type Listener = (event: IpcMainEventLike, message: unknown) => void;

/** A stand-in for Electron's ipcMain (one process, no binary). */
export class FakeIpcMain implements IpcMainLike {
  private readonly listeners = new Map<string, Set<Listener>>();
  on(channel: string, l: Listener): this { (this.listeners.get(channel) ?? this.listeners.set(channel, new Set()).get(channel)!).add(l); return this; }
  removeListener(channel: string, l: Listener): this { this.listeners.get(channel)?.delete(l); return this; }
  emit(channel: string, event: IpcMainEventLike, message: unknown): void {
    for (const l of [...(this.listeners.get(channel) ?? [])]) l(event, message);
  }
  count(channel: string): number { return this.listeners.get(channel)?.size ?? 0; }
}

/** A stand-in for a BrowserWindow's webContents plus the renderer's side of the preload bridge. */
export class FakeWebContents {
  readonly mainFrame = { name: 'main' };
  readonly subFrame = { name: 'iframe' };
  private destroyedFlag = false;
  private readonly onDestroyed: Array<() => void> = [];
  readonly toRenderer = new TransportEvents();
  constructor(readonly id: number, private readonly ipcMain: FakeIpcMain) {}
  send(channel: string, message: string): void {
    if (channel !== IPC_CHANNEL) return;
    queueMicrotask(() => this.toRenderer.emitMessage(message));
  }
  isDestroyed(): boolean { return this.destroyedFlag; }
  once(_e: 'destroyed', l: () => void): this { this.onDestroyed.push(l); return this; }
  destroy(): void { this.destroyedFlag = true; for (const l of this.onDestroyed) l(); this.toRenderer.emitClose(); }
  /** what the renderer's bridge.send does: ipcRenderer.send on the one channel */
  rendererSend(message: unknown, frame: unknown = this.mainFrame): void {
    queueMicrotask(() => this.ipcMain.emit(IPC_CHANNEL, { sender: { id: this.id }, senderFrame: frame }, message));
  }
  /** the renderer side as a Transport */
  rendererTransport(): Transport {
    const self = this;
    return {
      get closed() { return self.toRenderer.closed; },
      send: (t) => self.rendererSend(t),
      onMessage: (cb) => self.toRenderer.onMessage(cb),
      onClose: (cb) => self.toRenderer.onClose(cb),
      close: () => self.destroy(),
    };
  }
}

export const TRANSPORTS: Record<string, Connect> = {
  direct: async (engine) => ({ api: engine, cleanup: async () => undefined }),

  loopback: async (engine, opts) => {
    const [a, b] = createLoopbackPair();
    const served = serveEngine(engine, a, opts);
    const api = connectEngine(b);
    return { api, cleanup: async () => { await api.close(); await served.close(); } };
  },

  unix: async (engine, opts) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-contract-'));
    const sockPath = path.join(dir, 'engine.sock');
    const listener = await listenUnix(sockPath, {
      mode: 0o600,
      onConnection: (sock) => { serveEngine(engine, socketTransport(sock, { maxLineBytes: 1024 * 1024 }), opts); },
    });
    const api = connectEngine(await connectUnix(sockPath));
    return { api, cleanup: async () => { await api.close(); await listener.close(); rmSync(dir, { recursive: true, force: true }); } };
  },

  websocket: async (engine, opts) => {
    const server = await startWsServer({ host: '127.0.0.1', port: 0, onConnection: (t) => { serveEngine(engine, t, opts); } });
    const api = connectEngine(await connectWs(server.url));
    return { api, cleanup: async () => { await api.close(); await server.close(); } };
  },

  'ipc (fake ipcMain, no Electron binary)': async (engine, opts) => {
    const ipcMain = new FakeIpcMain();
    const contents = new FakeWebContents(7, ipcMain);
    const served = serveEngine(engine, ipcTransport(ipcMain, contents), opts);
    const api = connectEngine(contents.rendererTransport());
    return { api, cleanup: async () => { await api.close(); await served.close(); } };
  },
};
