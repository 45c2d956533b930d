// Owns the wiring of the browser face into `virtune serve --http`: where the renderer bundle lives
// (dist/desktop/ui, built by `npm run build`), the BrowserUi whose token check is the websocket
// server's own (so whatever tokens and roles the daemon accepts, the cookie exchange accepts), and
// the address with its token printed at start.

import { fileURLToPath } from 'node:url';
import { createBrowserUi, type BrowserUi } from '../engine/node/http-ui.js';
import type { WsServer } from '../engine/node/ws-server.js';

/** dist/desktop/ui (this file is dist/cli/serve-http.js once built) */
export function browserUiDir(): string {
  return fileURLToPath(new URL('../desktop/ui/', import.meta.url));
}

/** ws() is read per request: the server exists only after it listens */
export function browserUi(ws: () => WsServer | null): BrowserUi {
  return createBrowserUi({
    dir: browserUiDir(),
    checkToken: (t) => ws()?.checkToken(t) ?? null,
    // cookies are signed with the token: a restart with the same token keeps browser sessions valid
    sessionKey: () => ws()?.token ?? '',
  });
}

export function browserUrl(ws: WsServer, token: string = ws.token): string {
  const host = ws.host.includes(':') ? `[${ws.host}]` : ws.host;
  return `http://${host}:${ws.port}/?token=${encodeURIComponent(token)}`;
}
