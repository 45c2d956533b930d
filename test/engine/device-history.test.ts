// The per-device history (engine/core/device-history.ts through History): per-disk (each I/O once),
// per-NIC and per-node series by the device's name, p99 only when QEMU's histograms give one, devices
// that vanish read as unknown, come back after a NaN gap and are dropped after a whole ring; the ring
// keeps the device window, across its wrap-around; metric paths with dots in the device name.

import { describe, expect, it } from 'vitest';
import { History } from '../../src/engine/core/history.js';
import { deviceMetric, diskMetric, nicMetric, nodeMemMetric, parseDeviceMetric } from '../../src/engine/model/history-metrics.js';
import type { DiskSnap, GuestSnap, NicSnap } from '../../src/engine/model/snapshot.js';
import { disk, guest, snapshot } from '../diagnose/build.js';

const T0 = Date.UTC(2026, 0, 1);
const at = (h: History, guests: GuestSnap[], sec: number): void => h.record(snapshot(guests), 1_000_000 + sec * 1000, T0 + sec * 1000);
const values = (h: History, g: string, metric: string, windowSec = 3600): Array<number | null> => h.query({ guest: g, metric, windowSec }).points.map((p) => p[1]);

function nic(ifname: string, over: Partial<NicSnap> = {}): NicSnap {
  return {
    ifname, mac: null, rxBytesPerSec: null, txBytesPerSec: null, rxPacketsPerSec: null, txPacketsPerSec: null,
    rxDroppedPerSec: null, txDroppedPerSec: null, shaping: { inKbitPerSec: null, outKbitPerSec: null, active: null }, ...over,
  };
}

const cgroupDev = (name: string, over: Partial<DiskSnap> = {}): DiskSnap => disk(name, { source: 'cgroup', device: '253:0', ...over });

