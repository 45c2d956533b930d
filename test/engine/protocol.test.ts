// Tests the wire protocol and the RPC server's defences over the JSON loopback and a unix socket:
// malformed JSON, unknown methods, bad params, wrong version, oversized messages, read-only refusal,
// back-pressure on slow clients, and the IPC adapter dropping foreign senders (fake ipcMain).

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/core/engine.js';
import { listenUnix, socketTransport } from '../../src/engine/node/unix-socket.js';
import { parseRequest } from '../../src/engine/protocol/messages.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { createLoopbackPair } from '../../src/engine/rpc/loopback.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import type { Transport } from '../../src/engine/rpc/transport.js';
import { ipcTransport } from '../../src/desktop/main/ipc-transport.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { FakeSampleSource } from './raw-builders.js';
import { RecordingTuner } from './fake-tuner.js';
import { FakeIpcMain, FakeWebContents } from '../contract/transports.js';

const CALLER = { uid: 1, user: 'u', pid: 2, via: 'test' };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function engineWithTuner(): { engine: Engine; clock: ManualClock; tuner: RecordingTuner } {
  const clock = new ManualClock();
  const tuner = new RecordingTuner(clock);
  const engine = createEngine({
    sampler: new FakeSampleSource(clock), clock, tuner, advisor: null, readOnly: false, demo: false,
    root: '/', intervalSec: 1, version: 't',
  });
  cleanups.push(() => engine.stop());
  return { engine, clock, tuner };
}

/** raw side: send text, collect replies */
function rawPeer(t: Transport): { replies: any[]; send(text: string): void } {
  const replies: any[] = [];
  t.onMessage((text) => replies.push(JSON.parse(text)));
  return { replies, send: (x) => t.send(x) };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('parseRequest', () => {
  it('accepts a valid request and rejects malformed ones with a reason', () => {
    expect(parseRequest('{"v":1,"kind":"req","id":3,"method":"status","params":{}}')).toMatchObject({ ok: true, msg: { id: 3, method: 'status' } });
    expect(parseRequest('{nope')).toMatchObject({ ok: false, id: null, message: 'message is not valid JSON' });
    expect(parseRequest('{"v":1,"kind":"req","id":4,"method":"rm -rf","params":{}}')).toMatchObject({ ok: false, id: 4, message: expect.stringMatching(/^unknown method/) });
    expect(parseRequest('{"v":2,"kind":"req","id":5,"method":"status"}')).toMatchObject({ ok: false, id: 5, message: expect.stringMatching(/protocol version 2/) });
    expect(parseRequest('{"v":1,"kind":"req","id":6,"method":"applyTuning","params":{"req":{"guest":"a","changes":[{"kind":"cpuWeight","value":"x"}]}}}'))
      .toMatchObject({ ok: false, id: 6, message: expect.stringMatching(/^invalid params for applyTuning/) });
    expect(parseRequest('{"v":1,"kind":"req","id":7,"method":"status","params":{},"extra":1}')).toMatchObject({ ok: false, id: 7 });
    expect(parseRequest('null')).toMatchObject({ ok: false, id: null });
    expect(parseRequest('"x".repeat', 4)).toMatchObject({ ok: false, message: expect.stringMatching(/too large/) });
  });
});

describe('serveEngine', () => {
  it('answers malformed, unknown and oversized messages with error replies and keeps serving', async () => {
    const { engine } = engineWithTuner();
    await engine.tick();
    const [a, b] = createLoopbackPair();
    serveEngine(engine, a, { readOnly: false, caller: CALLER, maxRequestBytes: 2048 });
    const peer = rawPeer(b);
    peer.send('not json');
    peer.send('{"v":1,"kind":"req","id":1,"method":"bogus"}');
    peer.send(JSON.stringify({ v: 1, kind: 'req', id: 2, method: 'status', params: { pad: 'x'.repeat(5000) } }));
    peer.send('{"v":1,"kind":"req","id":3,"method":"status"}');
    await until(() => peer.replies.length === 4);
    expect(peer.replies.slice(0, 3).map((r) => [r.id, r.ok, r.error.code])).toEqual([[null, false, 2], [1, false, 2], [null, false, 2]]);
    expect(peer.replies[2].error.message).toMatch(/too large/);
    expect(peer.replies[3]).toMatchObject({ v: 1, id: 3, ok: true, result: { samples: 1 } });
  });

  it('refuses every tuning request (preview included) on a read-only connection with code 4', async () => {
    const { engine, tuner } = engineWithTuner();
    await engine.tick();
    const [a, b] = createLoopbackPair();
    serveEngine(engine, a, { readOnly: true, caller: CALLER });
    const api = connectEngine(b);
    const req = { guest: 'alpha', changes: [{ kind: 'cpuWeight' as const, value: 5, flag: 'cpu-weight' as const }] };
    await expect(api.applyTuning(req)).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/^read-only/) });
    await expect(api.undo()).rejects.toMatchObject({ exitCode: 4 });
    await expect(api.keep('c1')).rejects.toMatchObject({ exitCode: 4 });
    await expect(api.previewTuning(req)).rejects.toMatchObject({ exitCode: 4 });
    expect((await api.status()).samples).toBe(1); // reads still work
    expect(tuner.calls.map((c) => c.op).filter((op) => op !== 'revertDue')).toEqual([]);
  });

  it('passes the connection caller (not anything from the wire) to the tuner', async () => {
    const { engine, tuner } = engineWithTuner();
    await engine.tick();
    const [a, b] = createLoopbackPair();
    serveEngine(engine, a, { readOnly: false, caller: CALLER });
    const peer = rawPeer(b);
    peer.send(JSON.stringify({ v: 1, kind: 'req', id: 1, method: 'applyTuning', params: { req: { guest: 'alpha', changes: [] }, caller: { uid: 0 } } }));
    await until(() => peer.replies.length === 1);
    expect(peer.replies[0].ok).toBe(false); // unknown field 'caller' is refused
    const api = connectEngine(b);
    await api.applyTuning({ guest: 'alpha', changes: [] });
    expect(tuner.calls.find((c) => c.op === 'apply')!.caller).toEqual(CALLER);
  });

  it('skips snapshot events for a client whose transport is backed up (back-pressure)', async () => {
    const { engine } = engineWithTuner();
    const [a, b] = createLoopbackPair();
    let backlog = 0;
    const slow: Transport = { ...a, send: (t) => a.send(t), onMessage: (cb) => a.onMessage(cb), onClose: (cb) => a.onClose(cb), close: () => a.close(), get closed() { return a.closed; }, backlog: () => backlog };
    const conn = serveEngine(engine, slow, { readOnly: false, caller: CALLER, eventBacklogBytes: 100 });
    const api = connectEngine(b);
    const got: unknown[] = [];
    await api.subscribe((s) => got.push(s));
    await engine.tick();
    await until(() => got.length === 1);
    backlog = 1000;
    await engine.tick();
    await engine.tick();
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toHaveLength(1);
    expect(conn.skippedEvents).toBe(2);
  });
});

