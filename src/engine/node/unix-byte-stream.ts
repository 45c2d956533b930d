// Owns UnixByteStreamConnector, the Node adapter of the ByteStreamConnector port: a net.Socket to a
// unix socket path, a connect timeout, errors mapped to HostError kinds, and a socket that never keeps
// the process alive on its own (unref).

import * as net from 'node:net';
import { HostError } from '../model/errors.js';
import type { ByteStream, ByteStreamConnector } from '../ports/byte-stream.js';

function kindOf(e: NodeJS.ErrnoException): 'missing' | 'permission' | 'io' {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') return 'missing';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission';
  return 'io';
}

export class UnixByteStreamConnector implements ByteStreamConnector {
  connect(path: string, timeoutMs: number): Promise<ByteStream> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ path });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new HostError('timeout', `connecting to ${path} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new HostError(kindOf(e), `cannot connect to ${path}: ${e.code ?? e.message}`));
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        sock.unref();
        const closeCbs: Array<(err: Error | null) => void> = [];
        let ended = false;
        let closedByUs = false;
        const end = (err: Error | null): void => {
          if (ended) return;
          ended = true;
          if (!closedByUs) for (const cb of closeCbs) cb(err);
        };
        sock.on('error', (e) => end(e));
        sock.on('close', () => end(null));
        resolve({
          write: (data) => { if (!ended) sock.write(data); },
          onData: (cb) => { sock.on('data', (c: Buffer) => cb(c)); },
          onClose: (cb) => { closeCbs.push(cb); },
          close: () => { closedByUs = true; sock.destroy(); },
        });
      });
    });
  }
}
