// Tests SocketQmpConnector against real unix-socket servers written here: a replaying QMP server
// (ids, events apart, big integers exact, pretty/CRLF framing) and hostile ones (never greets,
// garbage, closes mid-answer, error object, flooded line, silent command) — each must give a typed
// error within its timeout.

import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/engine/model/errors.js';
import { QmpCommandError } from '../../src/engine/ports/qmp.js';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import { useLab, type Lab } from '../helpers/lab.js';
import { loadTranscript, startReplayServer } from './replay-server.js';

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n';

/** A unix-socket server whose per-connection behaviour the test writes. */
async function hostile(lab: Lab, onConn: (s: net.Socket) => void): Promise<string> {
  const sock = path.join(lab.tmpdir('qmp-hostile'), 'h.sock');
  const conns = new Set<net.Socket>();
  const server = net.createServer((s) => { conns.add(s); s.on('error', () => undefined); onConn(s); });
  await new Promise<void>((r) => server.listen(sock, () => r()));
  lab.defer(() => new Promise<void>((r) => { for (const c of conns) c.destroy(); server.close(() => r()); }));
  return sock;
}

/** Answers capabilities, then runs `answer` for each later command line. */
function afterHandshake(answer: (s: net.Socket, req: { execute: string; id: unknown }) => void): (s: net.Socket) => void {
  return (s) => {
    s.write(GREETING);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const req = JSON.parse(buf.slice(0, nl)) as { execute: string; id: unknown };
        buf = buf.slice(nl + 1);
        if (req.execute === 'qmp_capabilities') s.write(`{"return": {}, "id": ${JSON.stringify(req.id)}}\r\n`);
        else answer(s, req);
      }
    });
  };
}

async function expectFailure(p: Promise<unknown>, maxMs: number): Promise<{ err: unknown; ms: number }> {
  const t0 = performance.now();
  let err: unknown = null;
  try { await p; } catch (e) { err = e; }
  const ms = performance.now() - t0;
  expect(err, 'expected a rejection').not.toBeNull();
  expect(ms).toBeLessThan(maxMs);
  return { err, ms };
}

