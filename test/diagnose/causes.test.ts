// The pure diagnosis on hand-written histories: one case per cause, mixtures where the ranking
// matters, the verdict threshold, unknown data, and the noisy neighbours of each resource.

import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/engine/diagnose/index.js';
import type { Diagnosis } from '../../src/engine/model/diagnosis.js';
import { disk, guest, snapshot, vcpu, windowOf } from './build.js';

const N = 10;
const causeOf = (d: Diagnosis, c: string) => d.causes.find((x) => x.cause === c);

describe('diagnosis: one cause at a time', () => {
  it('cpu-contention: waits while a neighbour pinned to the same CPU runs; the neighbour is named, a guest elsewhere is not', () => {
    const a = guest('a', { vcpus: [vcpu(0, 0, '0')] });
    const b = guest('b', { vcpus: [vcpu(0, 0, '0')] });
    const c = guest('c', { vcpus: [vcpu(0, 1, '1')] });
    const w = windowOf(N, {
      'qemu:a|vcpus.0.usagePct': 50, 'qemu:a|vcpus.0.runDelayPct': 50, 'qemu:a|cpu.usagePct': 50,
      'qemu:b|vcpus.0.usagePct': 50, 'qemu:b|vcpus.0.runDelayPct': 50, 'qemu:b|cpu.usagePct': 50,
      'qemu:c|cpu.usagePct': 90, '|host.perCpuUsagePct.0': 100, '|host.perCpuUsagePct.1': 95,
    });
    const d = diagnose(snapshot([a, b, c]), w, 'a', 10);
    expect(d.verdict).toBe('cpu-contention');
    expect(d.causes[0]).toMatchObject({ cause: 'cpu-contention', share: 0.5, evidence: { runDelayPct: 50, usagePct: 50, hostCpusBusyPct: 100 } });
    expect(d.neighbours).toEqual([
      { guest: 'qemu:b', name: 'b', resource: 'cpu', share: 1, evidence: { sharedCpus: '0', usagePct: 50 } },
    ]);
  });

  it('cpu-quota: throttled at a 20 % quota while it wants a whole CPU; the fix raises --cpu-quota', () => {
    const a = guest('a', { cpu: { quotaUsec: 20000, periodUsec: 100000 } });
    const w = windowOf(N, {
      'qemu:a|vcpus.0.usagePct': 19, 'qemu:a|vcpus.0.runDelayPct': 80, 'qemu:a|cpu.usagePct': 20,
      'qemu:a|cpu.throttledPct': 97, '|host.perCpuUsagePct.0': 40, '|host.perCpuUsagePct.1': 30,
    });
    const d = diagnose(snapshot([a]), w, 'qemu:a', 10);
    expect(d.verdict).toBe('cpu-quota');
    expect(d.causes).toHaveLength(1);
    expect(d.causes[0]?.share).toBeCloseTo(80 / 100, 3); // demand = the guest's use + its vCPUs' wait
    expect(d.causes[0]?.evidence).toMatchObject({ quotaPct: 20, throttledPct: 97 });
    expect(d.causes[0]?.fix).toBe('virtune tune qemu:a --cpu-quota 100%');
    expect(d.neighbours).toEqual([]);
  });

  it('cpuset-too-small: two busy vCPUs on one allowed CPU; the fix adds the idlest CPU', () => {
    const a = guest('a', { vcpus: [vcpu(0, 0), vcpu(1, 0)], cpu: { cpuset: '0', cpusetEffective: '0' } });
    const w = windowOf(N, {
      'qemu:a|vcpus.0.usagePct': 50, 'qemu:a|vcpus.0.runDelayPct': 50,
      'qemu:a|vcpus.1.usagePct': 50, 'qemu:a|vcpus.1.runDelayPct': 50, 'qemu:a|cpu.usagePct': 100,
      '|host.perCpuUsagePct.0': 100, '|host.perCpuUsagePct.1': 80, '|host.perCpuUsagePct.2': 5, '|host.perCpuUsagePct.3': 30,
    });
    const d = diagnose(snapshot([a], { cpuCount: 4 }), w, 'a', 10);
    expect(d.verdict).toBe('cpuset-too-small');
    expect(d.causes[0]).toMatchObject({ share: 0.5, evidence: { busyVcpus: 2, allowedCpuCount: 1 }, fix: 'virtune tune qemu:a --cpuset 0,2' });
    expect(causeOf(d, 'cpu-contention')).toBeUndefined();
  });

  it('disk-limit: at its QMP iops_rd limit the whole window; the fix doubles iops_rd', () => {
    const a = guest('a', { disks: [disk('virtio-disk0', { readIops: 99, writeIops: 0, limits: { readIops: 100, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null } })] });
    const w = windowOf(N, { 'qemu:a|disks.limitUsePct': 99, 'qemu:a|disks.latencyMs': 150, 'qemu:a|disks.readIops': 99, 'qemu:a|disks.writeIops': 0 });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.verdict).toBe('disk-limit');
    expect(d.causes).toEqual([{
      cause: 'disk-limit', share: 1,
      evidence: { disk: 'virtio-disk0', limit: 'readIops', limitValue: 100, rate: 99, limitUsePct: 99, atLimitPct: 100 },
      fix: 'virtune tune qemu:a --disk-throttle virtio-disk0:iops_rd=200',
    }]); // the latency the limit causes is not counted again as contention
  });

  it('disk-limit on a cgroup device: the fix is an --io limit on MAJ:MIN', () => {
    const a = guest('a', { disks: [disk('sdb', { source: 'cgroup', device: '8:16', writeBytesPerSec: 10e6, limits: { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: 10e6, totalIops: null, totalBytesPerSec: null } })] });
    const w = windowOf(N, { 'qemu:a|disks.limitUsePct': [100, 100, 100, 100, 100, 50, 50, 50, 50, 50] });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.causes[0]).toMatchObject({ cause: 'disk-limit', share: 0.5, fix: 'virtune tune qemu:a --io 8:16:wbps=20000000' });
  });

  it('disk-contention: slow without a limit; the guest doing I/O on the same device is the neighbour', () => {
    const a = guest('a', { disks: [disk('sda', { source: 'cgroup', device: '8:0' })] });
    const b = guest('b', { disks: [disk('sda', { source: 'cgroup', device: '8:0' })] });
    const c = guest('c', { disks: [disk('sdb', { source: 'cgroup', device: '8:16' })] });
    const w = windowOf(N, {
      'qemu:a|disks.latencyMs': 80, 'qemu:a|disks.readIops': 100, 'qemu:a|disks.writeIops': 0, '|host.psi.ioSomePct': 30,
      'qemu:b|disks.readIops': 200, 'qemu:b|disks.writeIops': 100, 'qemu:c|disks.readIops': 5000, 'qemu:c|disks.writeIops': 0,
    });
    const d = diagnose(snapshot([a, b, c]), w, 'a', 10);
    expect(d.verdict).toBe('disk-contention');
    expect(d.causes[0]?.share).toBeCloseTo(0.75, 6); // 1 − 20 ms / 80 ms beats the host's 30 % io pressure
    expect(d.causes[0]?.fix).toBeNull();
    expect(d.neighbours).toEqual([{ guest: 'qemu:b', name: 'b', resource: 'disk', share: 0.75, evidence: { iops: 300, sharedDevice: '8:0' } }]);
  });

  it('memory-limit: resident at its limit; without per-group PSI the share is the documented 0.3 per sample there', () => {
    const a = guest('a', { memory: { maxBytes: 2 ** 30, maxUnlimited: false, currentBytes: 2 ** 30 - 1000 } });
    const w = windowOf(N, { 'qemu:a|memory.currentBytes': 2 ** 30 - 1000 });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.verdict).toBe('memory-limit');
    expect(d.causes[0]).toMatchObject({ share: 0.3, fix: 'virtune tune qemu:a --mem-max 1280M', evidence: { memSomePct: null } });
  });

  it('memory-pressure: the host stalls on memory 25 % of the time', () => {
    const a = guest('a', { memory: { perNodeBytes: { 0: 2 ** 30 } } });
    const b = guest('b', { memory: { perNodeBytes: { 0: 3 * 2 ** 30 } } });
    const w = windowOf(N, { '|host.psi.memSomePct': 25 });
    const d = diagnose(snapshot([a, b]), w, 'a', 10);
    expect(d.verdict).toBe('memory-pressure');
    expect(d.causes[0]?.share).toBe(0.25);
    expect(d.neighbours[0]).toMatchObject({ guest: 'qemu:b', resource: 'memory', share: 0.75 }); // 3 GiB of the 4 GiB used on node 0
  });

  it('remote-numa: three quarters of its memory on node 1 while its vCPU runs on node 0', () => {
    const nodes = [
      { node: 0, cpus: '0-1', memTotalBytes: 8 * 2 ** 30, memFreeBytes: 2 ** 30, inactiveFileBytes: null, cpuUsagePct: null, hugepages: {}, distances: [10, 21] },
      { node: 1, cpus: '2-3', memTotalBytes: 8 * 2 ** 30, memFreeBytes: 4 * 2 ** 30, inactiveFileBytes: null, cpuUsagePct: null, hugepages: {}, distances: [21, 10] },
    ];
    const a = guest('a', { vcpus: [vcpu(0, 1)], memory: { perNodeBytes: { 0: 2 ** 30, 1: 3 * 2 ** 30 } } });
    const hog = guest('hog', { memory: { perNodeBytes: { 0: 6 * 2 ** 30 } } });
    const d = diagnose(snapshot([a, hog], { cpuCount: 4, numaNodes: nodes }), windowOf(N, {}), 'a', 10);
    expect(d.verdict).toBe('remote-numa');
    expect(d.causes[0]?.share).toBeCloseTo(0.75 * (1 - 10 / 21), 3);
    expect(d.causes[0]).toMatchObject({ evidence: { vcpuNodes: '0', remotePct: 75, distance: 21 }, fix: 'virtune advise qemu:a --apply' });
    expect(d.neighbours[0]).toMatchObject({ guest: 'qemu:hog', resource: 'memory', evidence: { nodes: '0' } });
  });

  it('network-limit: at its tc rate to the guest; the fix doubles the shaping', () => {
    const a = guest('a', { nics: [{ ifname: 'vnet0', mac: null, rxBytesPerSec: 124000, txBytesPerSec: 10, rxPacketsPerSec: null, txPacketsPerSec: null, rxDroppedPerSec: 0, txDroppedPerSec: 0, shaping: { inKbitPerSec: 1000, outKbitPerSec: null, active: true } }] });
    const w = windowOf(N, { 'qemu:a|nics.shapingUsePct': 99.2, 'qemu:a|nics.droppedPerSec': 0 });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.verdict).toBe('network-limit');
    expect(d.causes[0]).toMatchObject({ share: 1, evidence: { nic: 'vnet0', direction: 'in', shapingKbitPerSec: 1000 }, fix: 'virtune tune qemu:a --net vnet0:in=2000kbit' });
  });

  it('paused: stopped for the last 4 of 10 samples', () => {
    const a = guest('a', { state: 'paused' });
    const w = windowOf(N, { 'qemu:a|state.paused': [0, 0, 0, 0, 0, 0, 1, 1, 1, 1] });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.verdict).toBe('paused');
    expect(d.causes[0]).toMatchObject({ share: 0.4, evidence: { state: 'paused', pausedPct: 40 }, fix: null });
  });

  it('none: an idle, unthrottled guest with nothing in its way', () => {
    const a = guest('a');
    const w = windowOf(N, { 'qemu:a|vcpus.0.usagePct': 2, 'qemu:a|vcpus.0.runDelayPct': 0, 'qemu:a|cpu.usagePct': 2, 'qemu:a|state.paused': 0 });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d).toMatchObject({ verdict: 'none', causes: [], neighbours: [], samples: 10, coveredSec: 9 });
  });
});

