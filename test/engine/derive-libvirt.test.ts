// Derivation of what the libvirt path added to the snapshot: disks[] (virtual, with target) apart from
// blockDevices[] (cgroup), per-vCPU and emulator CPU groups (quota, throttling, quotaUnlimited), and
// disk rates over the time their QMP/libvirt reply arrived instead of the sample's start.
import { describe, expect, it } from 'vitest';
import { derive } from '../../src/engine/core/derive.js';
import type { RawCpuGroup, RawDisk, RawGuest } from '../../src/engine/model/sample.js';
import { rawGuest, rawHost, rawSample } from './raw-builders.js';

const disk = (over: Partial<RawDisk>): RawDisk => ({
  name: 'virtio-disk0', source: 'libvirt', device: null, qdev: 'virtio-disk0', readOps: 0, writeOps: 0, flushOps: 0,
  readBytes: 0, writeBytes: 0, readTimeUsec: 0, writeTimeUsec: 0, flushTimeUsec: 0,
  limits: { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null },
  ...over,
});
const group = (over: Partial<RawCpuGroup>): RawCpuGroup => ({ quotaUsec: 'max', periodUsec: 100000, nrPeriods: 0, nrThrottled: 0, throttledUsec: 0, ...over });

function pair(a: Partial<RawGuest>, b: Partial<RawGuest>, dtMs = 1000) {
  const prev = rawSample(10_000, rawHost(), [rawGuest('libvirt:web01', a)]);
  const cur = rawSample(10_000 + dtMs, rawHost(), [rawGuest('libvirt:web01', b)]);
  return derive(prev, cur).guests[0]!;
}

describe('derive: libvirt-path fields', () => {
  it('virtual disks stay in disks[] with their target; cgroup devices go to blockDevices[], never both', () => {
    const cg = (ops: number) => disk({ name: 'vda', source: 'cgroup', device: '253:0', qdev: null, readOps: ops });
    const g = pair({ disks: [disk({ target: 'vda', readOps: 0 }), cg(0)] }, { disks: [disk({ target: 'vda', readOps: 100 }), cg(90)] });
    expect(g.disks.map((d) => [d.name, d.target, d.source, d.readIops])).toEqual([['virtio-disk0', 'vda', 'libvirt', 100]]);
    expect(g.blockDevices.map((d) => [d.name, d.target, d.source, d.device, d.readIops])).toEqual([['vda', null, 'cgroup', '253:0', 90]]);
  });

  it('a guest with only cgroup figures: empty disks[], its devices in blockDevices[]', () => {
    const cg = disk({ name: 'sdb', source: 'cgroup', device: '8:16', qdev: null });
    const g = pair({ disks: [cg] }, { disks: [cg] });
    expect(g.disks).toEqual([]);
    expect(g.blockDevices.map((d) => d.device)).toEqual(['8:16']);
  });

  it('per-vCPU quota and throttling from the vCPU groups; the guest reports the most throttled group and quotaUnlimited false', () => {
    const vcpus = (periods: number, throttled: number): RawGuest['vcpus'] => [0, 1].map((index) => ({
      index, tid: 1001 + index, source: 'cgroup' as const, runUsec: 0, waitUsec: 0, timeslices: 0, lastCpu: index, cpusAllowed: '0-1',
      cgroupPath: `/machine/x/vcpu${index}`,
      cpuGroup: index === 0 ? group({ quotaUsec: 20000, nrPeriods: periods, nrThrottled: throttled }) : group({ nrPeriods: periods }),
    }));
    const g = pair({ vcpus: vcpus(0, 0), emulatorCpuGroup: group({}) }, { vcpus: vcpus(10, 3), emulatorCpuGroup: group({ nrPeriods: 10 }) });
    expect(g.vcpus[0]).toMatchObject({ quotaUsec: 20000, periodUsec: 100000, quotaUnlimited: false, throttledPct: 30, nrThrottled: 3 });
    expect(g.vcpus[1]).toMatchObject({ quotaUsec: null, quotaUnlimited: true, throttledPct: 0 });
    expect(g.cpu).toMatchObject({ quotaUsec: null, quotaUnlimited: false, throttledPct: 30 });
    expect(g.cpu.emulator).toEqual({ quotaUsec: null, periodUsec: 100000, quotaUnlimited: true, throttledPct: 0, nrThrottled: 0 });
  });

  it('without vCPU groups: vCPU limits are null (unknown), the guest quota tagged from its own group', () => {
    const g = pair({}, {});
    expect(g.vcpus[0]).toMatchObject({ quotaUsec: null, quotaUnlimited: null, throttledPct: null });
    expect(g.cpu).toMatchObject({ quotaUnlimited: true, emulator: null });
    const unknown = pair({ cpu: { ...rawGuest('x').cpu, quotaUsec: null } }, { cpu: { ...rawGuest('x').cpu, quotaUsec: null } });
    expect(unknown.cpu.quotaUnlimited).toBeNull();
  });

  it('disk rates use the reply arrival times when both samples carry them', () => {
    // the samples started 1 s apart, but the replies came 0.5 s apart (the first tick's reply was late)
    const g = pair({ disks: [disk({ readOps: 0, atMonoMs: 10_400 })] }, { disks: [disk({ readOps: 100, atMonoMs: 10_900 })] });
    expect(g.disks[0]?.readIops).toBe(200);
    const fallback = pair({ disks: [disk({ readOps: 0 })] }, { disks: [disk({ readOps: 100, atMonoMs: 10_900 })] });
    expect(fallback.disks[0]?.readIops).toBe(100);
    const bad = pair({ disks: [disk({ readOps: 0, atMonoMs: 10_900 })] }, { disks: [disk({ readOps: 100, atMonoMs: 10_900 })] });
    expect(bad.disks[0]?.readIops).toBeNull();
  });
});
