// Owns the wiring of the browser face into `virtune serve --http`: where the renderer bundle lives
// (dist/desktop/ui, built by `npm run build`), the BrowserUi whose token check is the websocket
// server's own (so whatever tokens and roles the daemon accepts, the cookie exchange accepts); the
// addresses with their tokens are the viewer/operator lines serve prints at start.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createBrowserUi, type BrowserUi } from '../engine/node/http-ui.js';
import type { WsServer } from '../engine/node/ws-server.js';

/** dist/desktop/ui: beside this file once built (dist/cli/serve-http.js), or dist/ when run from src/ */
export function browserUiDir(): string {
  const built = fileURLToPath(new URL('../desktop/ui/', import.meta.url));
  if (existsSync(built)) return built;
  return fileURLToPath(new URL('../../dist/desktop/ui/', import.meta.url));
}

/** ws() is read per request: the server exists only after it listens */
export function browserUi(ws: () => WsServer | null): BrowserUi {
  return createBrowserUi({
    dir: browserUiDir(),
    checkToken: (t) => ws()?.checkToken(t) ?? null,
    // cookies are signed with both tokens: a restart with the same tokens keeps browser sessions valid,
    // new tokens end them
    sessionKey: () => { const w = ws(); return w ? `${w.tokens.viewer}.${w.tokens.operator}` : ''; },
  });
}
