// Real-component test of the daemon's sampler worker (the built dist/cli/sampler-worker.js in a real
// worker thread) reading a demo host whose simulator runs in its own process: sampleDerived() gives
// the snapshot derive() gives on this thread from the same two raw samples (first with no rates, then
// with rates), its JSON text is exactly JSON.stringify of that snapshot, and the raw sample's guests
// (kept encoded) read back whole.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { derive } from '../../src/engine/core/derive.js';
import { WorkerSampleSource } from '../../src/engine/node/worker-sampler.js';
import { startDemoProcess } from '../../src/demo/process.js';
import { useLab } from '../helpers/lab.js';

const ENTRY = new URL('../../dist/cli/sampler-worker.js', import.meta.url);

describe('the sampler worker (real worker thread, demo host in its own process)', () => {
  const lab = useLab();

  it('derives in the worker exactly what derive() gives here, and sends the snapshot\'s JSON text', async () => {
    expect(existsSync(fileURLToPath(ENTRY)), 'run npm run build first').toBe(true);
    const demo = await startDemoProcess({ guests: 6, dir: lab.tmpdir('virtune-wsampler-demo') });
    lab.defer(() => demo.stop());
    const w = new WorkerSampleSource(ENTRY, {
      root: demo.root, demo: false, libvirtUri: null, extraQmpSockets: [], latencyHistograms: 'direct', holdQmp: false,
    });
    lab.defer(() => w.close());
    const all = new Set(['counters', 'discovery', 'settings', 'qmp', 'qmpSlow', 'numa', 'static'] as const);
    const first = await w.sampleDerived({ tasks: all }, { json: true });
    await new Promise((r) => setTimeout(r, 600));
    const second = await w.sampleDerived({ tasks: new Set(['counters', 'qmp'] as const) }, { json: false });

    expect(first.raw.guests.map((g) => g.id).sort()).toEqual(demo.guests.map((g) => g.id).sort());
    expect(first.snapshot).toEqual(derive(null, first.raw));
    expect(first.snapshot.intervalSec).toBeNull();
    expect(first.snapshotJson).toBe(JSON.stringify(first.snapshot));

    expect(second.snapshot).toEqual(derive(first.raw, second.raw));
    expect(second.snapshot.intervalSec).not.toBeNull();
    expect(second.snapshot.guests.some((g) => g.cpu.usagePct !== null)).toBe(true);
    expect(second.snapshotJson).toBeNull();
    expect(second.deriveUsec).toBeGreaterThan(0);
  });
});
