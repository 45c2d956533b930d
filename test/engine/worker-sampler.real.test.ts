// Real-component test of the daemon's sampler worker (the built dist/cli/sampler-worker.js in a real
// worker thread) reading a demo host whose simulator runs in its own process: sampleDerived() gives
// the snapshot derive() gives on this thread from the same two raw samples (first with no rates, then
// with rates), the JSON text made from the parts that crossed is exactly JSON.stringify of derive()'s
// snapshot, and the raw sample's guests (kept encoded) read back whole; with raw: false they stay in
// the worker until loadRawGuests fetches them (reading them before throws instead of giving none).
// The tuner's QMP connector leases the worker's own connections, which the sampler holds between ticks.
// A recording's block encoder in the worker: the block it builds from the samples it read decodes to
// exactly those samples (fetched here whole to compare), while the engine's side saw only their heads
// and guest counts; closing the worker keeps its open block for the last take; a worker that died
// mid-block makes take() reject instead of storing a block that misses samples.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { derive } from '../../src/engine/core/derive.js';
import { guestCountOf, WorkerSampleSource } from '../../src/engine/node/worker-sampler.js';
import { decodeBlock } from '../../src/engine/record/codec.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import { HostError } from '../../src/engine/model/errors.js';
import { QmpCommandError } from '../../src/engine/ports/qmp.js';
import { startDemoProcess } from '../../src/demo/process.js';
import { useLab } from '../helpers/lab.js';

const ENTRY = new URL('../../dist/cli/sampler-worker.js', import.meta.url);

