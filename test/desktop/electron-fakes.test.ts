// Electron main process and preload with injected FAKES of BrowserWindow, webContents, ipcMain,
// session, app and contextBridge (the Electron binary cannot run here): the window's webPreferences
// (contextIsolation, sandbox, no Node), CSP on every response, permissions refused, navigation /
// redirects / webviews / new windows denied for every web contents, one IPC channel whose messages
// reach a real in-process demo engine only from the window's own main frame, and a preload that
// exposes exactly send/onMessage and passes only strings.

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/cli/engine-factory.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';
import { startDesktop, type ElectronParts } from '../../src/desktop/main/app.js';
import { DESKTOP_CSP, type PreventableEvent } from '../../src/desktop/main/window.js';
import { exposeBridge, type IpcRendererLike } from '../../src/desktop/preload/preload.js';
import { BRIDGE_NAME, IPC_CHANNEL, type VirtuneBridge } from '../../src/desktop/shared/bridge.js';
import { CSP } from '../../src/engine/node/http-ui.js';

class FakeWebContents extends EventEmitter {
  static next = 1;
  readonly id = FakeWebContents.next++;
  readonly mainFrame = { name: 'main frame' };
  readonly sent: Array<[string, string]> = [];
  openHandler: ((d: { url: string }) => { action: string }) | null = null;
  destroyed = false;
  send(channel: string, message: string): void { this.sent.push([channel, message]); }
  isDestroyed(): boolean { return this.destroyed; }
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' | 'allow' }): void { this.openHandler = h; }
  /** fire a preventable event; true when a listener prevented it */
  attempt(event: string, ...rest: unknown[]): boolean {
    let prevented = false;
    const e: PreventableEvent = { preventDefault: () => { prevented = true; } };
    this.emit(event, e, ...rest);
    return prevented;
  }
}

class FakeBrowserWindow extends EventEmitter {
  static made: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loaded: string | null = null;
  shown = false;
  constructor(readonly opts: Record<string, unknown>) { super(); FakeBrowserWindow.made.push(this); }
  async loadFile(f: string): Promise<void> { this.loaded = f; }
  show(): void { this.shown = true; }
}

class FakeIpcMain extends EventEmitter {}

function fakeElectron() {
  const app = Object.assign(new EventEmitter(), { quitted: 0, whenReady: async () => undefined, quit() { app.quitted++; } });
  let headersListener: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | null = null;
  let permission: ((wc: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
  const session = {
    defaultSession: {
      webRequest: { onHeadersReceived: (l: typeof headersListener) => { headersListener = l; } },
      setPermissionRequestHandler: (h: typeof permission) => { permission = h; },
    },
  };
  const ipcMain = new FakeIpcMain();
  const parts = { app, BrowserWindow: FakeBrowserWindow, ipcMain, session } as unknown as ElectronParts;
  return { parts, app, ipcMain, headers: () => headersListener, permission: () => permission };
}

const G: GlobalOptions = {
  root: '/', demo: 2, connect: null, tokenFile: null, qmp: [], intervalSec: 0.5, write: false, json: false,
  libvirtUri: null, stateDir: null, auditLog: null,
};

function reply(wc: FakeWebContents, id: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + 10_000;
    const look = (): void => {
      for (const [ch, m] of wc.sent) {
        const msg = JSON.parse(m);
        if (ch === IPC_CHANNEL && msg.kind === 'res' && msg.id === id) { resolve(msg); return; }
      }
      if (Date.now() > end) reject(new Error(`no reply ${id}`)); else setTimeout(look, 10);
    };
    look();
  });
}

