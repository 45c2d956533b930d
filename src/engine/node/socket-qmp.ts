// Owns SocketQmpConnector, the Node adapter of the QmpConnector port: a QMP session over a unix
// socket. Greeting, `qmp_capabilities`, string request ids with responses matched by id, events kept
// apart (queue + listeners), a timeout for the handshake and for every command, hard caps on message
// size and on buffered events, lossless numbers (unsafe integers come back as decimal strings) and a
// clean close. Every failure is a typed error: HostError (timeout | io | parse | missing | permission)
// or QmpCommandError; once the stream is broken every pending and later command fails at once.
// Bytes are read with net's `onread` into one buffer shared by every channel (the callback decodes
// them before it returns, so the buffer is free again): no Buffer per read and no Readable stream
// layers between the socket and the framer.

import * as net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { HostError, type HostErrorKind } from '../model/errors.js';
import { parseQmpObject } from '../model/json-lossless.js';
import {
  QmpCommandError, type QmpChannel, type QmpConnectOptions, type QmpConnector, type QmpErrorInfo, type QmpEvent,
} from '../ports/qmp.js';
import { QmpFramer, QmpFramingError } from './qmp-framer.js';

export const QMP_DEFAULTS = {
  timeoutMs: 2000,
  commandTimeoutMs: 2000,
  maxLineBytes: 1 << 20,
  maxBufferedBytes: 4 << 20,
} as const;

/** Parse one QMP message; throws HostError('parse'). */
export const parseQmpMessage = parseQmpObject;

/**
 * Commands issued in one turn of the event loop with the same timeout (a Promise.all of a batch): one
 * write and one timer for all of them. The timer is cleared when the last one is answered.
 */
interface Batch {
  timeoutMs: number;
  ids: string[];
  left: number;
  timer: NodeJS.Timeout | null;
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  batch: Batch;
}

const MAX_EVENTS = 256;

/**
 * Channels with a turn open, in the order their first command of the turn left: one nextTick ends the
 * turn of all of them (not a callback and a tick per channel, with a sample sending to every guest).
 */
let openTurns: SocketQmpChannel[] = [];
function endTurns(): void {
  const list = openTurns;
  openTurns = [];
  for (const ch of list) {
    try { ch.endTurn(); } catch (e) { ch.fail(new HostError('io', `QMP ${ch.socketPath}: ${(e as Error).message}`, ch.socketPath)); }
  }
}

