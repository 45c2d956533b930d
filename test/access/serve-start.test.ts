// Start-up checks of `virtune serve` (startDaemon in-process, refused before any engine or socket
// starts): no SO_PEERCRED means no read-write socket (exit 1, never a silent null caller); a
// non-loopback --http needs TLS; --acl needs a read-write socket; TLS flags go in pairs.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/cli/commands/serve.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';

const g: GlobalOptions = {
  root: '/', demo: 1, connect: null, tokenFile: null, qmp: [], intervalSec: 1, write: false, json: false,
  libvirtUri: null, stateDir: null, auditLog: null,
};
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('serve start-up checks', () => {
  it('refuses the read-write socket without peer credentials, and creates nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-start-'));
    dirs.push(dir);
    const rw = path.join(dir, 'rw.sock');
    const p = startDaemon(g, { listen: `unix:${rw}`, listenRo: null, http: null, peerCred: { available: () => false, of: () => null } });
    await expect(p).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/SO_PEERCRED/) });
    expect(existsSync(rw)).toBe(false);
  });

  it('refuses bad combinations with exit 2', async () => {
    const base = { listen: null, listenRo: null, http: null };
    await expect(startDaemon(g, { ...base, http: '0.0.0.0:0' })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/not loopback/) });
    await expect(startDaemon(g, { ...base, http: '127.0.0.1:0', tlsCert: '/x' })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--tls-cert needs --tls-key/) });
    await expect(startDaemon(g, { ...base, listenRo: 'unix:/tmp/x.sock', acl: { rules: [] } })).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--acl grants rights on the read-write socket/) });
  });
});
