// The demo simulates tc shaping (it never runs tc): `--net IF:in=RATE,out=RATE` applied to a demo
// guest caps the simulated tap's traffic in both directions in the following snapshots, shows as the
// tap's shaping (known unshaped before: web-01 has no qdisc at the start) and as the network-limit cause,
// and undo lifts it again. Through the in-process engine a CLI command builds (openEngine).
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/cli/engine-factory.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { EngineApi } from '../../src/engine/protocol/api.js';

const G: GlobalOptions = {
  root: '/', demo: 2, connect: null, qmp: [], intervalSec: 0.5, write: true, json: true,
  libvirtUri: null, stateDir: null, auditLog: null, tokenFile: null,
};

function snapshots(api: EngineApi, n: number): Promise<Snapshot[]> {
  const got: Snapshot[] = [];
  return new Promise((resolve) => { void api.subscribe((s) => { got.push(s); if (got.length === n) resolve(got); }); });
}
const nic = (s: Snapshot) => s.guests.find((g) => g.name === 'web-01')!.nics.find((n) => n.ifname === 'vnet0')!;

describe('demo tc shaping (simulated, no tc run)', () => {
  it('in=800kbit,out=400kbit caps rx and tx of the simulated tap, shows as its shaping and is diagnosed; undo lifts it', async () => {
    const api = await openEngine(G, { write: true });
    try {
      const before = (await snapshots(api, 4)).slice(1).map(nic);
      expect(Math.min(...before.map((n) => n.rxBytesPerSec ?? 0))).toBeGreaterThan(200_000);
      expect(Math.min(...before.map((n) => n.txBytesPerSec ?? 0))).toBeGreaterThan(100_000);
      for (const n of before) expect(n.shaping).toEqual({ inKbitPerSec: null, outKbitPerSec: null, active: false });
      const plan = await api.applyTuning({ guest: 'web-01', changes: [{ kind: 'net', ifname: 'vnet0',
        in: { rateKbit: 800, peakKbit: null, burstBytes: null }, out: { rateKbit: 400, peakKbit: null, burstBytes: null } }] });
      expect(plan.applied).toBe(true);
      const shaped = (await snapshots(api, 6)).slice(2).map(nic);
      // 800 kbit/s = 100 000 B/s, 400 kbit/s = 50 000 B/s (a little slack for the interval's edges)
      for (const n of shaped) {
        expect(n.rxBytesPerSec).toBeLessThanOrEqual(100_000 * 1.1);
        expect(n.txBytesPerSec).toBeLessThanOrEqual(50_000 * 1.1);
        expect(n.shaping).toEqual({ inKbitPerSec: 800, outKbitPerSec: 400, active: true });
      }
      const why = await api.diagnose('web-01', 2);
      const ev = why.causes.find((c) => c.cause === 'network-limit')?.evidence;
      // both directions sit at their rate: the evidence names whichever is closer to it
      expect([{ nic: 'vnet0', direction: 'in', shapingKbitPerSec: 800 }, { nic: 'vnet0', direction: 'out', shapingKbitPerSec: 400 }])
        .toContainEqual({ nic: ev?.nic, direction: ev?.direction, shapingKbitPerSec: ev?.shapingKbitPerSec });
      await api.undo(plan.changeId);
      const lifted = (await snapshots(api, 6)).slice(3).map(nic);
      expect(Math.max(...lifted.map((n) => n.rxBytesPerSec ?? 0))).toBeGreaterThan(200_000);
      for (const n of lifted) expect(n.shaping).toEqual({ inKbitPerSec: null, outKbitPerSec: null, active: false });
    } finally {
      await api.close();
    }
  }, 60_000);

  it("batch-02's built-in 1 Mbit/s shaping is a real qdisc of the simulated tc: removing it lifts the cap, undo puts it back", async () => {
    const api = await openEngine(G, { write: true });
    const vnet1 = (s: Snapshot) => s.guests.find((g) => g.name === 'batch-02')!.nics.find((n) => n.ifname === 'vnet1')!;
    try {
      const before = (await snapshots(api, 3)).slice(1).map(vnet1);
      for (const n of before) {
        expect(n.shaping).toEqual({ inKbitPerSec: 1000, outKbitPerSec: null, active: true });
        expect(n.rxBytesPerSec).toBeLessThanOrEqual(125_000 * 1.1);
      }
      const plan = await api.applyTuning({ guest: 'batch-02', changes: [{ kind: 'net', ifname: 'vnet1', in: 'none' }] });
      expect(plan.steps).toEqual([expect.objectContaining({ kind: 'exec', argv: ['tc', 'qdisc', 'del', 'dev', 'vnet1', 'root'] })]);
      const free = (await snapshots(api, 5)).slice(2).map(vnet1);
      for (const n of free) expect(n.shaping).toEqual({ inKbitPerSec: null, outKbitPerSec: null, active: false });
      expect(Math.max(...free.map((n) => n.rxBytesPerSec ?? 0))).toBeGreaterThan(125_000 * 1.1);
      await api.undo(plan.changeId);
      const back = (await snapshots(api, 5)).slice(2).map(vnet1);
      for (const n of back) {
        expect(n.shaping).toEqual({ inKbitPerSec: 1000, outKbitPerSec: null, active: true });
        expect(n.rxBytesPerSec).toBeLessThanOrEqual(125_000 * 1.1);
      }
    } finally {
      await api.close();
    }
  }, 60_000);
});