/** where every channel's socket reads land; each read is decoded before its callback returns */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class SocketQmpChannel implements QmpChannel {
  greeting: unknown = null;
  private sock: net.Socket;
  private readonly decoder = new StringDecoder('utf8');
  /** the decoder may hold the first bytes of a character split between reads */
  private decoderHolds = false;
  private readonly framer: QmpFramer;
  private readonly pending = new Map<string, Pending>();
  private readonly events: QmpEvent[] = [];
  private readonly eventSizes: number[] = [];
  private eventBytes = 0;
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private seq = 0;
  private failure: Error | null = null;
  private isClosed = false;
  private greeted: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private readonly sockClosed: Promise<void>;
  /**
   * A turn of the event loop with commands issued in it: the first left at once, the later ones wait in
   * `outbox` and leave together (one write) when the turn ends; `batches` group them by timeout.
   */
  private turnOpen = false;
  private outbox: string[] = [];
  private readonly batches: Batch[] = [];

  constructor(readonly socketPath: string, private readonly opts: Required<QmpConnectOptions>) {
    this.framer = new QmpFramer(opts.maxLineBytes);
    this.sock = net.createConnection({
      path: socketPath,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => { this.onBytes(buf as Buffer, n); return true; } },
    });
    this.sockClosed = new Promise((r) => this.sock.once('close', () => r()));
    this.sock.on('error', (e: NodeJS.ErrnoException) => this.fail(socketError(socketPath, e)));
    this.sock.on('close', () => {
      const mid = this.framer.pendingChars > 0 ? ' in the middle of a message' : '';
      this.fail(new HostError('io', `QMP ${socketPath}: connection closed by QEMU${mid}`, socketPath));
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Wait for the greeting, then negotiate capabilities. */
  async handshake(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      if (this.failure) { reject(this.failure); return; }
      this.greeted = { resolve, reject };
    });
    await this.execute('qmp_capabilities', undefined, { timeoutMs: this.opts.timeoutMs });
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T> {
    if (this.isClosed) {
      return Promise.reject(this.failure ?? new HostError('io', `QMP ${this.socketPath}: channel is closed`, this.socketPath));
    }
    const id = `vt-${++this.seq}`;
    const timeoutMs = opts?.timeoutMs ?? this.opts.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let batch: Batch | undefined;
      for (const b of this.batches) if (b.timeoutMs === timeoutMs) { batch = b; break; }
      if (!batch) {
        const b: Batch = { timeoutMs, ids: [], left: 0, timer: null };
        b.timer = setTimeout(() => this.expire(b), timeoutMs);
        this.batches.push(b);
        batch = b;
      }
      batch.ids.push(id);
      batch.left++;
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, batch });
      // the text JSON.stringify({ execute, id, arguments }) gives, without the object
      const line = args === undefined
        ? `{"execute":${JSON.stringify(command)},"id":"${id}"}\n`
        : `{"execute":${JSON.stringify(command)},"id":"${id}","arguments":${JSON.stringify(args)}}\n`;
      if (this.turnOpen) { this.outbox.push(line); return; }
      // the first command of a turn is written at once: QEMU answers while the caller goes on in the
      // same turn (the sampler reads the host's files after `begin`; a write deferred to the next tick
      // would leave only after all of them); the others of this turn (a Promise.all) follow in one write
      this.turnOpen = true;
      if (openTurns.push(this) === 1) process.nextTick(endTurns);
      this.sock.write(line);
    });
  }

  /** The turn ended (see endTurns): the commands held back leave in one write. */
  endTurn(): void {
    this.turnOpen = false;
    this.batches.length = 0;
    if (this.outbox.length === 0) return;
    const text = this.outbox.length === 1 ? this.outbox[0] as string : this.outbox.join('');
    this.outbox = [];
    if (!this.isClosed) this.sock.write(text);
  }

  /** A batch's timeout: every command of it still unanswered fails. */
  private expire(b: Batch): void {
    b.timer = null;
    for (const id of b.ids) {
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      p.reject(new HostError('timeout', `QMP ${p.command}: no answer within ${b.timeoutMs} ms (${this.socketPath})`, this.socketPath));
    }
  }

  /** A command of the batch was answered (or failed): the last one clears the batch's timer. */
  private settled(p: Pending): void {
    if (--p.batch.left === 0 && p.batch.timer) {
      clearTimeout(p.batch.timer);
      p.batch.timer = null;
    }
  }

  takeEvents(): QmpEvent[] {
    const out = this.events.splice(0, this.events.length);
    this.eventSizes.length = 0;
    this.eventBytes = 0;
    return out;
  }

  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  async close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      this.rejectAll(new HostError('io', `QMP ${this.socketPath}: channel closed`, this.socketPath));
      this.sock.end();
    }
    const t = setTimeout(() => this.sock.destroy(), 200);
    await this.sockClosed;
    clearTimeout(t);
  }

  /** Break the connection with an error (also used by the connector's handshake timeout). */
  fail(err: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.failure = err;
    this.greeted?.reject(err);
    this.greeted = null;
    this.rejectAll(err);
    this.sock.destroy();
  }

  private rejectAll(err: Error): void {
    for (const p of this.pending.values()) {
      this.settled(p);
      p.reject(err);
    }
    this.pending.clear();
  }

  /** Decode `n` bytes of the shared read buffer (a read that ends on an ASCII byte, the usual case, needs no decoder state). */
  private decode(buf: Buffer, n: number): string {
    if (!this.decoderHolds && n > 0 && (buf[n - 1] as number) < 0x80) return buf.toString('utf8', 0, n);
    this.decoderHolds = n > 0 && (buf[n - 1] as number) >= 0x80;
    return this.decoder.write(buf.subarray(0, n));
  }

  private onBytes(buf: Buffer, n: number): void {
    if (this.isClosed) return;
    let messages: string[];
    try {
      messages = this.framer.push(this.decode(buf, n));
    } catch (e) {
      const why = e instanceof QmpFramingError ? e.message : String(e);
      this.fail(new HostError('parse', `QMP ${this.socketPath}: ${why}`, this.socketPath));
      return;
    }
    for (const text of messages) {
      let msg: Record<string, unknown>;
      try {
        msg = parseQmpMessage(text);
      } catch (e) {
        this.fail(new HostError('parse', `QMP ${this.socketPath}: ${(e as Error).message}`, this.socketPath));
        return;
      }
      this.dispatch(msg, text.length);
      if (this.isClosed) return;
    }
  }

  private dispatch(msg: Record<string, unknown>, size: number): void {
    if (this.greeted) {
      if (!('QMP' in msg)) {
        this.fail(new HostError('parse', `QMP ${this.socketPath}: expected a QMP greeting, got ${Object.keys(msg).join(',') || '{}'}`, this.socketPath));
        return;
      }
      this.greeting = msg.QMP;
      const g = this.greeted;
      this.greeted = null;
      g.resolve();
      return;
    }
    if (typeof msg.event === 'string') {
      this.pushEvent(msg as unknown as QmpEvent, size);
      return;
    }
    if (!('return' in msg) && !('error' in msg)) return; // unknown message kind: ignore
    let p: Pending | undefined;
    let id: string | undefined;
    if (typeof msg.id === 'string') { id = msg.id; p = this.pending.get(id); }
    else if (!('id' in msg) && 'error' in msg) {
      // QEMU answers a parse error without id: it belongs to the oldest command in flight
      const first = this.pending.entries().next();
      if (!first.done) [id, p] = first.value;
    }
    if (!p || id === undefined) return; // a late answer to a command that already timed out
    this.pending.delete(id);
    this.settled(p);
    if ('error' in msg) p.reject(new QmpCommandError(p.command, errorInfo(msg.error)));
    else p.resolve(msg.return);
  }

  private pushEvent(e: QmpEvent, size: number): void {
    this.events.push(e);
    this.eventSizes.push(size);
    this.eventBytes += size;
    while (this.events.length > MAX_EVENTS || (this.eventBytes > this.opts.maxBufferedBytes && this.events.length > 0)) {
      this.events.shift();
      this.eventBytes -= this.eventSizes.shift() ?? 0;
    }
    for (const l of this.listeners) {
      try { l(e); } catch { /* a listener must not break the stream */ }
    }
  }
}

