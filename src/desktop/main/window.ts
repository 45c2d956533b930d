// Owns the Electron window and its hardening, written against structural types so it is unit-tested
// with fakes (the Electron binary is not needed): webPreferences with contextIsolation, sandbox and
// no Node integration; a strict Content-Security-Policy header on every response (the page also
// carries it as a meta tag); navigation, redirects, webviews and new windows denied for every web
// contents the app creates; every permission request refused.

import * as path from 'node:path';

/** the same policy the daemon sends with the browser bundle (engine/node/http-ui.ts CSP) */
export const DESKTOP_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
  + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

export interface PreventableEvent { preventDefault(): void }

export interface WebContentsLike {
  readonly id: number;
  readonly mainFrame?: unknown;
  send(channel: string, message: string): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', listener: (e: PreventableEvent, ...rest: unknown[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
}

export interface BrowserWindowLike {
  readonly webContents: WebContentsLike;
  loadFile(file: string): Promise<void>;
  once(event: 'ready-to-show' | 'closed', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
  show(): void;
}

export interface SessionLike {
  webRequest: {
    onHeadersReceived(listener: (details: { responseHeaders?: Record<string, string[]> }, callback: (r: { responseHeaders: Record<string, string[]> }) => void) => void): void;
  };
  setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler?(handler: (...args: unknown[]) => boolean): void;
}

export type BrowserWindowCtor = new (opts: Record<string, unknown>) => BrowserWindowLike;

export interface WindowPaths { uiDir: string; preload: string }

export function webPreferences(preload: string): Record<string, unknown> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** deny navigation, redirects, webviews and new windows for one web contents */
export function lockContents(wc: WebContentsLike): void {
  const deny = (e: PreventableEvent): void => e.preventDefault();
  wc.on('will-navigate', deny);
  wc.on('will-redirect', deny);
  wc.on('will-attach-webview', deny);
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** CSP on every response and no permissions, for the session the window uses */
export function hardenSession(s: SessionLike): void {
  s.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-security-policy') delete headers[k];
    headers['Content-Security-Policy'] = [DESKTOP_CSP];
    callback({ responseHeaders: headers });
  });
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler?.(() => false);
}

export function createMainWindow(BrowserWindow: BrowserWindowCtor, paths: WindowPaths, title = 'virtune'): BrowserWindowLike {
  const win = new BrowserWindow({
    width: 1400, height: 900, minWidth: 720, minHeight: 480, show: false, title,
    autoHideMenuBar: true,
    webPreferences: webPreferences(paths.preload),
  });
  lockContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadFile(path.join(paths.uiDir, 'index.html'));
  return win;
}
