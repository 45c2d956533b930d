// Tests the websocket endpoint in-process on 127.0.0.1: the token is required, a foreign Origin is
// refused, the daemon's own origin and non-browser clients are accepted, plain HTTP goes to the
// handler, and the host:port parser defaults to loopback.

import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectWs } from '../../src/engine/node/ws-client.js';
import { parseHostPort, startWsServer, type WsServer } from '../../src/engine/node/ws-server.js';

const servers: WsServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

async function server(): Promise<WsServer> {
  const s = await startWsServer({
    host: '127.0.0.1', port: 0,
    onConnection: (t) => { t.onMessage((m) => t.send(`echo:${m}`)); },
    onHttp: (req, res) => {
      if (req.url !== '/metrics') return false;
      res.end('virtune_up 1\n');
      return true;
    },
  });
  servers.push(s);
  return s;
}

const opened = (ws: WebSocket): Promise<number> => new Promise((resolve) => {
  ws.once('open', () => { resolve(101); ws.close(); });
  ws.once('unexpected-response', (_q, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
  ws.once('error', () => resolve(-1));
});

describe('ws-server', () => {
  it('requires the token and refuses foreign origins', async () => {
    const s = await server();
    expect(s.token.length).toBeGreaterThanOrEqual(24);
    expect(await opened(new WebSocket(`ws://127.0.0.1:${s.port}/?token=wrong`))).toBe(401);
    expect(await opened(new WebSocket(`ws://127.0.0.1:${s.port}/`))).toBe(401);
    expect(await opened(new WebSocket(s.url, { origin: 'http://evil.example' }))).toBe(403);
    expect(await opened(new WebSocket(s.url, { origin: `http://127.0.0.1:${s.port}` }))).toBe(101);
    expect(await opened(new WebSocket(s.url))).toBe(101);
    await expect(connectWs(`ws://127.0.0.1:${s.port}/?token=nope`)).rejects.toMatchObject({ exitCode: 4 });
  });

  it('carries messages both ways and serves plain HTTP through the handler', async () => {
    const s = await server();
    const t = await connectWs(s.url);
    const got = new Promise<string>((r) => t.onMessage(r));
    t.send('hi');
    expect(await got).toBe('echo:hi');
    t.close();
    const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
    expect(await res.text()).toBe('virtune_up 1\n');
    expect((await fetch(`http://127.0.0.1:${s.port}/other`)).status).toBe(404);
  });

  it('parses --http values, loopback by default', () => {
    expect(parseHostPort('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHostPort('0.0.0.0:9')).toEqual({ host: '0.0.0.0', port: 9 });
    expect(parseHostPort('[::1]:7')).toEqual({ host: '::1', port: 7 });
    expect(() => parseHostPort('host:99999')).toThrow(/--http/);
  });
});
