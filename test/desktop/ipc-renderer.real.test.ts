// The bundled renderer loaded from file:// (as Electron loads it, under the page's own CSP) in real
// headless Chromium, talking over a FAKE preload bridge (window.virtuneIpc with send/onMessage, backed
// by playwright bindings: the Electron binary cannot run here) to a real in-process demo engine served
// by serveEngine, exactly what desktop/main/app.ts wires to ipcMain. The table fills, the detail opens,
// and the read-only engine's renderer disables tuning and is refused a write (code 4) by the server.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/cli/engine-factory.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import { TransportEvents, type Transport } from '../../src/engine/rpc/transport.js';
import { useLab } from '../helpers/lab.js';
import { launchChromium } from './browser.js';

const UI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/desktop/ui/index.html');
const G: GlobalOptions = { root: '/', demo: 2, connect: null, tokenFile: null, qmp: [], intervalSec: 0.5, write: false, json: false, libvirtUri: null, stateDir: null, auditLog: null };

describe('renderer over a fake preload bridge (file://, real Chromium, real in-process engine)', () => {
  const lab = useLab();

  it('fills the table through the bridge, and a read-only engine disables and refuses tuning', async () => {
    const engine = await openEngine(G);
    lab.defer(() => engine.close());
    const { page, errors } = await launchChromium(lab);
    const ev = new TransportEvents();
    const fromRenderer: string[] = [];
    const transport: Transport = {
      get closed() { return ev.closed; },
      send: (t) => { void page.evaluate((m) => (window as any).__virtuneDeliver?.(m), t).catch(() => undefined); },
      onMessage: (cb) => ev.onMessage(cb),
      onClose: (cb) => ev.onClose(cb),
      close: () => ev.emitClose(),
    };
    const served = serveEngine(engine, transport, { readOnly: true, caller: { uid: 0, user: 'root', pid: process.pid, via: 'ipc' } });
    lab.defer(() => served.close());
    await page.exposeFunction('__virtuneSend', (t: string) => { fromRenderer.push(t); ev.emitMessage(t); });
    await page.addInitScript(() => {
      (window as any).virtuneIpc = Object.freeze({
        send: (t: string) => (window as any).__virtuneSend(t),
        onMessage: (cb: (t: string) => void) => { (window as any).__virtuneDeliver = cb; return () => { (window as any).__virtuneDeliver = null; }; },
      });
    });
    await page.goto(`file://${UI}`);
    await page.waitForFunction(() => document.querySelectorAll('#guest-table tbody tr[data-id]').length === 2, undefined, { timeout: 30_000 });
    expect(await page.textContent('#mode')).toMatch(/read-only/);
    expect(await page.textContent('#host')).toMatch(/READ-ONLY/);
    // no websocket was tried: everything went through the bridge
    expect(fromRenderer.some((t) => JSON.parse(t).method === 'subscribe')).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail');
    expect(await page.isDisabled('#tune-button')).toBe(true);
    // a renderer that asks anyway is refused by the server
    const refused = await page.evaluate(() => new Promise<string>((resolve) => {
      const prev = (window as any).__virtuneDeliver;
      (window as any).__virtuneDeliver = (m: string) => { if (JSON.parse(m).id === 999999) resolve(m); else prev(m); };
      (window as any).virtuneIpc.send(JSON.stringify({ v: 1, kind: 'req', id: 999999, method: 'applyTuning', params: { req: { guest: 'web-01', changes: [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }] } } }));
    }));
    expect(JSON.parse(refused)).toMatchObject({ ok: false, error: { code: 4 } });
    expect(errors).toEqual([]);
  });
});
