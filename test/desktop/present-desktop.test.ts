// The face-neutral view-models the desktop/browser renderer draws (engine/present): guest list rows
// with limits marked, sorting with unknown values last, filtering; chart specs with configured limits;
// the host overview; plan rows and the revert countdown; advice rows; the shared key map.

import { describe, expect, it } from 'vitest';
import type { GuestSnap, Snapshot } from '../../src/engine/model/snapshot.js';
import { adviceRows, lintRows } from '../../src/engine/present/advice-rows.js';
import { guestCharts } from '../../src/engine/present/guest-charts.js';
import { compareRows, guestList, guestListRow } from '../../src/engine/present/guest-list.js';
import { hostOverview, hugepageText } from '../../src/engine/present/host-overview.js';
import { actionForKey, KEY_BINDINGS } from '../../src/engine/present/keys.js';
import { auditRows, planRows, revertCountdown } from '../../src/engine/present/plan-steps.js';

function guest(name: string, over: Partial<GuestSnap['cpu']> = {}, extra: Partial<GuestSnap> = {}): GuestSnap {
  return {
    id: `qemu:${name}`, name, uuid: null, manager: 'qemu', pid: 100, state: 'running',
    cgroup: { path: `/machine.slice/${name}.scope`, version: 1 },
    vcpus: [{ index: 0, tid: 101, usagePct: 40, runDelayPct: 1, lastCpu: 0, cpusAllowed: '0-3' }, { index: 1, tid: 102, usagePct: null, runDelayPct: null, lastCpu: 1, cpusAllowed: '0-3' }],
    cpu: { usagePct: 50, stealPct: 1, weight: null, shares: 1024, quotaUsec: null, periodUsec: 100000, throttledPct: 0, nrThrottled: 0, cpuset: '0-3', cpusetEffective: '0-3', ...over },
    memory: { currentBytes: 2 ** 30, rssBytes: 2 ** 29, maxBytes: null, maxUnlimited: true, hugetlbBytes: 0, anonHugeBytes: 0, ksmMergingPages: null, mems: '0', perNodeBytes: { 1: 5, 0: 7 }, balloonActualBytes: null },
    disks: [{ name: 'virtio-disk0', source: 'qmp', device: null, readIops: 10, writeIops: 5, readBytesPerSec: 1024, writeBytesPerSec: 2048, readLatencyMs: 0.5, writeLatencyMs: null, flushLatencyMs: null,
      limits: { readIops: 500, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null } }],
    nics: [{ ifname: 'vnet0', mac: null, rxBytesPerSec: 100, txBytesPerSec: 200, rxPacketsPerSec: 1, txPacketsPerSec: 2, rxDroppedPerSec: 0, txDroppedPerSec: 0, shaping: { inKbitPerSec: 8000, outKbitPerSec: null, active: true } }],
    psi: { cpuSomePct: null, ioSomePct: null, memSomePct: null },
    ...extra,
  };
}

function snap(guests: GuestSnap[]): Snapshot {
  return {
    schemaVersion: 1, timestamp: '2026-12-01T08:00:00.000Z', intervalSec: 1, demo: true, errors: [],
    host: {
      hostname: 'kvm', kernel: 'k', cgroupVersion: 1, cpuCount: 4, cpuUsagePct: 200, perCpuUsagePct: null,
      memTotalBytes: 8 * 2 ** 30, memAvailableBytes: 6 * 2 ** 30,
      numaNodes: [{ node: 0, cpus: '0-3', memTotalBytes: 8 * 2 ** 30, memFreeBytes: 4 * 2 ** 30, inactiveFileBytes: null, cpuUsagePct: 100, hugepages: { 2048: { total: 4, free: 1 } }, distances: [10] }],
      hugepages: { 2048: { total: 4, free: 1, reserved: 0, surplus: 0 }, 1048576: { total: 0, free: 0, reserved: 0, surplus: 0 } },
      thp: null, ksm: null, psi: null, inventory: null,
    },
    guests,
  };
}

describe('guest list view-model', () => {
  it('marks configured limits and throttling', () => {
    const r = guestListRow(guest('a', { quotaUsec: 150000, throttledPct: 3, cpuset: '0-1' }));
    expect(r.limits).toEqual(['quota 150%', 'cpuset 0-1', 'virtio-disk0 riops ≤ 500', 'vnet0 in ≤ 8 Mbit/s']);
    expect(r.throttled).toBe(true);
    const free = guestListRow(guest('b', {}, { disks: [], nics: [] }));
    expect(free.limits).toEqual([]);
    expect(free.iops).toBe('-');
    expect(free.sort.iops).toBeNull();
  });

  it('sorts with unknown values last in both directions and filters by name, id and "limited"', () => {
    const s = snap([guest('a', { usagePct: 10 }), guest('b', { usagePct: null }), guest('c', { usagePct: 90, quotaUsec: 50000 }, { disks: [], nics: [] }), guest('d', { usagePct: 50 }, { disks: [], nics: [] })]);
    expect(guestList(s, { sortKey: 'cpu', descending: true, filter: '' }).map((r) => r.name)).toEqual(['c', 'd', 'a', 'b']);
    expect(guestList(s, { sortKey: 'cpu', descending: false, filter: '' }).map((r) => r.name)).toEqual(['a', 'd', 'c', 'b']);
    expect(guestList(s, { sortKey: 'name', descending: true, filter: '' }).map((r) => r.name)).toEqual(['d', 'c', 'b', 'a']);
    expect(guestList(s, { sortKey: 'name', descending: false, filter: 'qemu:c' }).map((r) => r.name)).toEqual(['c']);
    expect(guestList(s, { sortKey: 'name', descending: false, filter: 'limited' }).map((r) => r.name)).toEqual(['a', 'b', 'c']);
    const [x, y] = [guestListRow(guest('x', { usagePct: null })), guestListRow(guest('y', { usagePct: 5 }))];
    expect(compareRows(x, y, 'cpu', true)).toBeGreaterThan(0);
    expect(compareRows(x, y, 'cpu', false)).toBeGreaterThan(0);
  });
});

