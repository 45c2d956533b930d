// Owns the Electron IPC adapter: ipcMain <-> Transport on ONE channel ('virtune:msg') for one window.
// Messages from any other sender (another webContents, or a frame that is not the window's main
// frame) and anything that is not text are dropped before they reach the RPC server. Electron is
// only described structurally here, so the adapter is tested with a fake ipcMain.

import { TransportEvents, type Transport } from '../../engine/rpc/transport.js';
import { IPC_CHANNEL } from '../shared/bridge.js';

export { IPC_CHANNEL };

export interface WebContentsLike {
  readonly id: number;
  send(channel: string, message: string): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
  /** the window's main frame (Electron's webContents.mainFrame) */
  readonly mainFrame?: unknown;
}

export interface IpcMainEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame?: unknown;
}

export interface IpcMainLike {
  on(channel: string, listener: (event: IpcMainEventLike, message: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: IpcMainEventLike, message: unknown) => void): unknown;
}

export interface IpcTransportOptions {
  /** largest accepted message in UTF-16 units (default 1 Mi) */
  maxMessageChars?: number;
}

export function ipcTransport(ipcMain: IpcMainLike, contents: WebContentsLike, opts: IpcTransportOptions = {}): Transport & { readonly dropped: number } {
  const ev = new TransportEvents();
  const max = opts.maxMessageChars ?? 1024 * 1024;
  let dropped = 0;
  const listener = (event: IpcMainEventLike, message: unknown): void => {
    const fromOurWindow = event.sender?.id === contents.id;
    const fromMainFrame = contents.mainFrame === undefined || event.senderFrame === contents.mainFrame;
    if (!fromOurWindow || !fromMainFrame || typeof message !== 'string' || message.length > max) {
      dropped++;
      return;
    }
    ev.emitMessage(message);
  };
  ipcMain.on(IPC_CHANNEL, listener);
  const shut = (): void => {
    ipcMain.removeListener(IPC_CHANNEL, listener);
    ev.emitClose();
  };
  contents.once('destroyed', shut);
  return {
    get closed() { return ev.closed; },
    get dropped() { return dropped; },
    send(text: string): void {
      if (ev.closed || contents.isDestroyed()) return;
      contents.send(IPC_CHANNEL, text);
    },
    onMessage: (cb) => ev.onMessage(cb),
    onClose: (cb) => ev.onClose(cb),
    close: shut,
  };
}