describe('the sampler worker (real worker thread, demo host in its own process)', () => {
  const lab = useLab();

  it('derives in the worker exactly what derive() gives here; the snapshot crosses as its JSON text', async () => {
    expect(existsSync(fileURLToPath(ENTRY)), 'run npm run build first').toBe(true);
    const demo = await startDemoProcess({ guests: 6, dir: lab.tmpdir('virtune-wsampler-demo') });
    lab.defer(() => demo.stop());
    const w = new WorkerSampleSource(ENTRY, {
      root: demo.root, demo: false, libvirtUri: null, extraQmpSockets: [], latencyHistograms: 'direct',
    });
    lab.defer(() => w.close());
    const all = new Set(['counters', 'discovery', 'settings', 'qmp', 'qmpSlow', 'numa', 'static'] as const);
    const first = await w.sampleDerived({ tasks: all });
    await new Promise((r) => setTimeout(r, 600));
    const second = await w.sampleDerived({ tasks: new Set(['counters', 'qmp'] as const) });

    expect(first.raw.guests.map((g) => g.id).sort()).toEqual(demo.guests.map((g) => g.id).sort());
    const firstHere = derive(null, first.raw);
    expect(first.snapshot).toEqual(firstHere);
    expect(first.snapshot.intervalSec).toBeNull();
    expect(typeof first.snapshotJson).toBe('function');
    expect((first.snapshotJson as () => string)()).toBe(JSON.stringify(firstHere));

    const secondHere = derive(first.raw, second.raw);
    expect(second.snapshot).toEqual(secondHere);
    expect(second.snapshot.intervalSec).not.toBeNull();
    expect(second.snapshot.guests.some((g) => g.cpu.usagePct !== null)).toBe(true);
    expect((second.snapshotJson as () => string)()).toBe(JSON.stringify(secondHere));
    expect(second.deriveUsec).toBeGreaterThan(0);

    await new Promise((r) => setTimeout(r, 600));
    const third = await w.sampleDerived({ tasks: new Set(['counters', 'qmp'] as const) }, { raw: false });
    expect(() => third.raw.guests).toThrow(/not fetched/);
    expect(third.raw.monoMs).toBeGreaterThan(second.raw.monoMs);
    expect(typeof third.loadRawGuests).toBe('function');
    await third.loadRawGuests?.();
    expect(third.raw.guests.map((g) => g.id).sort()).toEqual(demo.guests.map((g) => g.id).sort());
    expect(third.snapshot).toEqual(derive(second.raw, third.raw)); // the very sample the worker derived from
    expect(second.loadRawGuests ?? null).toBeNull(); // asked whole: nothing to fetch
  });

  it('builds a recording block in the worker from the samples it read, which never crossed whole', async () => {
    const demo = await startDemoProcess({ guests: 5, dir: lab.tmpdir('virtune-wsampler-rec') });
    lab.defer(() => demo.stop());
    const w = new WorkerSampleSource(ENTRY, {
      root: demo.root, demo: false, libvirtUri: null, extraQmpSockets: [], latencyHistograms: 'direct',
    });
    lab.defer(() => w.close());
    const enc = w.blockEncoder();
    const all = new Set(['counters', 'discovery', 'settings', 'qmp', 'qmpSlow', 'numa', 'static'] as const);
    const read: RawSample[] = [];
    let added = 0;
    for (let i = 0; i < 4; i++) {
      const d = await w.sampleDerived({ tasks: i === 0 ? all : new Set(['counters', 'qmp'] as const) }, { raw: false });
      expect(() => d.raw.guests).toThrow(/not fetched/); // only the head crossed
      expect(enc.add(d.raw)).toBe(5); // the guest count came with the head
      expect(guestCountOf(d.raw)).toBe(5);
      added++;
      await d.loadRawGuests?.(); // fetched only to compare with the block
      read.push(d.raw);
      await new Promise((r) => setTimeout(r, 300));
    }
    const block = await enc.take(added);
    expect(decodeBlock(block)).toEqual(JSON.parse(JSON.stringify(read)));
    // the next block starts empty: one more sample, one sample in it
    const next = await w.sampleDerived({ tasks: new Set(['counters'] as const) }, { raw: false });
    enc.add(next.raw);
    await next.loadRawGuests?.();
    expect(decodeBlock(await enc.take(1))).toEqual(JSON.parse(JSON.stringify([next.raw])));
    // closing the worker (the daemon's shutdown: the engine stops, then the recording commits) keeps
    // its open block for the recorder's last take
    const last = await w.sampleDerived({ tasks: new Set(['counters'] as const) }, { raw: false });
    enc.add(last.raw);
    await last.loadRawGuests?.();
    const lastRaw = JSON.parse(JSON.stringify(last.raw)) as RawSample;
    await w.close();
    expect(decodeBlock(await enc.take(1))).toEqual([lastRaw]);
    // a worker that died mid-block (terminated here, no close) took its samples with it: take rejects
    enc.add((await w.sampleDerived({ tasks: all }, { raw: false })).raw); // a new worker
    await (w as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    enc.add((await w.sampleDerived({ tasks: all }, { raw: false })).raw); // another new worker: 1 sample
    await expect(enc.take(2)).rejects.toThrow(/holds 1 of the block's 2 samples/);
  });

  it('the tuner\'s QMP goes over the worker\'s own connections, which the sampler holds between ticks', async () => {
    const demo = await startDemoProcess({ guests: 2, dir: lab.tmpdir('virtune-wsampler-qmp') });
    lab.defer(() => demo.stop());
    const w = new WorkerSampleSource(ENTRY, { root: demo.root, demo: false, libvirtUri: null, extraQmpSockets: [], latencyHistograms: 'direct' });
    lab.defer(() => w.close());
    const first = await w.sampleDerived({ tasks: new Set(['counters', 'discovery', 'settings', 'qmp', 'qmpSlow', 'numa', 'static'] as const) });
    const g = first.raw.guests[0];
    expect(g?.qmp?.dedicated).toBe(true);
    const socket = path.join(demo.root, g?.qmp?.socket ?? '');
    // the sampler holds the monitor: a client of its own would wait for a greeting
    await expect(new SocketQmpConnector().connect(socket, { timeoutMs: 400 })).rejects.toMatchObject({ name: 'HostError', kind: 'timeout' });
    const ch = await w.qmpConnector().connect(socket, { timeoutMs: 2000 });
    await expect(ch.execute('query-status')).resolves.toMatchObject({ status: 'running' });
    const refused = await ch.execute('no-such-command').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QmpCommandError);
    expect((refused as QmpCommandError).qmpClass).toBe('CommandNotFound');
    // the worker keeps sampling over the same connection meanwhile
    const next = await w.sampleDerived({ tasks: new Set(['counters', 'qmp'] as const) });
    expect(next.raw.errors.filter((e) => e.source === 'qmp')).toEqual([]);
    await ch.close();
    await expect(ch.execute('query-status')).rejects.toThrow(/closed/);
    const missing = await w.qmpConnector().connect(path.join(demo.root, 'no-such.qmp'), { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HostError);
  });
});
