// Snapshot builders for the view-model tests: a plain guest / host with every figure known, overridable.

import type { DiskSnap, GuestSnap, Snapshot } from '../../src/engine/model/snapshot.js';

const noLimits = { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null };

export function disk(name: string, source: DiskSnap['source'], riops: number, wiops: number, rb: number, wb: number, over: Partial<DiskSnap> = {}): DiskSnap {
  return {
    name, target: null, source, device: source === 'cgroup' ? '253:0' : null,
    readIops: riops, writeIops: wiops, readBytesPerSec: rb, writeBytesPerSec: wb,
    readLatencyMs: null, writeLatencyMs: null, flushLatencyMs: null, latencyMs: { read: null, write: null, flush: null }, limits: { ...noLimits }, ...over,
  };
}

export function guest(name: string, cpuPct: number, over: { cpu?: Partial<GuestSnap['cpu']>; memory?: Partial<GuestSnap['memory']>; disks?: DiskSnap[]; id?: string; vcpus?: number } = {}): GuestSnap {
  const n = over.vcpus ?? 2;
  return {
    id: over.id ?? `qemu:${name}`, name, uuid: null, manager: 'qemu', pid: 1000, state: 'running',
    cgroup: { path: `/machine.slice/${name}.scope`, version: 1 },
    vcpus: Array.from({ length: n }, (_, i) => ({ index: i, tid: 2000 + i, usagePct: cpuPct / n, runDelayPct: 0, lastCpu: i, cpusAllowed: '0-3', quotaUsec: null, periodUsec: null, quotaUnlimited: null, throttledPct: null, nrThrottled: null })),
    cpu: {
      usagePct: cpuPct, stealPct: 0, weight: null, shares: 1024, quotaUsec: null, periodUsec: 100000,
      quotaUnlimited: null, throttledPct: 0, nrThrottled: 0, emulator: null, cpuset: '0-3', cpusetEffective: '0-3', ...over.cpu,
    },
    memory: {
      currentBytes: 1 << 30, rssBytes: 1 << 30, maxBytes: null, maxUnlimited: true, hugetlbBytes: 0, anonHugeBytes: 0,
      ksmMergingPages: null, mems: '0', perNodeBytes: { 0: 1 << 30 }, balloonActualBytes: null, ...over.memory,
    },
    disks: over.disks ?? [], blockDevices: [],
    nics: [{
      ifname: `tap-${name}`, mac: null, rxBytesPerSec: 1000, txBytesPerSec: 2000, rxPacketsPerSec: 1, txPacketsPerSec: 2,
      rxDroppedPerSec: 0, txDroppedPerSec: 0, shaping: { inKbitPerSec: null, outKbitPerSec: null, active: false },
    }],
    psi: { cpuSomePct: null, ioSomePct: null, memSomePct: null },
  };
}

export function snapshot(guests: GuestSnap[]): Snapshot {
  return {
    schemaVersion: 1, timestamp: '2026-11-25T17:00:10.000Z', intervalSec: 1, demo: false,
    host: {
      hostname: 'kvm-07', kernel: '6.1.0', cgroupVersion: 1, cpuCount: 4, uptimeSec: 273_780.5, cpuUsagePct: 200, perCpuUsagePct: null,
      memTotalBytes: 8 * 2 ** 30, memAvailableBytes: 6 * 2 ** 30,
      numaNodes: [{ node: 0, cpus: '0-3', memTotalBytes: 8 * 2 ** 30, memFreeBytes: 2 * 2 ** 30, inactiveFileBytes: null, cpuUsagePct: 100, hugepages: { 2048: { total: 512, free: 128 } }, distances: [10] }],
      hugepages: { 2048: { total: 512, free: 128, reserved: 0, surplus: 0 } }, thp: null,
      ksm: null, psi: null, inventory: null,
    },
    guests, errors: [],
  };
}
