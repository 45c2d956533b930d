// Owns the Electron preload: exposes exactly two functions on window.virtuneIpc — send(text) and
// onMessage(cb) — over the one IPC channel, through contextBridge (contextIsolation: the renderer
// never touches ipcRenderer or Node). Only strings cross; anything else is dropped.
// exposeBridge() takes contextBridge/ipcRenderer as arguments so it is unit-tested with fakes.

import { BRIDGE_NAME, IPC_CHANNEL, type VirtuneBridge } from '../shared/bridge.js';

export interface ContextBridgeLike { exposeInMainWorld(key: string, api: unknown): void }
export interface IpcRendererLike {
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function makeBridge(ipc: IpcRendererLike): VirtuneBridge {
  return Object.freeze({
    send(text: string): void {
      if (typeof text === 'string') ipc.send(IPC_CHANNEL, text);
    },
    onMessage(cb: (text: string) => void): () => void {
      if (typeof cb !== 'function') return () => undefined;
      // the Electron event object is NOT passed on (it carries sender and ports)
      const listener = (_event: unknown, msg: unknown): void => { if (typeof msg === 'string') cb(msg); };
      ipc.on(IPC_CHANNEL, listener);
      return () => { ipc.removeListener(IPC_CHANNEL, listener); };
    },
  });
}

export function exposeBridge(contextBridge: ContextBridgeLike, ipc: IpcRendererLike): void {
  contextBridge.exposeInMainWorld(BRIDGE_NAME, makeBridge(ipc));
}
