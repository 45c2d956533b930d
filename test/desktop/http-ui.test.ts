// The browser face's HTTP side (engine/node/http-ui.ts) on a real loopback HTTP server: refusal
// without a token or cookie, token -> signed HttpOnly SameSite=Strict cookie + redirect without the
// token, the bundle with its CSP for a valid cookie, forged or re-keyed cookies refused.

import { mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cookieValue, createBrowserUi, signSession, verifySession } from '../../src/engine/node/http-ui.js';

const servers: http.Server[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await new Promise((r) => s.close(r)); });

async function serve(key: { k: string }): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-ui-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(path.join(dir, 'app.js'), 'console.log(1)');
  const ui = createBrowserUi({ dir, checkToken: (t) => (t === 'op-token' ? 'operator' : t === 'view-token' ? 'viewer' : null), sessionKey: () => key.k });
  const s = http.createServer((req, res) => { ui.handle(req, res); });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('browser UI token exchange (real loopback HTTP)', () => {
  it('refuses without a token, exchanges a good one for a cookie, serves the bundle only with the cookie', async () => {
    const key = { k: 'secret-1' };
    const base = await serve(key);
    for (const p of ['/', '/app.js', '/nothing', '/?token=bad']) expect((await fetch(base + p, { redirect: 'manual' })).status).toBe(401);
    const r = await fetch(`${base}/?token=view-token&x=1`, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/?x=1');
    const set = r.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^virtune_session=viewer\.[\w-]+\.[\w-]+; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(set).not.toContain('view-token');
    const cookie = set.split(';')[0]!;
    const page = await fetch(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('id="app"');
    expect((await fetch(`${base}/app.js`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/app.css`, { headers: { cookie } })).status).toBe(503); // not in this test bundle
    expect((await fetch(`${base}/etc/passwd`, { headers: { cookie } })).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST', headers: { cookie } })).status).toBe(405);
    // a forged role with the same MAC, and any cookie after the key changed: refused
    const [, nonce, mac] = cookie.split('=')[1]!.split('.');
    expect((await fetch(`${base}/`, { headers: { cookie: `virtune_session=operator.${nonce}.${mac}` } })).status).toBe(401);
    key.k = 'secret-2';
    expect((await fetch(`${base}/`, { headers: { cookie } })).status).toBe(401);
  });

  it('signs and verifies session values; parses cookie headers', () => {
    const v = signSession('k', 'operator');
    expect(verifySession('k', v)).toBe('operator');
    expect(verifySession('other', v)).toBeNull();
    expect(verifySession('', v)).toBeNull();
    expect(verifySession('k', `${v}x`)).toBeNull();
    expect(verifySession('k', 'operator')).toBeNull();
    expect(cookieValue('a=1; virtune_session=xyz; b=2', 'virtune_session')).toBe('xyz');
    expect(cookieValue(undefined, 'virtune_session')).toBeNull();
  });
});
