// Owns the unix-socket transport: newline-delimited JSON over a stream socket (the daemon's read-write
// and read-only sockets), with a maximum line size, back-pressure (a client whose unsent bytes pass a
// hard cap is dropped), socket-file modes without a window (bound inside a fresh 0700 directory, given
// its final mode there, then renamed into place: whatever the umask, nobody connects to a socket whose
// mode is not final), stale-socket detection (a socket file nobody listens on is replaced; a live one is
// never stolen) and removal of the socket file on close.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as nodePath from 'node:path';
import { VirtuneError } from '../model/errors.js';
import { TransportEvents, type Transport } from '../rpc/transport.js';

export interface SocketTransportOptions {
  /** longest accepted line (bytes); longer lines are discarded up to the next newline */
  maxLineBytes: number;
  /** sent back when an inbound line was too long (server side: an error reply) */
  oversizeReply?: string;
  /** drop the peer when more than this many bytes wait to be written (default 64 MiB) */
  maxBacklogBytes?: number;
}

export function socketTransport(sock: net.Socket, opts: SocketTransportOptions): Transport {
  const ev = new TransportEvents();
  const maxBacklog = opts.maxBacklogBytes ?? 64 * 1024 * 1024;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let discarding = false;

  const onLine = (buf: Buffer): void => {
    if (buf.length === 0) return;
    ev.emitMessage(buf.toString('utf8'));
  };
  sock.on('data', (chunk: Buffer) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (discarding) { discarding = false; parts = []; partBytes = 0; continue; }
      if (partBytes + piece.length > opts.maxLineBytes) {
        parts = []; partBytes = 0;
        if (opts.oversizeReply) send(opts.oversizeReply);
        continue;
      }
      const line = partBytes === 0 ? piece : Buffer.concat([...parts, piece]);
      parts = []; partBytes = 0;
      onLine(line);
      if (ev.closed) return;
    }
    if (start < chunk.length && !discarding) {
      const rest = chunk.subarray(start);
      if (partBytes + rest.length > opts.maxLineBytes) {
        parts = []; partBytes = 0; discarding = true;
        if (opts.oversizeReply) send(opts.oversizeReply);
      } else {
        parts.push(Buffer.from(rest)); partBytes += rest.length;
      }
    }
  });
  sock.on('close', () => ev.emitClose());
  sock.on('error', () => { /* 'close' follows */ });

  function send(text: string): void {
    if (ev.closed || sock.destroyed) return;
    if (sock.writableLength > maxBacklog) {
      sock.destroy(); // a client that does not read is dropped, never buffered without bound
      return;
    }
    sock.write(text + '\n');
  }

  return {
    get closed() { return ev.closed; },
    send,
    onMessage: (cb) => ev.onMessage(cb),
    onClose: (cb) => ev.onClose(cb),
    close(): void {
      if (!sock.destroyed) sock.end();
      setTimeout(() => sock.destroy(), 1000).unref();
      ev.emitClose();
    },
    backlog: () => sock.writableLength,
  };
}

/** Connect to a unix socket; resolves with the transport once connected. */
export function connectUnix(path: string, opts: { maxLineBytes?: number } = {}): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    const onErr = (e: NodeJS.ErrnoException): void => {
      reject(new VirtuneError(1, `cannot connect to unix:${path}: ${e.code ?? e.message}`));
    };
    sock.once('error', onErr);
    sock.once('connect', () => {
      sock.off('error', onErr);
      resolve(socketTransport(sock, { maxLineBytes: opts.maxLineBytes ?? 64 * 1024 * 1024 }));
    });
  });
}

/** Is something accepting connections on this socket path? (ECONNREFUSED = a stale file) */
export function probeSocket(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path });
    const done = (live: boolean): void => { s.destroy(); resolve(live); };
    const t = setTimeout(() => done(true), timeoutMs); // a daemon too busy to accept is still alive
    s.once('connect', () => { clearTimeout(t); done(true); });
    s.once('error', () => { clearTimeout(t); done(false); });
  });
}

export interface UnixListener {
  readonly path: string;
  /** live connections */
  readonly connections: number;
  close(): Promise<void>;
}

export interface ListenUnixOptions {
  /** file mode of the socket (0o600 read-write, 0o666 read-only) */
  mode: number;
  onConnection(sock: net.Socket): void;
}

/**
 * Listen on a unix socket path. An existing socket file that refuses connections (a crashed daemon's)
 * is removed and replaced; one that accepts is left alone and this fails with exit code 1; a path
 * that is not a socket is never removed.
 */
export async function listenUnix(path: string, opts: ListenUnixOptions): Promise<UnixListener> {
  let st: fs.Stats | null = null;
  try { st = fs.lstatSync(path); } catch { st = null; }
  if (st) {
    if (!st.isSocket()) throw new VirtuneError(1, `${path} exists and is not a socket; not replacing it`);
    if (await probeSocket(path)) throw new VirtuneError(1, `${path}: another virtune serve is already listening there`);
    // stale: nobody listens; the rename below replaces it atomically
  }
  // bind inside a private directory next to the final path (same filesystem, so rename is atomic)
  let privDir: string;
  try {
    privDir = fs.mkdtempSync(nodePath.join(nodePath.dirname(path), '.vt-'));
    fs.chmodSync(privDir, 0o700); // mkdtemp creates 0700 already; chmod is not subject to the umask
  } catch (e) {
    throw new VirtuneError(1, `cannot listen on ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)} creating a private directory beside it`);
  }
  const tmpPath = nodePath.join(privDir, 's');
  const dropPriv = (): void => {
    try { fs.unlinkSync(tmpPath); } catch { /* moved or never made */ }
    try { fs.rmdirSync(privDir); } catch { /* gone */ }
  };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    opts.onConnection(sock);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new VirtuneError(1, `cannot listen on ${path}: ${e.code ?? e.message}`)));
      server.listen({ path: tmpPath, exclusive: true }, () => resolve());
    });
    fs.chmodSync(tmpPath, opts.mode); // final mode while only we can reach it
    fs.renameSync(tmpPath, path);
  } catch (e) {
    server.close();
    dropPriv();
    throw e instanceof VirtuneError ? e : new VirtuneError(1, `cannot listen on ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  dropPriv();
  const ino = fs.statSync(path).ino;
  let closed = false;
  return {
    path,
    get connections() { return sockets.size; },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.end();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      setTimeout(() => { for (const s of sockets) s.destroy(); }, 500).unref();
      await done;
      try {
        // remove the file only if it is still ours
        if (fs.statSync(path).ino === ino) fs.unlinkSync(path);
      } catch { /* already gone */ }
    },
  };
}