function defined(o: QmpConnectOptions): QmpConnectOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as QmpConnectOptions;
}

function errorInfo(v: unknown): QmpErrorInfo {
  const o = (v ?? {}) as Record<string, unknown>;
  return { class: typeof o.class === 'string' ? o.class : 'GenericError', desc: typeof o.desc === 'string' ? o.desc : JSON.stringify(v) };
}

function socketError(socketPath: string, e: NodeJS.ErrnoException): HostError {
  const kinds: Record<string, HostErrorKind> = { ENOENT: 'missing', EACCES: 'permission', EPERM: 'permission' };
  const kind = kinds[e.code ?? ''] ?? 'io';
  const what = e.code === 'ECONNREFUSED' ? 'connection refused (nothing is listening)' : e.message;
  return new HostError(kind, `QMP ${socketPath}: ${what}`, socketPath, e.code ?? null);
}

export class SocketQmpConnector implements QmpConnector {
  constructor(private readonly defaults: QmpConnectOptions = {}) {}

  async connect(socketPath: string, opts: QmpConnectOptions = {}): Promise<QmpChannel> {
    const o: Required<QmpConnectOptions> = { ...QMP_DEFAULTS, ...defined(this.defaults), ...defined(opts) };
    const ch = new SocketQmpChannel(socketPath, o);
    const timer = setTimeout(() => {
      ch.fail(new HostError('timeout',
        `QMP ${socketPath}: no greeting or capabilities answer within ${o.timeoutMs} ms (socket busy with another client?)`, socketPath));
    }, o.timeoutMs);
    try {
      await ch.handshake();
      return ch;
    } catch (e) {
      ch.fail(e as Error);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}
