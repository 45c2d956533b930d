// Tests the SO_PEERCRED addon (native/peercred, built by `npm install`): a unix-socket peer in this
// process is reported with this process's uid and pid.

import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { peerCredAvailable, peerCredOf, userName } from '../../src/engine/node/peercred.js';

it('reads the peer uid/pid of a unix socket connection from the kernel', async () => {
  expect(peerCredAvailable(), 'native/peercred is not built: run `npm run build:native`').toBe(true);
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-cred-'));
  const sock = path.join(dir, 's');
  try {
    const accepted = new Promise<net.Socket>((resolve) => {
      const srv = net.createServer((s) => { resolve(s); srv.close(); });
      srv.listen(sock);
    });
    await new Promise((r) => setTimeout(r, 20));
    const client = net.createConnection({ path: sock });
    const s = await accepted;
    expect(peerCredOf(s)).toEqual({ uid: process.getuid!(), gid: process.getgid!(), pid: process.pid });
    expect(userName(0)).toBe('root');
    client.destroy();
    s.destroy();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
