// Real daemon process test: `virtune --root DEMO serve` on a 300-guest demo host whose simulator runs
// in its own process (real QMP servers on unix sockets). The test holds one guest's monitor itself,
// from before the daemon starts (a QEMU monitor serves one client at a time, and the daemon's sampler
// holds a monitor it once got between ticks), so each of the daemon's samples stays in progress up to
// its QMP deadline, its connection to that monitor waiting ungreeted (seen in /proc/net/unix). While it waits, a client's
// `status` requests are all answered, reporting the previous tick, with no snapshot in between; once
// the monitor is released, the sample completes and the next snapshot arrives. Order and liveness
// only: how fast the daemon answers is measured by the bench (statusP99MsDuring1000).

import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDemoProcess } from '../../src/demo/process.js';
import { startServe } from '../helpers/daemon.js';
import { useLab } from '../helpers/lab.js';

/** Sockets in the system bound to `p`: the listener, plus one per connection its server accepted. */
function socketsOn(p: string): number {
  return readFileSync('/proc/net/unix', 'utf8').split('\n').filter((l) => l.endsWith(` ${p}`)).length;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Line { kind: string; id?: number; ok?: boolean; result?: any; sub?: number; snapshot?: any }

describe('virtune serve on a big demo host (real daemon process, real QMP servers)', () => {
  const lab = useLab();

  it('answers status while a sample is in progress, and publishes that sample once it completes', async () => {
    const demo = await startDemoProcess({ guests: 300, dir: lab.tmpdir('virtune-busy-demo') });
    lab.defer(() => demo.stop());
    // hold one guest's monitor first: greeted, so the daemon's sampler is the one left waiting each tick
    const held = demo.guests[150]!;
    const mon = net.createConnection({ path: held.qmpSocket });
    lab.defer(() => { mon.destroy(); });
    let greeting = '';
    mon.on('data', (d: Buffer) => { greeting += d.toString(); });
    await until(() => greeting.includes('"QMP"'), 10_000, 'the monitor greeting');

    const dir = lab.tmpdir('virtune-busy');
    const ro = path.join(dir, 'ro.sock');
    await startServe(lab, ['--root', demo.root, '--interval', '1'], ['--listen-ro', `unix:${ro}`], /read-only/);

    const c = net.createConnection({ path: ro });
    lab.defer(() => { c.destroy(); });
    await new Promise((r, j) => { c.once('connect', r); c.once('error', j); });
    const lines: Line[] = [];
    let buf = '';
    c.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) { lines.push(JSON.parse(buf.slice(0, nl)) as Line); buf = buf.slice(nl + 1); }
    });
    let id = 0;
    const ask = async (method: string): Promise<Line> => {
      const n = ++id;
      c.write(`${JSON.stringify({ v: 1, kind: 'req', id: n, method, params: {} })}\n`);
      await until(() => lines.some((l) => l.kind === 'res' && l.id === n), 60_000, `the reply to ${method} #${n}`);
      return lines.find((l) => l.kind === 'res' && l.id === n) as Line;
    };
    const events = (): Line[] => lines.filter((l) => l.kind === 'event');
    expect((await ask('subscribe')).ok).toBe(true);
    await until(() => events().length >= 1, 60_000, 'the first snapshot');
    expect(events()[0]!.snapshot.guests).toHaveLength(300);

    // the listener and our connection; a third socket is the daemon's sampler, connected and waiting
    await until(() => socketsOn(held.qmpSocket) >= 3, 30_000, 'the daemon\'s sampler to reach the held monitor');
    const eventsBefore = events().length;

    const replies: Line[] = [];
    for (let i = 0; i < 10; i++) replies.push(await ask('status'));
    // the sample was still in progress after the last reply: still waiting on the monitor, nothing published
    expect(socketsOn(held.qmpSocket)).toBeGreaterThanOrEqual(3);
    expect(events()).toHaveLength(eventsBefore);
    const samplesDuring = replies[0]!.result.samples as number;
    for (const r of replies) {
      expect(r.ok).toBe(true);
      expect(r.result.guests).toBe(300);
      expect(r.result.samples).toBe(samplesDuring); // the tick in progress is not counted yet
    }

    // release the monitor: the sample completes and is published
    mon.destroy();
    await until(() => events().length > eventsBefore, 60_000, 'the snapshot of the sample that waited');
    const after = await ask('status');
    expect(after.result.samples).toBeGreaterThan(samplesDuring);
    expect(events().at(-1)!.snapshot.guests).toHaveLength(300);
  });
});
