// Tuning seen working in the demo (simulated host): a quota applied through the in-process engine is
// written at the guest's group (the scope, not the emulator thread group), shows in the next snapshot,
// and caps the simulated CPU of that guest; undo lifts it again.
import { describe, expect, it } from 'vitest';
import { guestLevel } from '../../src/tuning/guest.js';
import { openEngine } from '../../src/cli/engine-factory.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { EngineApi } from '../../src/engine/protocol/api.js';

const G: GlobalOptions = {
  root: '/', demo: 2, connect: null, tokenFile: null, qmp: [], intervalSec: 0.5, write: true, json: true,
  libvirtUri: null, stateDir: null, auditLog: null,
};

async function nextSnapshots(api: EngineApi, n: number): Promise<Snapshot[]> {
  const got: Snapshot[] = [];
  return new Promise((resolve) => {
    void api.subscribe((s) => { got.push(s); if (got.length === n) resolve(got); });
  });
}

describe('tuning the demo host (simulated host)', () => {
  it('whole-guest limits go to the guest group above libvirt thread groups', () => {
    expect(guestLevel('/machine.slice/machine-qemu\\x2d1\\x2dweb.scope/libvirt/emulator')).toBe('/machine.slice/machine-qemu\\x2d1\\x2dweb.scope');
    expect(guestLevel('/machine/qemu-1-web.libvirt-qemu/emulator')).toBe('/machine/qemu-1-web.libvirt-qemu');
    expect(guestLevel('/machine/qemu-1-web.libvirt-qemu/vcpu3')).toBe('/machine/qemu-1-web.libvirt-qemu');
    expect(guestLevel('/qemu.slice/100.scope')).toBe('/qemu.slice/100.scope');
    expect(guestLevel('/user.slice/libvirt')).toBe('/user.slice/libvirt');
  });

  it('a 50 % quota caps the simulated guest and shows in the snapshot; undo lifts it', async () => {
    const api = await openEngine(G, { write: true });
    try {
      const seen = (await nextSnapshots(api, 4)).slice(1).map((s) => s.guests.find((g) => g.name === 'web-01')!);
      expect(seen.every((g) => g.cpu.quotaUsec === null)).toBe(true);
      expect(Math.max(...seen.map((g) => g.cpu.usagePct ?? 0))).toBeGreaterThan(100);
      const plan = await api.applyTuning({ guest: 'web-01', changes: [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }] });
      expect(plan.applied).toBe(true);
      expect(plan.steps).toEqual([expect.objectContaining({ kind: 'cgroup-write', path: expect.stringMatching(/web\\x2d01\.scope\/cpu\.max$/), to: '50000 100000' })]);
      const after = (await nextSnapshots(api, 6)).slice(2).map((s) => s.guests.find((g) => g.name === 'web-01')!);
      expect(after.every((g) => g.cpu.quotaUsec === 50000)).toBe(true);
      for (const g of after) expect(g.cpu.usagePct).toBeLessThanOrEqual(55);
      await api.undo(plan.changeId);
      const lifted = (await nextSnapshots(api, 6)).slice(3).map((s) => s.guests.find((g) => g.name === 'web-01')!);
      expect(lifted.every((g) => g.cpu.quotaUsec === null)).toBe(true);
      expect(Math.max(...lifted.map((g) => g.cpu.usagePct ?? 0))).toBeGreaterThan(100);
    } finally {
      await api.close();
    }
  });

  it('an io.max read-IOPS limit on a whole disk caps the simulated disk; a partition is refused', async () => {
    const api = await openEngine(G, { write: true });
    try {
      const disk = (s: Snapshot) => s.guests.find((g) => g.name === 'db-02' || g.name === 'batch-02')!.blockDevices.find((d) => d.source === 'cgroup')!;
      const seen = (await nextSnapshots(api, 4)).slice(1).map(disk);
      const before = seen[seen.length - 1]!;
      expect(Math.max(...seen.map((d) => d.readIops ?? 0))).toBeGreaterThan(10);
      const guest = (await api.listGuests()).find((g) => g.name === 'batch-02')!.id;
      const name = before.name;
      const plan = await api.applyTuning({ guest, changes: [{ kind: 'io', device: name, limits: { riops: 5 } }] });
      expect(plan.steps).toEqual([expect.objectContaining({ kind: 'cgroup-write', path: expect.stringMatching(/io\.max$/) })]);
      const after = (await nextSnapshots(api, 9)).slice(2).map(disk);
      expect(after.every((d) => d.limits.readIops === 5)).toBe(true);
      // whole operations per 250 ms step: single intervals jitter by ±2 IOPS, the 3.5 s mean does not
      const mean = after.reduce((a, d) => a + (d.readIops ?? 0), 0) / after.length;
      expect(mean).toBeLessThanOrEqual(6);
      expect(mean).toBeGreaterThan(2);
      await expect(api.previewTuning({ guest, changes: [{ kind: 'io', device: 'nvme0n1p2', limits: { riops: 5 } }] }))
        .rejects.toThrow(/partition/);
    } finally {
      await api.close();
    }
  });
});
