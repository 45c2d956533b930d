// Owns one simulated QEMU monitor: a unix-socket QMP server that behaves like QEMU's chardev
// server — one client at a time (others wait, ungreeted, until it leaves), greeting on connect,
// `qmp_capabilities` required before anything else, objects parsed from the byte stream, ids
// echoed, CRLF after every message, events only in command mode.

import * as fs from 'node:fs';
import * as net from 'node:net';
import { COMMANDS, execute, QmpError, type QmpContext } from './qmp-commands.js';
import type { GuestState } from './state.js';

const GREETING = JSON.stringify({ QMP: { version: { qemu: { micro: 2, minor: 2, major: 8 }, package: 'Debian 1:8.2.2+ds (virtune demo)' }, capabilities: ['oob'] } });

/** Splits a byte stream into top-level JSON texts (objects), tolerant of whitespace between them. */
export class JsonSplitter {
  private buf = '';
  private depth = 0;
  private inStr = false;
  private esc = false;
  private start = -1;
  private pos = 0;

  /** Feed text; returns complete object texts and stray non-whitespace garbage chunks. */
  push(text: string): Array<{ json?: string; garbage?: string }> {
    this.buf += text;
    const out: Array<{ json?: string; garbage?: string }> = [];
    for (; this.pos < this.buf.length; this.pos++) {
      const ch = this.buf[this.pos] as string;
      if (this.depth === 0) {
        if (ch === '{') { this.depth = 1; this.start = this.pos; this.inStr = false; continue; }
        if (!/\s/.test(ch)) out.push({ garbage: ch });
        continue;
      }
      if (this.inStr) {
        if (this.esc) this.esc = false;
        else if (ch === '\\') this.esc = true;
        else if (ch === '"') this.inStr = false;
        continue;
      }
      if (ch === '"') this.inStr = true;
      else if (ch === '{' || ch === '[') this.depth++;
      else if (ch === '}' || ch === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push({ json: this.buf.slice(this.start, this.pos + 1) });
          this.buf = this.buf.slice(this.pos + 1);
          this.pos = -1;
          this.start = -1;
        }
      }
    }
    if (this.depth === 0) { this.buf = ''; this.pos = 0; }
    return out;
  }
}

export class DemoQmpServer {
  private server: net.Server | null = null;
  private active: net.Socket | null = null;
  private readonly waiting: net.Socket[] = [];
  private readonly sockets = new Set<net.Socket>();
  private commandMode = false;

  constructor(private readonly guest: GuestState, private readonly socketPath: string, private readonly now: () => number) {}

  async listen(): Promise<void> {
    try { fs.unlinkSync(this.socketPath); } catch { /* not there */ }
    const server = net.createServer((sock) => this.onConnect(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => { server.off('error', reject); resolve(); });
    });
  }

  private onConnect(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.setEncoding('utf8');
    sock.on('error', () => { /* client went away */ });
    sock.on('close', () => {
      this.sockets.delete(sock);
      const w = this.waiting.indexOf(sock);
      if (w >= 0) this.waiting.splice(w, 1);
      if (this.active === sock) { this.active = null; this.next(); }
    });
    if (this.active) { sock.pause(); this.waiting.push(sock); return; }
    this.serve(sock);
  }

  private next(): void {
    const sock = this.waiting.shift();
    if (sock) { sock.resume(); this.serve(sock); }
  }

  private serve(sock: net.Socket): void {
    this.active = sock;
    this.commandMode = false;
    const splitter = new JsonSplitter();
    const send = (obj: unknown): void => { if (!sock.destroyed) sock.write(JSON.stringify(obj) + '\r\n'); };
    const ctx: QmpContext = {
      guest: this.guest, now: this.now,
      event: (name, data) => {
        if (!this.commandMode || this.active !== sock) return;
        const ms = Date.now();
        const ev: Record<string, unknown> = { event: name };
        if (data) ev.data = data;
        ev.timestamp = { seconds: Math.floor(ms / 1000), microseconds: (ms % 1000) * 1000 };
        send(ev);
      },
    };
    sock.write(GREETING + '\r\n');
    sock.on('data', (chunk: string) => {
      for (const item of splitter.push(chunk)) {
        if (item.garbage !== undefined) {
          send({ error: { class: 'GenericError', desc: 'JSON parse error, invalid keyword' } });
          continue;
        }
        let msg: unknown;
        try { msg = JSON.parse(item.json as string); } catch {
          send({ error: { class: 'GenericError', desc: 'JSON parse error, invalid token' } });
          continue;
        }
        this.handle(msg, send, ctx);
      }
    });
  }

  private handle(msg: unknown, send: (o: unknown) => void, ctx: QmpContext): void {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      send({ error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } });
      return;
    }
    const m = msg as Record<string, unknown>;
    const idPart = 'id' in m ? { id: m.id } : {};
    const reply = (body: Record<string, unknown>): void => send({ ...body, ...idPart });
    const err = (cls: string, desc: string): void => reply({ error: { class: cls, desc } });
    if ('exec-oob' in m) { err('GenericError', 'Out-of-band execution not enabled'); return; }
    const name = m.execute;
    if (name === undefined) { err('GenericError', "QMP input lacks member 'execute'"); return; }
    if (typeof name !== 'string') { err('GenericError', "QMP input member 'execute' must be a string"); return; }
    const args = m.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) { err('GenericError', "QMP input member 'arguments' must be an object"); return; }
    for (const k of Object.keys(m)) {
      if (k !== 'execute' && k !== 'arguments' && k !== 'id') { err('GenericError', `QMP input member '${k}' is unexpected`); return; }
    }
    if (name === 'qmp_capabilities') {
      if (this.commandMode) { err('CommandNotFound', 'Capabilities negotiation is already complete, command ignored'); return; }
      const enable = (args as Record<string, unknown>).enable;
      if (Array.isArray(enable) && enable.some((c) => c !== 'oob')) {
        err('GenericError', `Parameter 'enable' does not accept value '${String(enable.find((c) => c !== 'oob'))}'`);
        return;
      }
      this.commandMode = true;
      reply({ return: {} });
      return;
    }
    if (!this.commandMode) {
      err('CommandNotFound', COMMANDS.includes(name)
        ? "Expecting capabilities negotiation with 'qmp_capabilities'"
        : "Expecting capabilities negotiation with 'qmp_capabilities'");
      return;
    }
    try {
      reply({ return: execute(ctx, name, args as Record<string, unknown>) });
    } catch (e) {
      if (e instanceof QmpError) err(e.cls, e.message);
      else err('GenericError', String((e as Error)?.message ?? e));
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    try { fs.unlinkSync(this.socketPath); } catch { /* removed with the tree */ }
  }
}
