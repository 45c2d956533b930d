// Owns the browser face's HTTP side of `virtune serve --http`: the token-for-cookie exchange and the
// renderer bundle. A request carrying `?token=T` that the websocket server accepts (checkToken, which
// also knows the role) gets a session cookie (HttpOnly, SameSite=Strict) and a redirect to the same
// address without the token (so it leaves the address bar and the history). The cookie is
// `ROLE.NONCE.MAC` with an HMAC keyed by the daemon's token secret: no session table, it survives a
// daemon restart with the same tokens (the page reconnects by itself), and rotating the tokens
// invalidates every cookie. With a valid cookie the bundle (index.html, app.js, app.css) is served
// with a strict CSP; without one, every path gets only a short refusal. Websocket upgrades without a
// token are accepted through sessionRole() when the cookie is valid and the request carries an Origin.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';

export type SessionRole = 'viewer' | 'operator';

export interface BrowserUiOptions {
  /** directory holding index.html, app.js and app.css (dist/desktop/ui) */
  dir: string;
  /** the websocket server's own token check: the role a token grants, or null */
  checkToken(token: string): SessionRole | null;
  /** the secret session cookies are signed with (derived from the daemon's tokens); read per use */
  sessionKey(): string;
}

export interface BrowserUi {
  /** plain HTTP handler: always answers (refusal, redirect, file or 404) */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** the role of the session cookie of a websocket upgrade, or null */
  sessionRole(req: http.IncomingMessage): SessionRole | null;
}

export const SESSION_COOKIE = 'virtune_session';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
  + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const REFUSAL = 'virtune: not authorised. Open the address with its token that `virtune serve --http` printed at start.\n';

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

const mac = (key: string, text: string): string => createHmac('sha256', key).update(text).digest('base64url');

/** a fresh signed session value for a role */
export function signSession(key: string, role: SessionRole): string {
  const body = `${role}.${randomBytes(18).toString('base64url')}`;
  return `${body}.${mac(key, body)}`;
}

/** the role of a signed session value, or null */
export function verifySession(key: string, value: string): SessionRole | null {
  const m = /^(viewer|operator)\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m || key === '') return null;
  const want = Buffer.from(mac(key, `${m[1]}.${m[2]}`));
  const got = Buffer.from(m[3] as string);
  return want.length === got.length && timingSafeEqual(want, got) ? (m[1] as SessionRole) : null;
}

export function createBrowserUi(opts: BrowserUiOptions): BrowserUi {
  const cache = new Map<string, Buffer>();
  const fileBytes = (name: string): Buffer | null => {
    let b = cache.get(name);
    if (b) return b;
    try { b = readFileSync(path.join(opts.dir, name)); } catch { return null; }
    cache.set(name, b);
    return b;
  };
  const roleOf = (req: http.IncomingMessage): SessionRole | null => {
    const v = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return v === null ? null : verifySession(opts.sessionKey(), v);
  };
  const refuse = (res: http.ServerResponse): true => {
    res.writeHead(401, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end(REFUSAL);
    return true;
  };

  return {
    sessionRole(req) {
      if (typeof req.headers.origin !== 'string') return null;
      return roleOf(req);
    },
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://x');
      const token = url.searchParams.get('token');
      if (token !== null) {
        const role = opts.checkToken(token);
        if (role === null) return refuse(res);
        const id = signSession(opts.sessionKey(), role);
        url.searchParams.delete('token');
        const rest = url.searchParams.toString();
        res.writeHead(303, {
          ...SECURITY_HEADERS,
          'set-cookie': `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`,
          location: `${url.pathname}${rest ? `?${rest}` : ''}`,
        });
        res.end();
        return true;
      }
      if (roleOf(req) === null) return refuse(res);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain' });
        res.end('method not allowed\n');
        return true;
      }
      const f = FILES[url.pathname];
      if (!f) {
        res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain' });
        res.end('not found\n');
        return true;
      }
      const body = fileBytes(f.file);
      if (!body) {
        res.writeHead(503, { ...SECURITY_HEADERS, 'content-type': 'text/plain' });
        res.end('virtune: the renderer bundle is missing (run `npm run build`)\n');
        return true;
      }
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': f.type, 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