describe('chart view-models', () => {
  it('has per-vCPU, run delay, per-disk, per-NIC and per-node charts with limits; unknown stays null', () => {
    const cs = guestCharts(guest('a', { quotaUsec: 50000 }, { memory: { ...guest('a').memory, maxBytes: 2 ** 31 } }));
    expect(cs.map((c) => c.id)).toEqual(['cpu', 'rundelay', 'disk:virtio-disk0:iops', 'disk:virtio-disk0:bw', 'disk:virtio-disk0:lat', 'nic:vnet0', 'mem']);
    const cpu = cs[0]!;
    expect(cpu.series).toEqual([{ label: 'guest total', value: 50 }, { label: 'vCPU 0', value: 40 }, { label: 'vCPU 1', value: null }]);
    expect(cpu.limits).toEqual([{ label: 'quota', value: 50 }]);
    expect(cs[2]!.limits).toEqual([{ label: 'read limit', value: 500 }]);
    expect(cs[5]!.limits).toEqual([{ label: 'in limit', value: 1_000_000 }]);
    const mem = cs[6]!;
    expect(mem.series.map((s) => s.label)).toEqual(['current', 'node 0', 'node 1']);
    expect(mem.limits).toEqual([{ label: 'memory max', value: 2 ** 31 }]);
    expect(guestCharts(guest('b'))[0]!.limits).toEqual([]);
  });
});

describe('host overview view-model', () => {
  it('shows CPU, memory, hugepages and per-node rows; absent KSM and PSI are unknown, not zero', () => {
    const o = hostOverview(snap([]));
    expect(o.title).toBe('DEMO kvm');
    const cell = (l: string) => o.cells.find((c) => c.label.startsWith(l))!;
    expect(cell('CPU').text).toBe('200.0% of 4 CPUs');
    expect(cell('CPU').fill).toBeCloseTo(0.5);
    expect(cell('Memory').text).toBe('2.00 GiB / 8.00 GiB');
    expect(cell('KSM').text).toBe('-');
    expect(cell('PSI cpu').text).toBe('-');
    expect(cell('PSI cpu').fill).toBeNull();
    expect(cell('Hugepages').text).toBe('2M 1/4 free');
    expect(o.nodes).toEqual([{ node: 0, cpus: '0-3', cpu: '100.0%', cpuFill: 0.25, mem: '4.00 GiB / 8.00 GiB', memFill: 0.5, hugepages: '2M 1/4 free' }]);
    expect(hugepageText({})).toBe('none');
  });
});

describe('plan, journal and audit rows', () => {
  it('shows old and new values per step and counts a revert timer down', () => {
    expect(planRows({ guest: 'a', applied: false, changeId: null, warnings: [], steps: [
      { kind: 'cgroup-write', path: '/sys/fs/cgroup/cpu/x/cpu.cfs_quota_us', from: '-1', to: '50000' },
      { kind: 'exec', argv: ['tc', 'qdisc', 'del', 'dev', 'vnet0', 'root'] },
    ] })).toEqual([
      { what: '/sys/fs/cgroup/cpu/x/cpu.cfs_quota_us', from: '-1', to: '50000' },
      { what: 'tc', from: '-', to: 'tc qdisc del dev vnet0 root' },
    ]);
    const now = Date.parse('2026-12-01T08:00:00Z');
    expect(revertCountdown('2026-12-01T08:01:05Z', now)).toBe('reverts in 1:05');
    expect(revertCountdown('2026-12-01T07:59:00Z', now)).toBe('reverting…');
    expect(revertCountdown(null, now)).toBeNull();
    expect(auditRows([{ time: 't', uid: 1000, user: null, peerPid: 1, guest: 'a', guestUuid: null, changeId: 'c1', action: 'apply', step: null, old: 'max', new: '50000', result: 'ok' }]))
      .toEqual([{ time: 't', who: 'uid 1000', guest: 'a', action: 'apply', what: '-', change: 'max → 50000', result: 'ok' }]);
  });

  it('advice and lint rows', () => {
    const a = adviceRows({ need: { vcpus: 2, memMiB: 1024 }, nodeset: '1', cpus: '4-7', fits: true, reason: 'most free', migrateBytes: null,
      nodes: [{ node: 1, freeMemMiB: 2048, freeCpuPct: 350, score: 12.4, chosen: true }] });
    expect(a.summary).toBe('fits: nodeset 1, cpus 4-7 — most free');
    expect(a.nodes).toEqual([['1', '2.00 GiB', '350%', '12', 'yes']]);
    expect(lintRows([{ rule: 'r', severity: 'warning', guest: null, message: 'm', suggestion: null }])).toEqual([['warning', 'host', 'r', 'm', '']]);
  });
});

describe('shared key map', () => {
  it('binds every key once', () => {
    const keys = KEY_BINDINGS.flatMap((b) => b.keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(actionForKey('t')).toBe('tune');
    expect(actionForKey('u')).toBe('undo');
    expect(actionForKey('x')).toBeNull();
  });
});
