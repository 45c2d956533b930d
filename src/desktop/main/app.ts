// Owns the desktop app's main-process wiring, against structural Electron types (tested with fakes):
// harden the default session and every web contents ever created, open the one window, and serve
// the given EngineApi to it over the single IPC channel (sender checked by ipc-transport.ts). Closing
// the window closes the served connection and the engine, then quits.

import type { CallerInfo, EngineApi } from '../../engine/protocol/api.js';
import { serveEngine, type ServedConnection } from '../../engine/rpc/server.js';
import { ipcTransport, type IpcMainLike } from './ipc-transport.js';
import {
  createMainWindow, hardenSession, lockContents, type BrowserWindowCtor, type BrowserWindowLike,
  type SessionLike, type WebContentsLike, type WindowPaths,
} from './window.js';

export interface ElectronAppLike {
  whenReady(): Promise<unknown>;
  on(event: 'web-contents-created', listener: (e: unknown, contents: WebContentsLike) => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  quit(): void;
}

export interface ElectronParts {
  app: ElectronAppLike;
  BrowserWindow: BrowserWindowCtor;
  ipcMain: IpcMainLike;
  session: { defaultSession: SessionLike };
}

export interface DesktopOptions extends WindowPaths {
  /** the engine refuses writes itself when read-only; this flag only keeps IPC from even asking */
  readOnly: boolean;
  caller: CallerInfo;
}

export interface DesktopHandle { window: BrowserWindowLike; served: ServedConnection }

export async function startDesktop(e: ElectronParts, engine: EngineApi, o: DesktopOptions): Promise<DesktopHandle> {
  e.app.on('web-contents-created', (_ev, contents) => lockContents(contents));
  let closing = false;
  const shut = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await engine.close().catch(() => undefined);
    e.app.quit();
  };
  e.app.on('window-all-closed', () => void shut());
  await e.app.whenReady();
  hardenSession(e.session.defaultSession);
  const win = createMainWindow(e.BrowserWindow, o);
  const transport = ipcTransport(e.ipcMain, win.webContents);
  const served = serveEngine(engine, transport, { readOnly: o.readOnly, caller: o.caller });
  win.on('closed', () => { void served.close().then(shut); });
  return { window: win, served };
}
