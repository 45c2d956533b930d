// The demo's shaping as the collector reads it from the demo tree's shaping file (a temp tree):
// no file = a demo without qdiscs (every tap known unshaped), a line per shaped tap, a file that cannot
// be read = shaping unknown with the reason in errors; re-read on settings ticks only.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoShapingEnricher } from '../../src/demo/shaping-enricher.js';
import { SHAPING_FILE } from '../../src/demo/net-shaping.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import type { RawGuest, RawNic } from '../../src/engine/model/sample.js';
import type { EnrichContext, SampleTask } from '../../src/engine/ports/sources.js';

const nic = (ifname: string, macvtap = false): RawNic => ({
  ifname, mac: null, macvtap, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0, rxDropped: 0, txDropped: 0, shaping: null,
});
const guests = (): RawGuest[] => [{ id: 'qemu:a', nics: [nic('vnet0'), nic('vnet1'), nic('macvtap0', true)] } as unknown as RawGuest];
const ctx = (...tasks: SampleTask[]): EnrichContext => ({ tasks: new Set(tasks), errors: [], monoMs: 0 });

describe('demo shaping enricher (temp demo tree)', () => {
  let root: string;
  let fs: NodeHostFs;
  beforeEach(() => { root = mkdtempSync(path.join(tmpdir(), 'vt-shaping-')); fs = new NodeHostFs(root); });
  afterEach(() => { fs.close(); rmSync(root, { recursive: true, force: true }); });

  it('reads each tap from the file, unshaped when the file or its line is missing, carried between settings ticks', async () => {
    const e = createDemoShapingEnricher(fs);
    let gs = guests();
    await e.enrich(gs, ctx('counters'));
    expect(gs[0]!.nics.map((n) => n.shaping)).toEqual([
      { inKbitPerSec: null, outKbitPerSec: null }, { inKbitPerSec: null, outKbitPerSec: null }, null,
    ]);
    mkdirSync(path.dirname(root + SHAPING_FILE), { recursive: true });
    writeFileSync(root + SHAPING_FILE, 'vnet1 in=10000 out=-\n');
    gs = guests();
    await e.enrich(gs, ctx('counters'));
    expect(gs[0]!.nics[1]!.shaping).toEqual({ inKbitPerSec: null, outKbitPerSec: null }); // carried until settings
    gs = guests();
    await e.enrich(gs, ctx('counters', 'settings'));
    expect(gs[0]!.nics.map((n) => n.shaping)).toEqual([
      { inKbitPerSec: null, outKbitPerSec: null }, { inKbitPerSec: 10000, outKbitPerSec: null }, null,
    ]);
  });

  it('a shaping file that cannot be read leaves shaping unknown and says why', async () => {
    mkdirSync(root + SHAPING_FILE, { recursive: true }); // a directory where the file should be
    const e = createDemoShapingEnricher(fs);
    const gs = guests();
    const c = ctx('counters', 'settings');
    await e.enrich(gs, c);
    expect(gs[0]!.nics.map((n) => n.shaping)).toEqual([null, null, null]);
    expect(c.errors).toEqual([expect.objectContaining({ source: 'tc', message: expect.stringMatching(/^demo shaping: .*shaping unknown$/) })]);
  });
});
