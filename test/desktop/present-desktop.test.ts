// The face-neutral view-models the desktop/browser renderer adds to engine/present: limit badges, the
// live chart specs with configured limits and the comparison values, journal and audit rows, advice rows.

import { describe, expect, it } from 'vitest';
import type { GuestSnap } from '../../src/engine/model/snapshot.js';
import { adviceRows, lintRows } from '../../src/engine/present/advice-rows.js';
import { guestCharts } from '../../src/engine/present/guest-charts.js';
import { COMPARE_METRICS, compareValue } from '../../src/engine/present/guest-charts.js';
import { guestRowVM } from '../../src/engine/present/guest-table.js';
import { limitBadges } from '../../src/engine/present/limit-badges.js';
import { auditRows, changeRows } from '../../src/engine/present/plan-steps.js';

function guest(name: string, over: Partial<GuestSnap['cpu']> = {}, extra: Partial<GuestSnap> = {}): GuestSnap {
  return {
    id: `qemu:${name}`, name, uuid: null, manager: 'qemu', pid: 100, state: 'running',
    cgroup: { path: `/machine.slice/${name}.scope`, version: 1 },
    vcpus: [{ index: 0, tid: 101, usagePct: 40, runDelayPct: 1, lastCpu: 0, cpusAllowed: '0-3', quotaUsec: null, periodUsec: null, quotaUnlimited: null, throttledPct: null, nrThrottled: null }, { index: 1, tid: 102, usagePct: null, runDelayPct: null, lastCpu: 1, cpusAllowed: '0-3', quotaUsec: null, periodUsec: null, quotaUnlimited: null, throttledPct: null, nrThrottled: null }],
    cpu: { usagePct: 50, stealPct: 1, weight: null, shares: 1024, quotaUsec: null, periodUsec: 100000, quotaUnlimited: null, throttledPct: 0, nrThrottled: 0, emulator: null, cpuset: '0-3', cpusetEffective: '0-3', ...over },
    memory: { currentBytes: 2 ** 30, rssBytes: 2 ** 29, maxBytes: null, maxUnlimited: true, hugetlbBytes: 0, anonHugeBytes: 0, ksmMergingPages: null, mems: '0', perNodeBytes: { 1: 5, 0: 7 }, balloonActualBytes: null },
    disks: [{ name: 'virtio-disk0', target: null, source: 'qmp', device: null, readIops: 10, writeIops: 5, readBytesPerSec: 1024, writeBytesPerSec: 2048, readLatencyMs: 0.5, writeLatencyMs: null, flushLatencyMs: null, latencyMs: { read: null, write: null, flush: null },
      limits: { readIops: 500, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null } }],
    nics: [{ ifname: 'vnet0', mac: null, rxBytesPerSec: 100, txBytesPerSec: 200, rxPacketsPerSec: 1, txPacketsPerSec: 2, rxDroppedPerSec: 0, txDroppedPerSec: 0, shaping: { inKbitPerSec: 8000, outKbitPerSec: null, active: true } }],
    psi: { cpuSomePct: null, ioSomePct: null, memSomePct: null }, blockDevices: [],
    ...extra,
  };
}

describe('limit badges', () => {
  it('spells out every configured limit; none for an unlimited guest', () => {
    expect(limitBadges(guest('a', { quotaUsec: 150000, cpuset: '0-1' }))).toEqual(['quota 150%', 'cpuset 0-1', 'virtio-disk0 riops ≤ 500', 'vnet0 in ≤ 8 Mbit/s']);
    expect(limitBadges(guest('b', {}, { disks: [], nics: [] }))).toEqual([]);
  });
});

describe('comparison values', () => {
  it('are the guest table row values (same figures as the table), unknown stays null', () => {
    const g = guest('a', { usagePct: null });
    const by = (k: string) => COMPARE_METRICS.find((m) => m.key === k)!;
    expect(compareValue(g, by('cpu'))).toBeNull();
    expect(compareValue(g, by('iops'))).toBe(guestRowVM(g).values.iops);
    expect(compareValue(g, by('mem'))).toBe(guestRowVM(g).values.mem);
  });
});