describe('diagnosis: mixtures, thresholds and unknowns', () => {
  it('quota first, contention for the wait the quota does not explain', () => {
    const a = guest('a', { cpu: { quotaUsec: 50000, periodUsec: 100000 } });
    const w = windowOf(N, {
      'qemu:a|vcpus.0.usagePct': 30, 'qemu:a|vcpus.0.runDelayPct': 70, 'qemu:a|cpu.usagePct': 30, 'qemu:a|cpu.throttledPct': 60,
      '|host.perCpuUsagePct.0': 100, '|host.perCpuUsagePct.1': 100,
    });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.causes.map((c) => [c.cause, c.share])).toEqual([['cpu-quota', 0.5], ['cpu-contention', 0.2]]);
    expect(d.verdict).toBe('cpu-quota');
  });

  it('a disk at its limit outranks moderate CPU contention', () => {
    const a = guest('a', { disks: [disk('d0', { readIops: 50, limits: { readIops: 50, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null } })] });
    const w = windowOf(N, {
      'qemu:a|vcpus.0.usagePct': 70, 'qemu:a|vcpus.0.runDelayPct': 30, 'qemu:a|cpu.usagePct': 70,
      'qemu:a|disks.limitUsePct': [100, 100, 100, 100, 100, 100, 100, 100, 95, 80],
      '|host.perCpuUsagePct.0': 100, '|host.perCpuUsagePct.1': 100,
    });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.causes.map((c) => c.cause)).toEqual(['disk-limit', 'cpu-contention']);
    expect(d.causes[0]?.share).toBe(0.9);
    expect(d.causes[1]?.share).toBe(0.3);
  });

  it('a cause under 10 % is listed but the verdict is none', () => {
    const a = guest('a');
    const w = windowOf(N, { 'qemu:a|vcpus.0.usagePct': 95, 'qemu:a|vcpus.0.runDelayPct': 5, 'qemu:a|cpu.usagePct': 95 });
    const d = diagnose(snapshot([a]), w, 'a', 10);
    expect(d.verdict).toBe('none');
    expect(d.causes).toEqual([expect.objectContaining({ cause: 'cpu-contention', share: 0.05 })]);
  });

  it('unknown run delay is not zero: no CPU cause and no verdict from it; unknown evidence stays null', () => {
    const a = guest('a');
    const w = windowOf(N, { 'qemu:a|vcpus.0.usagePct': 90, 'qemu:a|vcpus.0.runDelayPct': null, 'qemu:a|cpu.usagePct': 90 });
    expect(diagnose(snapshot([a]), w, 'a', 10).causes).toEqual([]);
    const w2 = windowOf(N, { 'qemu:a|vcpus.0.usagePct': 50, 'qemu:a|vcpus.0.runDelayPct': 50, 'qemu:a|cpu.usagePct': 50 });
    const d = diagnose(snapshot([a], { perCpuUsagePct: null }), w2, 'a', 10);
    expect(d.causes[0]?.evidence.hostCpusBusyPct).toBeNull();
  });

  it('CPU neighbours are weighed during the samples the guest waited, by the part of their vCPUs last seen on its CPUs', () => {
    const a = guest('a', { vcpus: [vcpu(0, 0, '0')] });
    const burst = guest('burst', { vcpus: [vcpu(0, 0, '0-1'), vcpu(1, 1, '0-1')] }); // busy only while a waited; one of two vCPUs on CPU 0
    const elsewhere = guest('elsewhere', { vcpus: [vcpu(0, 1, '0-1')] });             // may run on CPU 0, last seen on CPU 1
    const steady = guest('steady', { vcpus: [vcpu(0, 0, '0')] });   // busy only while a did not wait
    const waitA = [80, 80, 80, 80, 80, 0, 0, 0, 0, 0];
    const w = windowOf(N, {
      'qemu:a|vcpus.0.usagePct': waitA.map((x) => 100 - x), 'qemu:a|vcpus.0.runDelayPct': waitA, 'qemu:a|cpu.usagePct': waitA.map((x) => 100 - x),
      'qemu:burst|cpu.usagePct': waitA.map((x) => (x > 0 ? 160 : 0)), 'qemu:steady|cpu.usagePct': waitA.map((x) => (x > 0 ? 0 : 90)),
      'qemu:elsewhere|cpu.usagePct': 100,
      '|host.perCpuUsagePct.0': 100, '|host.perCpuUsagePct.1': 100,
    });
    const d = diagnose(snapshot([a, burst, steady, elsewhere]), w, 'a', 10);
    expect(d.neighbours).toEqual([{ guest: 'qemu:burst', name: 'burst', resource: 'cpu', share: 1, evidence: { sharedCpus: '0', usagePct: 80 } }]);
  });

  it('an unknown guest is code 3, an ambiguous name code 2', () => {
    const s = snapshot([guest('a'), { ...guest('a'), id: 'libvirt:a', manager: 'libvirt' }]);
    expect(() => diagnose(s, windowOf(1, {}), 'zz', 10)).toThrow(expect.objectContaining({ exitCode: 3 }));
    expect(() => diagnose(s, windowOf(1, {}), 'a', 10)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