describe('Electron main process with fake BrowserWindow / ipcMain / session / app', () => {
  it('opens one hardened window and serves a read-only demo engine over the one IPC channel, from its own main frame only', async () => {
    const f = fakeElectron();
    const engine = await openEngine(G);
    const h = await startDesktop(f.parts, engine, { uiDir: '/opt/virtune/ui', preload: '/opt/virtune/preload.cjs', readOnly: true, caller: { uid: 0, user: 'root', pid: 1, via: 'ipc' } });
    try {
      const win = FakeBrowserWindow.made.at(-1)!;
      const wp = win.opts.webPreferences as Record<string, unknown>;
      expect(wp).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webviewTag: false, webSecurity: true, allowRunningInsecureContent: false, preload: '/opt/virtune/preload.cjs' });
      expect(win.loaded).toBe('/opt/virtune/ui/index.html');
      expect(win.shown).toBe(false);
      win.emit('ready-to-show');
      expect(win.shown).toBe(true);

      // navigation, redirects, webviews, new windows: denied, also for web contents created later
      const wc = win.webContents;
      expect(wc.attempt('will-navigate', 'https://example.com/')).toBe(true);
      expect(wc.attempt('will-redirect', 'https://example.com/')).toBe(true);
      expect(wc.attempt('will-attach-webview')).toBe(true);
      expect(wc.openHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
      const other = new FakeWebContents();
      f.app.emit('web-contents-created', {}, other);
      expect(other.attempt('will-navigate', 'file:///etc/passwd')).toBe(true);
      expect(other.openHandler?.({ url: 'x' })).toEqual({ action: 'deny' });

      // CSP replaces whatever a response carried; permissions refused
      let out: Record<string, string[]> = {};
      f.headers()!({ responseHeaders: { 'content-security-policy': ['default-src *'], 'x-other': ['1'] } }, (r) => { out = r.responseHeaders; });
      expect(out).toEqual({ 'x-other': ['1'], 'Content-Security-Policy': [DESKTOP_CSP] });
      expect(DESKTOP_CSP).toBe(CSP);
      let granted: boolean | null = null;
      f.permission()!(wc, 'media', (g) => { granted = g; });
      expect(granted).toBe(false);

      // IPC: the window's main frame reaches the engine; other senders and other frames are dropped
      const req = (id: number, method: string, params: unknown = {}) => JSON.stringify({ v: 1, kind: 'req', id, method, params });
      f.ipcMain.emit(IPC_CHANNEL, { sender: { id: 999 }, senderFrame: {} }, req(1, 'status'));
      f.ipcMain.emit(IPC_CHANNEL, { sender: { id: wc.id }, senderFrame: { name: 'an iframe' } }, req(2, 'status'));
      f.ipcMain.emit(IPC_CHANNEL, { sender: { id: wc.id }, senderFrame: wc.mainFrame }, { not: 'text' });
      f.ipcMain.emit(IPC_CHANNEL, { sender: { id: wc.id }, senderFrame: wc.mainFrame }, req(3, 'status'));
      const r3 = await reply(wc, 3);
      expect(r3.ok).toBe(true);
      expect(r3.result).toMatchObject({ demo: true, readOnly: true });
      expect(wc.sent.some(([, m]) => [1, 2].includes(JSON.parse(m).id))).toBe(false);
      // the read-only desktop cannot tune
      f.ipcMain.emit(IPC_CHANNEL, { sender: { id: wc.id }, senderFrame: wc.mainFrame }, req(4, 'applyTuning', { req: { guest: 'web-01', changes: [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }] } }));
      const r4 = await reply(wc, 4);
      expect(r4).toMatchObject({ ok: false, error: { code: 4 } });

      // closing the window closes the engine and quits
      win.emit('closed');
      await new Promise((r) => setTimeout(r, 50));
      expect(f.app.quitted).toBe(1);
    } finally {
      await h.served.close();
      await engine.close();
    }
  });
});

describe('preload with a fake contextBridge and a fake ipcRenderer', () => {
  function fakes() {
    const exposed: Record<string, unknown> = {};
    const contextBridge = { exposeInMainWorld: (k: string, api: unknown) => { exposed[k] = api; } };
    const ipc = Object.assign(new EventEmitter(), { sentArgs: [] as unknown[][] });
    const ipcRenderer = { send: (...a: unknown[]) => { ipc.sentArgs.push(a); }, on: ipc.on.bind(ipc), removeListener: ipc.removeListener.bind(ipc) } as unknown as IpcRendererLike;
    exposeBridge(contextBridge, ipcRenderer);
    return { exposed, ipc };
  }

  it('exposes only send and onMessage on the one channel, passes only strings and never the event', () => {
    const { exposed, ipc } = fakes();
    expect(Object.keys(exposed)).toEqual([BRIDGE_NAME]);
    const b = exposed[BRIDGE_NAME] as VirtuneBridge;
    expect(Object.keys(b).sort()).toEqual(['onMessage', 'send']);
    expect(Object.isFrozen(b)).toBe(true);
    b.send('{"x":1}');
    (b.send as (x: unknown) => void)({ not: 'a string' });
    expect(ipc.sentArgs).toEqual([[IPC_CHANNEL, '{"x":1}']]);
    const got: unknown[][] = [];
    const off = b.onMessage((...args: unknown[]) => got.push(args));
    ipc.emit(IPC_CHANNEL, { sender: 'secret event object', ports: [] }, 'hello');
    ipc.emit(IPC_CHANNEL, { sender: 'x' }, { an: 'object' });
    ipc.emit('another-channel', {}, 'not for us');
    expect(got).toEqual([['hello']]);
    off();
    ipc.emit(IPC_CHANNEL, {}, 'after unsubscribe');
    expect(got).toEqual([['hello']]);
    expect(ipc.listenerCount(IPC_CHANNEL)).toBe(0);
  });
});