describe('chart view-models', () => {
  it('has per-vCPU, run delay, per-disk, per-NIC and per-node charts with limits; unknown stays null', () => {
    const cs = guestCharts(guest('a', { quotaUsec: 50000 }, { memory: { ...guest('a').memory, maxBytes: 2 ** 31 } }));
    expect(cs.map((c) => c.id)).toEqual(['cpu', 'rundelay', 'disk:virtio-disk0:iops', 'disk:virtio-disk0:bw', 'disk:virtio-disk0:lat', 'nic:vnet0', 'nic:vnet0:drops', 'mem']);
    expect(cs.map((c) => c.group)).toEqual(['cpu', 'cpu', 'disk', 'disk', 'disk', 'net', 'net', 'mem']);
    const cpu = cs[0]!;
    expect(cpu.series).toEqual([{ label: 'guest total', metric: 'cpu.usagePct', value: 50 }, { label: 'vCPU 0', metric: 'vcpus.0.usagePct', value: 40 }, { label: 'vCPU 1', metric: 'vcpus.1.usagePct', value: null }]);
    expect(cpu.limits).toEqual([{ label: 'quota', value: 50 }]);
    expect(cs[2]!.limits).toEqual([{ label: 'read limit', value: 500 }]);
    expect(cs[2]!.series.map((x) => x.metric)).toEqual(['disks.virtio-disk0.readIops', 'disks.virtio-disk0.writeIops']);
    expect(cs[5]!.limits).toEqual([{ label: 'in (rx) limit', value: 1_000_000 }]);
    const mem = cs[7]!;
    expect(mem.series.map((s) => s.label)).toEqual(['resident', 'cgroup', 'node 0', 'node 1']);
    expect(mem.series.map((s) => s.metric)).toEqual(['memory.rssBytes', 'memory.currentBytes', 'memory.perNodeBytes.0', 'memory.perNodeBytes.1']);
    expect(mem.limits).toEqual([{ label: 'memory max', value: 2 ** 31 }]);
    expect(guestCharts(guest('b'))[0]!.limits).toEqual([]);
  });
});

describe('plan, journal and audit rows', () => {
  it('lists changes with their revert countdown and audit entries with the step they touched', () => {
    const now = Date.parse('2026-12-01T08:00:00Z');
    const plan = { guest: 'a', applied: true, changeId: 'c1', warnings: [], steps: [{ kind: 'cgroup-write' as const, path: '/sys/fs/cgroup/cpu/x/cpu.cfs_quota_us', from: '-1', to: '50000' }] };
    expect(changeRows([
      { changeId: 'c1', guest: 'a', guestUuid: null, appliedAt: 't', plan, undoSteps: [], state: 'applied', revertAt: '2026-12-01T08:01:05Z' },
      { changeId: 'c2', guest: 'a', guestUuid: null, appliedAt: 't', plan, undoSteps: [], state: 'undone', revertAt: '2026-12-01T08:01:05Z' },
    ], now)).toEqual([
      { changeId: 'c1', guest: 'a', appliedAt: 't', state: 'applied', steps: 1, revert: '1:05' },
      { changeId: 'c2', guest: 'a', appliedAt: 't', state: 'undone', steps: 1, revert: '' },
    ]);
    expect(auditRows([{ time: 't', uid: 0, user: 'root', peerPid: 1, guest: 'a', guestUuid: null, changeId: 'c1', action: 'apply', step: plan.steps[0]!, old: '-1', new: '50000', result: 'failed', message: 'EACCES' }]))
      .toEqual([{ time: 't', who: 'root', guest: 'a', action: 'apply', what: '/sys/fs/cgroup/cpu/x/cpu.cfs_quota_us', change: '-1 → 50000', result: 'failed: EACCES' }]);
    expect(auditRows([{ time: 't', uid: 1000, user: null, peerPid: 1, guest: null, guestUuid: null, changeId: null, action: 'keep', step: null, old: null, new: null, result: 'ok' }]))
      .toEqual([{ time: 't', who: 'uid 1000', guest: '-', action: 'keep', what: '-', change: '- → -', result: 'ok' }]);
  });

  it('advice and lint rows', () => {
    const a = adviceRows({ need: { vcpus: 2, memMiB: 1024 }, nodeset: '1', cpus: '4-7', fits: true, reason: 'most free', migrateBytes: null,
      nodes: [{ node: 1, freeMemMiB: 2048, freeCpuPct: 350, score: 12.4, chosen: true }] });
    expect(a.summary).toBe('fits: nodeset 1, cpus 4-7 — most free');
    expect(a.nodes).toEqual([['1', '2.00 GiB', '350%', '12', 'yes']]);
    expect(lintRows([{ rule: 'r', severity: 'warning', guest: null, message: 'm', suggestion: null }])).toEqual([['warning', 'host', 'r', 'm', '']]);
  });
});