describe('SocketQmpConnector', () => {
  const lab = useLab();
  const qmp = new SocketQmpConnector();

  it('handshakes, matches answers by id, keeps events apart and big integers exact (replayed transcript)', async () => {
    const srv = await startReplayServer(lab, path.join(lab.tmpdir('qmp'), 'q.sock'), loadTranscript('pve-hugepages.jsonl'));
    const ch = await qmp.connect(srv.socket, { timeoutMs: 1000 });
    expect((ch.greeting as { version: { qemu: { major: number } } }).version.qemu.major).toBe(9);
    const [status, stats, name] = await Promise.all([
      ch.execute<{ status: string }>('query-status'),
      ch.execute<Array<{ stats: Record<string, unknown> }>>('query-blockstats'),
      ch.execute<{ name: string }>('query-name'),
    ]);
    expect(status.status).toBe('running');
    expect(name.name).toBe('db01');
    const s0 = stats[0]?.stats ?? {};
    expect(s0.rd_total_time_ns).toBe('9007199254740993123');
    expect(s0.rd_bytes).toBe('18446744073709551615');
    expect(s0.wr_bytes).toBe(4096);
    const events = ch.takeEvents();
    expect(events.map((e) => e.event)).toEqual(['BALLOON_CHANGE']);
    expect(ch.takeEvents()).toEqual([]);
    await expect(ch.execute('no-such-command')).rejects.toBeInstanceOf(QmpCommandError);
    expect(srv.received.map((r) => r.execute)).toEqual(['qmp_capabilities', 'query-status', 'query-blockstats', 'query-name', 'no-such-command']);
    await ch.close();
    expect(ch.closed).toBe(true);
    await expect(ch.execute('query-status')).rejects.toMatchObject({ kind: 'io' });
  });

  it('accepts pretty-printed, CRLF-split and chunked messages with events between answers', async () => {
    const sock = await hostile(lab, afterHandshake((s, req) => {
      const body = `{\r\n  "event": "STOP",\r\n  "timestamp": {"seconds": 1, "microseconds": 2}\r\n}\r\n` +
        `{\r\n    "return": {\r\n        "status": "paused", "note": "a } and { in a \\" string"\r\n    },\r\n    "id": ${JSON.stringify(req.id)}\r\n}\r\n`;
      // dribble it out a few bytes at a time
      let i = 0;
      const tick = (): void => { if (i < body.length) { s.write(body.slice(i, i + 7)); i += 7; setImmediate(tick); } };
      tick();
    }));
    const ch = await qmp.connect(sock, { timeoutMs: 1000 });
    const seen: string[] = [];
    ch.onEvent((e) => seen.push(e.event));
    const r = await ch.execute<{ status: string; note: string }>('query-status');
    expect(r).toEqual({ status: 'paused', note: 'a } and { in a " string' });
    expect(seen).toEqual(['STOP']);
    await ch.close();
  });

  it('the first command of a turn is written at once, before the caller\'s turn ends; the others of that turn follow in one write', async () => {
    // the sampler sends its QMP batch, then reads the host's files in the same turn: QEMU can only
    // answer meanwhile if the request has left
    const sock = await hostile(lab, afterHandshake((s, req) => s.write(`{"return": {"n": ${JSON.stringify(req.execute)}}, "id": ${JSON.stringify(req.id)}}\r\n`)));
    const ch = await qmp.connect(sock, { timeoutMs: 1000 });
    const requests: string[] = [];
    const orig = net.Socket.prototype.write;
    net.Socket.prototype.write = function (this: net.Socket, ...a: unknown[]): boolean {
      if (String(a[0]).includes('"execute"')) requests.push(String(a[0]));
      return (orig as (...x: unknown[]) => boolean).apply(this, a);
    } as typeof orig;
    try {
      const first = ch.execute<{ n: string }>('query-status');
      expect(requests).toHaveLength(1); // still in this turn
      expect(requests[0]).toContain('"query-status"');
      const more = [ch.execute<{ n: string }>('query-name'), ch.execute<{ n: string }>('query-uuid')];
      expect(requests).toHaveLength(1);
      const got = await Promise.all([first, ...more]);
      expect(got.map((r) => r.n)).toEqual(['query-status', 'query-name', 'query-uuid']);
      expect(requests).toHaveLength(2);
      expect(requests[1]?.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { execute: string }).execute)).toEqual(['query-name', 'query-uuid']);
      // a later turn starts over: its first command leaves at once again
      const again = ch.execute<{ n: string }>('query-kvm');
      expect(requests).toHaveLength(3);
      expect((await again).n).toBe('query-kvm');
    } finally {
      net.Socket.prototype.write = orig;
      await ch.close();
    }
  });

  it('channels sending in the same turn each send their later commands of that turn in one write, with arguments exact', async () => {
    // one end of turn for every channel: a guest per channel, all asked in one turn by the sampler
    const echo = afterHandshake((s, req) => s.write(`${JSON.stringify({ return: { n: req.execute, args: (req as { arguments?: unknown }).arguments ?? null }, id: req.id })}\r\n`));
    const socks = [await hostile(lab, echo), await hostile(lab, echo), await hostile(lab, echo)];
    const chans = await Promise.all(socks.map((s) => qmp.connect(s, { timeoutMs: 1000 })));
    const writes = new Map<net.Socket, string[]>();
    const orig = net.Socket.prototype.write;
    net.Socket.prototype.write = function (this: net.Socket, ...a: unknown[]): boolean {
      if (String(a[0]).includes('"execute"')) writes.set(this, [...(writes.get(this) ?? []), String(a[0])]);
      return (orig as (...x: unknown[]) => boolean).apply(this, a);
    } as typeof orig;
    try {
      const args = { id: 'disk"0', boundaries: [10000, 2 ** 40], nested: { 'a-b': true } };
      const all = chans.map((ch, i) => Promise.all([
        ch.execute<{ n: string }>('query-status'),
        ch.execute<{ n: string; args: unknown }>('block-latency-histogram-set', args),
        ch.execute<{ n: string }>(`query-${i}`),
      ]));
      const got = await Promise.all(all);
      got.forEach(([a, b, c], i) => {
        expect([a.n, b.n, c.n]).toEqual(['query-status', 'block-latency-histogram-set', `query-${i}`]);
        expect(b.args).toEqual(args);
      });
      expect([...writes.values()].map((w) => w.length)).toEqual([2, 2, 2]);
      for (const w of writes.values()) {
        expect(JSON.parse(w[0]!.trim())).toEqual({ execute: 'query-status', id: expect.any(String) });
        // the text is what JSON.stringify of the message gives
        const lines = w[1]!.split('\n').filter((l) => l !== '');
        expect(lines).toHaveLength(2);
        const m = JSON.parse(lines[0]!) as { id: string };
        expect(lines[0]).toBe(JSON.stringify({ execute: 'block-latency-histogram-set', id: m.id, arguments: args }));
      }
    } finally {
      net.Socket.prototype.write = orig;
      await Promise.all(chans.map((ch) => ch.close()));
    }
  });

  it('non-ASCII text split inside its characters, on two sockets read in turn, comes back whole on each', async () => {
    // the channels share one read buffer: each read must be decoded before the next socket's lands in it
    const answerOf = (name: string) => afterHandshake((s, req) => {
      const bytes = Buffer.from(`{"return": {"name": "${name}"}, "id": ${JSON.stringify(req.id)}}\r\n`, 'utf8');
      let i = 0;
      const tick = (): void => { if (i < bytes.length) { s.write(bytes.subarray(i, i + 1)); i += 1; setImmediate(tick); } };
      tick();
    });
    const names = ['gäst-ß-€-😀', 'βήτα-日本語-✓'];
    const socks = await Promise.all(names.map((n) => hostile(lab, answerOf(n))));
    const chs = await Promise.all(socks.map((s) => qmp.connect(s, { timeoutMs: 1000 })));
    const got = await Promise.all(chs.map((c) => c.execute<{ name: string }>('query-name')));
    expect(got.map((r) => r.name)).toEqual(names);
    await Promise.all(chs.map((c) => c.close()));
  });

  it('a socket that accepts and never greets times out (HostError timeout) within the timeout', async () => {
    const sock = await hostile(lab, () => undefined);
    const { err, ms } = await expectFailure(qmp.connect(sock, { timeoutMs: 300 }), 1000);
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).kind).toBe('timeout');
    expect(ms).toBeGreaterThanOrEqual(250);
  });

  it('garbage instead of a greeting is a parse error, at once', async () => {
    const sock = await hostile(lab, (s) => { s.write('HTTP/1.1 400 Bad Request\r\n\r\n'); });
    const { err } = await expectFailure(qmp.connect(sock, { timeoutMs: 2000 }), 1000);
    expect(err).toMatchObject({ name: 'HostError', kind: 'parse' });
  });

  it('a JSON object that is not a greeting, and invalid JSON inside braces, are parse errors', async () => {
    const notGreeting = await hostile(lab, (s) => { s.write('{"hello": 1}\r\n'); });
    expect((await expectFailure(qmp.connect(notGreeting, { timeoutMs: 2000 }), 1000)).err).toMatchObject({ kind: 'parse' });
    const badJson = await hostile(lab, (s) => { s.write('{QMP: nope}\r\n'); });
    expect((await expectFailure(qmp.connect(badJson, { timeoutMs: 2000 }), 1000)).err).toMatchObject({ kind: 'parse' });
  });

  it('a server that closes in the middle of an answer gives an io error, not a hang', async () => {
    const sock = await hostile(lab, afterHandshake((s) => { s.end('{"return": {"status": "runn'); }));
    const ch = await qmp.connect(sock, { timeoutMs: 1000 });
    const { err } = await expectFailure(ch.execute('query-status', undefined, { timeoutMs: 5000 }), 1000);
    expect(err).toMatchObject({ name: 'HostError', kind: 'io' });
    expect((err as Error).message).toMatch(/middle of a message/);
    expect(ch.closed).toBe(true);
  });

  it('an error object becomes a QmpCommandError with class and desc', async () => {
    const sock = await hostile(lab, afterHandshake((s, req) => {
      s.write(`{"error": {"class": "DeviceNotActive", "desc": "No balloon device has been activated"}, "id": ${JSON.stringify(req.id)}}\r\n`);
    }));
    const ch = await qmp.connect(sock, { timeoutMs: 1000 });
    const { err } = await expectFailure(ch.execute('query-balloon'), 1000);
    expect(err).toBeInstanceOf(QmpCommandError);
    expect(err).toMatchObject({ qmpClass: 'DeviceNotActive', desc: 'No balloon device has been activated', command: 'query-balloon' });
    expect(ch.closed).toBe(false); // a refused command does not break the session
    await ch.close();
  });

  it('an error without id (QEMU parse error) fails the oldest command in flight', async () => {
    const sock = await hostile(lab, afterHandshake((s) => {
      s.write('{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword"}}\r\n');
    }));
    const ch = await qmp.connect(sock, { timeoutMs: 1000 });
    await expect(ch.execute('query-status')).rejects.toMatchObject({ qmpClass: 'GenericError' });
    await ch.close();
  });

  it('a line flooded without newline hits the size cap (parse error) before the timeout', async () => {
    const sock = await hostile(lab, (s) => {
      s.write('{"QMP": "');
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = (): void => {
        while (sent < 16 << 20 && !s.destroyed) { sent += chunk.length; if (!s.write(chunk)) { s.once('drain', pump); return; } }
      };
      pump();
    });
    const { err } = await expectFailure(qmp.connect(sock, { timeoutMs: 3000, maxLineBytes: 256 * 1024 }), 2500);
    expect(err).toMatchObject({ name: 'HostError', kind: 'parse' });
    expect((err as Error).message).toMatch(/cap/);
  });

  it('a command that is never answered times out; a late answer is ignored and the session lives on', async () => {
    let first = true;
    const sock = await hostile(lab, afterHandshake((s, req) => {
      if (first) { first = false; setTimeout(() => s.write(`{"return": {"late": true}, "id": ${JSON.stringify(req.id)}}\r\n`), 300); return; }
      s.write(`{"return": {"ok": true}, "id": ${JSON.stringify(req.id)}}\r\n`);
    }));
    const ch = await qmp.connect(sock, { timeoutMs: 1000 });
    const { err } = await expectFailure(ch.execute('query-status', undefined, { timeoutMs: 150 }), 600);
    expect(err).toMatchObject({ name: 'HostError', kind: 'timeout' });
    await new Promise((r) => setTimeout(r, 250));
    await expect(ch.execute('query-status')).resolves.toEqual({ ok: true });
    await ch.close();
  });

  it('a missing socket is a typed error', async () => {
    const missing = path.join(lab.tmpdir('qmp'), 'nope.sock');
    await expect(qmp.connect(missing, { timeoutMs: 500 })).rejects.toMatchObject({ name: 'HostError', kind: 'missing' });
  });
});