describe('per-device history', () => {
  it('records each counted disk by its name: virtual disks when the guest has them, never its cgroup devices as well', () => {
    const h = new History(60, 1);
    for (let t = 0; t < 3; t++) {
      const both = guest('a', {
        disks: [disk('virtio-disk0', { readIops: 10 + t, writeIops: 5, readBytesPerSec: 4096, writeBytesPerSec: 8192, readLatencyMs: 0.5, writeLatencyMs: 1.25, flushLatencyMs: 3 })],
        blockDevices: [cgroupDev('dm-0', { readIops: 10 + t, writeIops: 5 })],
      });
      const cgroupOnly = guest('b', { blockDevices: [cgroupDev('sda', { readIops: 7, writeBytesPerSec: 100 })] });
      at(h, [both, cgroupOnly], t);
    }
    expect(values(h, 'qemu:a', 'disks.virtio-disk0.readIops')).toEqual([10, 11, 12]);
    expect(values(h, 'qemu:a', 'disks.virtio-disk0.writeBytesPerSec')).toEqual([8192, 8192, 8192]);
    expect(values(h, 'qemu:a', 'disks.virtio-disk0.flushLatencyMs')).toEqual([3, 3, 3]);
    expect(values(h, 'qemu:a', 'disks.virtio-disk0.writeLatencyMs')).toEqual([1.25, 1.25, 1.25]);
    // the same I/O seen from the cgroup is not recorded beside it
    expect(h.metrics('qemu:a').filter((m) => m.startsWith('blockDevices.'))).toEqual([]);
    // a guest without virtual disks: its cgroup block devices are its disks
    expect(values(h, 'qemu:b', 'blockDevices.sda.readIops')).toEqual([7, 7, 7]);
    expect(values(h, 'qemu:b', 'blockDevices.sda.writeBytesPerSec')).toEqual([100, 100, 100]);
    // a figure never known has no series (a cgroup device has no latency): an unknown metric, code 2
    expect(() => h.query({ guest: 'qemu:b', metric: 'blockDevices.sda.readLatencyMs', windowSec: 60 })).toThrow(expect.objectContaining({ exitCode: 2 }));
    // the per-guest sums are unchanged beside the per-disk series
    expect(values(h, 'qemu:a', 'disks.readIops')).toEqual([10, 11, 12]);
  });

  it('records the p99 latency only when QEMU\'s histograms give one', () => {
    const h = new History(60, 1);
    const plain = disk('d0', { readLatencyMs: 1 });
    const hist = disk('d1', { readLatencyMs: 1, latencyMs: { read: { p50: 0.5, p90: 2, p99: 9.5 }, write: { p50: 1, p90: 3, p99: 12 }, flush: null } });
    at(h, [guest('a', { disks: [plain, hist] })], 0);
    const ms = h.metrics('qemu:a');
    expect(ms).toContain('disks.d1.latencyMs.read.p99');
    expect(ms).toContain('disks.d1.latencyMs.write.p99');
    expect(ms).not.toContain('disks.d0.latencyMs.read.p99');
    expect(values(h, 'qemu:a', 'disks.d1.latencyMs.write.p99')).toEqual([12]);
    expect(values(h, 'qemu:a', 'disks.d0.readLatencyMs')).toEqual([1]);
  });

  it('records per-NIC traffic and drops, and memory per NUMA node; unknown stays null', () => {
    const h = new History(60, 1);
    at(h, [guest('a', { nics: [nic('vnet0', { rxBytesPerSec: 1000, txBytesPerSec: 2000, rxDroppedPerSec: 0, txDroppedPerSec: 1 })], memory: { perNodeBytes: { 0: 2 ** 30, 1: 2 ** 29 } } })], 0);
    at(h, [guest('a', { nics: [nic('vnet0', { rxBytesPerSec: null, txBytesPerSec: 3000, rxDroppedPerSec: 2, txDroppedPerSec: 0 })], memory: { perNodeBytes: { 0: 2 ** 30, 1: 2 ** 28 } } })], 1);
    expect(values(h, 'qemu:a', 'nics.vnet0.rxBytesPerSec')).toEqual([1000, null]);
    expect(values(h, 'qemu:a', 'nics.vnet0.txBytesPerSec')).toEqual([2000, 3000]);
    expect(values(h, 'qemu:a', 'nics.vnet0.rxDroppedPerSec')).toEqual([0, 2]);
    expect(values(h, 'qemu:a', 'memory.perNodeBytes.0')).toEqual([2 ** 30, 2 ** 30]);
    expect(values(h, 'qemu:a', 'memory.perNodeBytes.1')).toEqual([2 ** 29, 2 ** 28]);
    // the window of the diagnosis reads them too
    expect(Array.from(h.window(60).series('qemu:a', 'memory.perNodeBytes.1') as Float32Array)).toEqual([2 ** 29, 2 ** 28]);
  });

  it('a device that vanishes reads as unknown, comes back after a gap of nulls, and is dropped after a whole ring', () => {
    const h = new History(60, 1, 4); // device rings of 5 samples
    const withDisk = (v: number): GuestSnap => guest('a', { disks: [disk('vdb', { readIops: v })] });
    at(h, [withDisk(1)], 0);
    at(h, [withDisk(2)], 1);
    at(h, [guest('a')], 2); // hot-unplugged
    at(h, [guest('a')], 3);
    expect(values(h, 'qemu:a', 'disks.vdb.readIops')).toEqual([1, 2, null, null]);
    at(h, [withDisk(5)], 4); // plugged back
    expect(values(h, 'qemu:a', 'disks.vdb.readIops')).toEqual([1, 2, null, null, 5]);
    for (let t = 5; t < 30; t++) at(h, [guest('a')], t);
    expect(h.metrics('qemu:a').some((m) => m.startsWith('disks.vdb.'))).toBe(false);
    expect(() => h.query({ guest: 'qemu:a', metric: 'disks.vdb.readIops', windowSec: 60 })).toThrow(expect.objectContaining({ exitCode: 2 }));
    // back after being dropped: a new series from then on, nothing stale before it
    at(h, [withDisk(7)], 30);
    expect(values(h, 'qemu:a', 'disks.vdb.readIops')).toEqual([7]);
  });

  it('keeps the device window (not the whole history window), oldest first across the wrap-around', () => {
    const h = new History(60, 1, 3); // device rings of 4 samples, guest series of 61
    for (let t = 0; t < 10; t++) at(h, [guest('a', { cpu: { usagePct: t }, nics: [nic('vnet0', { txBytesPerSec: t * 100 })] })], t);
    expect(values(h, 'qemu:a', 'cpu.usagePct')).toHaveLength(10);
    const q = h.query({ guest: 'qemu:a', metric: 'nics.vnet0.txBytesPerSec', windowSec: 60 });
    expect(q.points).toEqual([[T0 + 6000, 600], [T0 + 7000, 700], [T0 + 8000, 800], [T0 + 9000, 900]]);
    expect(values(h, 'qemu:a', 'nics.vnet0.txBytesPerSec', 2)).toEqual([700, 800, 900]);
    // the diagnosis window: samples older than the device ring are unknown
    const w = Array.from(h.window(5).series('qemu:a', 'nics.vnet0.txBytesPerSec') as Float32Array);
    expect(w.map((x) => (Number.isNaN(x) ? null : x))).toEqual([null, null, 600, 700, 800, 900]);
  });

  it('names devices whose names contain dots; a path is read from both ends', () => {
    const h = new History(60, 1);
    at(h, [guest('a', { nics: [nic('eth0.100', { rxBytesPerSec: 5 })], disks: [disk('drive.scsi0', { readIops: 3 })] })], 0);
    expect(values(h, 'qemu:a', 'nics.eth0.100.rxBytesPerSec')).toEqual([5]);
    expect(values(h, 'qemu:a', 'disks.drive.scsi0.readIops')).toEqual([3]);
    expect(parseDeviceMetric('disks.drive.scsi0.latencyMs.read.p99')).toEqual({ kind: 'disks', name: 'drive.scsi0', field: 7 });
    expect(parseDeviceMetric('nics.eth0.100.txDroppedPerSec')).toEqual({ kind: 'nics', name: 'eth0.100', field: 3 });
    expect(parseDeviceMetric('memory.perNodeBytes.3')).toEqual({ kind: 'nodes', name: '3', field: 0 });
    // the per-guest sums and diagnosis figures are not device paths
    for (const m of ['disks.readIops', 'disks.latencyMs', 'disks.limitUsePct', 'nics.rxBytesPerSec', 'memory.perNodeBytes.', 'cpu.usagePct']) expect(parseDeviceMetric(m)).toBeNull();
    // the builders and the parser agree
    const d = disk('x.y', { source: 'cgroup' });
    expect(parseDeviceMetric(diskMetric(d, 'writeLatencyMs'))).toEqual({ kind: 'blockDevices', name: 'x.y', field: 5 });
    expect(deviceMetric('nics', 'eth0.100', 1)).toBe(nicMetric('eth0.100', 'txBytesPerSec'));
    expect(deviceMetric('nodes', '1', 0)).toBe(nodeMemMetric(1));
  });
});