describe('unix socket transport', () => {
  it('survives malformed and oversized lines, and drops a client that never reads', async () => {
    const { engine, clock } = engineWithTuner();
    await engine.tick();
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-proto-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sock = path.join(dir, 's.sock');
    const served: Array<ReturnType<typeof serveEngine>> = [];
    const listener = await listenUnix(sock, {
      mode: 0o666,
      onConnection: (s) => {
        const t = socketTransport(s, {
          maxLineBytes: 4096, maxBacklogBytes: 256 * 1024,
          oversizeReply: JSON.stringify({ v: 1, kind: 'res', id: null, ok: false, error: { code: 2, message: 'message too large' } }),
        });
        served.push(serveEngine(engine, t, { readOnly: true, caller: CALLER, eventBacklogBytes: 1 << 30 }));
      },
    });
    cleanups.push(() => listener.close());
    expect(statSync(sock).mode & 0o777).toBe(0o666);

    const c = net.createConnection({ path: sock });
    await new Promise((r) => c.once('connect', r));
    let buf = '';
    c.on('data', (d) => { buf += d.toString(); });
    c.write('garbage\n' + 'y'.repeat(10_000) + '\n{"v":1,"kind":"req","id":9,"method":"status"}\n');
    await until(() => buf.split('\n').filter(Boolean).length >= 3);
    const lines = buf.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ ok: false, error: { code: 2 } });
    expect(lines[1]).toMatchObject({ ok: false, error: { code: 2, message: 'message too large' } });
    expect(lines[2]).toMatchObject({ id: 9, ok: true });
    c.destroy();

    // a client that subscribes and never reads: the daemon drops it once its backlog passes the cap
    const lazy = net.createConnection({ path: sock });
    await new Promise((r) => lazy.once('connect', r));
    lazy.pause();
    lazy.write('{"v":1,"kind":"req","id":1,"method":"subscribe"}\n');
    await until(() => served.length === 2);
    let closed = false;
    lazy.on('close', () => { closed = true; });
    for (let i = 0; i < 400 && !closed; i++) {
      clock.advance(1000);
      await engine.tick();
      await new Promise((r) => setImmediate(r));
    }
    lazy.resume();
    await until(() => closed);
    expect(listener.connections).toBe(0);
  });

  it('replaces a stale socket file, refuses to steal a live one, and removes its file on close', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'virtune-stale-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sock = path.join(dir, 's.sock');
    // a stale socket: a server bound without unlinking on close
    const stale = net.createServer();
    await new Promise<void>((r) => stale.listen(sock, () => r()));
    const staleHandle = (stale as unknown as { _handle: { close(): void } })._handle;
    staleHandle.close(); // the file stays, nobody listens (like a SIGKILLed daemon)
    const l1 = await listenUnix(sock, { mode: 0o600, onConnection: (s) => s.end() });
    await expect(listenUnix(sock, { mode: 0o600, onConnection: (s) => s.end() })).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/already listening/) });
    await l1.close();
    expect(() => statSync(sock)).toThrow();
  });
});

describe('ipc-transport (fake ipcMain, no Electron binary)', () => {
  it('drops messages from other windows, subframes and non-text, and stops on destroy', async () => {
    const ipcMain = new FakeIpcMain();
    const contents = new FakeWebContents(1, ipcMain);
    const other = new FakeWebContents(2, ipcMain);
    const t = ipcTransport(ipcMain, contents);
    const got: string[] = [];
    t.onMessage((m) => got.push(m));
    contents.rendererSend('hello');
    other.rendererSend('from another window');
    contents.rendererSend('from an iframe', contents.subFrame);
    contents.rendererSend({ not: 'text' });
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['hello']);
    expect(t.dropped).toBe(3);
    contents.destroy();
    expect(t.closed).toBe(true);
    expect(ipcMain.count('virtune:msg')).toBe(0);
  });
});
