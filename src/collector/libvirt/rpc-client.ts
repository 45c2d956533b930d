// Owns the collector's one direct connection to libvirtd's RPC socket (the ByteStreamConnector port):
// connect to the first socket that answers (libvirtd's `libvirt-sock`, else the modular daemon's
// `virtqemud-sock`), AUTH_LIST (libvirtd lets a root client on its unix socket through without
// further auth) and CONNECT_OPEN, then calls matched to replies by serial, each with a timeout. A
// failed or closed connection fails what waits on it and is opened again on the next call. It makes
// only the per-tick stats call; everything slower stays on the virsh session.

import { HostError } from '../../engine/model/errors.js';
import type { ByteStream, ByteStreamConnector } from '../../engine/ports/byte-stream.js';
import {
  decodeAllDomainStats, decodeAuthList, decodeError, decodePacket, encodeAuthList, encodeConnectOpen,
  encodeGetAllDomainStats, keepaliveReply, MSG_REPLY, packetLength, REMOTE_PROGRAM, STATUS_OK,
  type RpcDomainStats, type XdrReader,
} from './parse-rpc.js';

export const LIBVIRT_SOCKETS = ['/run/libvirt/libvirt-sock', '/run/libvirt/virtqemud-sock'];

export interface LibvirtRpcOptions {
  connector: ByteStreamConnector;
  /** the URI CONNECT_OPEN names (the local system daemon) */
  uri: string;
  sockets?: readonly string[];
  connectTimeoutMs?: number;
}

interface Waiter { resolve: (body: XdrReader) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }

class Connection {
  private buf: Uint8Array = new Uint8Array(0);
  private serial = 1;
  private readonly waiting = new Map<number, Waiter>();
  closed = false;

  constructor(readonly stream: ByteStream) {
    stream.onData((chunk) => this.feed(chunk));
    stream.onClose((err) => this.fail(new HostError('io', `libvirt RPC connection closed${err ? `: ${err.message}` : ''}`)));
  }

  private feed(chunk: Uint8Array): void {
    if (this.buf.byteLength === 0) this.buf = chunk;
    else { const b = new Uint8Array(this.buf.byteLength + chunk.byteLength); b.set(this.buf); b.set(chunk, this.buf.byteLength); this.buf = b; }
    try {
      for (let n = packetLength(this.buf); n > 0; n = packetLength(this.buf)) {
        const packet = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        this.onPacket(packet);
      }
    } catch (e) {
      this.fail(new HostError('parse', (e as Error).message));
    }
  }

  private onPacket(packet: Uint8Array): void {
    const { header, body } = decodePacket(packet);
    const pong = keepaliveReply(header);
    if (pong) { this.stream.write(pong); return; }
    if (header.prog !== REMOTE_PROGRAM || header.type !== MSG_REPLY) return; // events: none asked for
    const w = this.waiting.get(header.serial);
    if (!w) return;
    this.waiting.delete(header.serial);
    clearTimeout(w.timer);
    if (header.status === STATUS_OK) w.resolve(body);
    else w.reject(new HostError('io', `libvirt: ${decodeError(body)}`));
  }

  fail(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
    for (const w of this.waiting.values()) { clearTimeout(w.timer); w.reject(e); }
    this.waiting.clear();
  }

  call(encode: (serial: number) => Uint8Array, timeoutMs: number, what: string): Promise<XdrReader> {
    if (this.closed) return Promise.reject(new HostError('io', 'libvirt RPC connection closed'));
    const serial = this.serial++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // a reply that never came leaves the stream out of step: start over on the next call
        this.fail(new HostError('timeout', `libvirt ${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(serial, { resolve, reject, timer });
      this.stream.write(encode(serial));
    });
  }
}

export class LibvirtRpcClient {
  private conn: Connection | null = null;
  private opening: Promise<Connection> | null = null;

  constructor(private readonly o: LibvirtRpcOptions) {}

  private async open(timeoutMs: number): Promise<Connection> {
    let last: Error = new HostError('missing', 'no libvirt socket');
    for (const path of this.o.sockets ?? LIBVIRT_SOCKETS) {
      let stream: ByteStream;
      try { stream = await this.o.connector.connect(path, this.o.connectTimeoutMs ?? timeoutMs); } catch (e) { last = e as Error; continue; }
      const c = new Connection(stream);
      try {
        const auth = decodeAuthList(await c.call(encodeAuthList, timeoutMs, 'auth-list'));
        if (auth.length > 0 && !auth.includes(0)) throw new HostError('permission', `libvirt at ${path} wants authentication (types ${auth.join(',')})`);
        await c.call((s) => encodeConnectOpen(s, this.o.uri), timeoutMs, 'connect-open');
        return c;
      } catch (e) {
        c.fail(e as Error);
        last = e as Error;
      }
    }
    throw last;
  }

  private async connection(timeoutMs: number): Promise<Connection> {
    if (this.conn && !this.conn.closed) return this.conn;
    this.opening ??= this.open(timeoutMs).finally(() => { this.opening = null; });
    this.conn = await this.opening;
    return this.conn;
  }

  /** Every active domain's state, cpu-total, balloon, vcpu, interface and block stats in one call. */
  async allDomainStats(timeoutMs: number): Promise<RpcDomainStats[]> {
    const c = await this.connection(timeoutMs);
    const body = await c.call(encodeGetAllDomainStats, timeoutMs, 'get-all-domain-stats');
    try {
      return decodeAllDomainStats(body);
    } catch (e) {
      c.fail(e as Error);
      throw new HostError('parse', (e as Error).message);
    }
  }

  close(): void {
    this.conn?.fail(new HostError('io', 'closed'));
    this.conn = null;
  }
}
