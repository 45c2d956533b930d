// Owns hand-written inputs for the diagnosis unit tests: GuestSnaps and Snapshots with only what a
// test sets, and a HistoryWindow over literal series (null in a series = unknown).

import type { HistoryWindow } from '../../src/engine/model/diagnosis.js';
import type { DiskSnap, GuestSnap, HostSnap, NicSnap, Snapshot } from '../../src/engine/model/snapshot.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Array<infer _U> ? T[K] : T[K] extends object | null ? DeepPartial<T[K]> | T[K] : T[K] };

export function guest(name: string, over: Omit<DeepPartial<GuestSnap>, 'cpu' | 'memory'> & { cpu?: Partial<GuestSnap['cpu']>; memory?: Partial<GuestSnap['memory']> } = {}): GuestSnap {
  const id = `qemu:${name}`;
  const base: GuestSnap = {
    id, name, uuid: null, manager: 'qemu', pid: 100, state: 'running', cgroup: null,
    vcpus: [{ index: 0, tid: 101, usagePct: null, runDelayPct: null, lastCpu: 0, cpusAllowed: null, quotaUsec: null, periodUsec: null, quotaUnlimited: null, throttledPct: null, nrThrottled: null }],
    cpu: {
      usagePct: null, stealPct: null, weight: null, shares: 1024, quotaUsec: null, periodUsec: 100000, quotaUnlimited: null,
      throttledPct: null, nrThrottled: null, emulator: null, cpuset: null, cpusetEffective: null,
    },
    memory: {
      currentBytes: null, rssBytes: null, maxBytes: null, maxUnlimited: true, hugetlbBytes: null, anonHugeBytes: null,
      ksmMergingPages: null, mems: null, perNodeBytes: null, balloonActualBytes: null,
    },
    disks: [], blockDevices: [], nics: [], psi: { cpuSomePct: null, ioSomePct: null, memSomePct: null },
  };
  return {
    ...base, ...over,
    vcpus: (over.vcpus as GuestSnap['vcpus']) ?? base.vcpus,
    cpu: { ...base.cpu, ...over.cpu },
    memory: { ...base.memory, ...over.memory },
    disks: (over.disks as DiskSnap[]) ?? [],
    nics: (over.nics as NicSnap[]) ?? [],
  } as GuestSnap;
}

export function vcpu(index: number, lastCpu: number | null, cpusAllowed: string | null = null): GuestSnap['vcpus'][number] {
  return { index, tid: 200 + index, usagePct: null, runDelayPct: null, lastCpu, cpusAllowed, quotaUsec: null, periodUsec: null, quotaUnlimited: null, throttledPct: null, nrThrottled: null };
}

export function disk(name: string, over: Partial<DiskSnap> = {}): DiskSnap {
  return {
    name, target: null, source: 'qmp', device: null, readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null,
    readLatencyMs: null, writeLatencyMs: null, flushLatencyMs: null, latencyMs: { read: null, write: null, flush: null },
    limits: { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null },
    ...over,
  };
}

export function snapshot(guests: GuestSnap[], host: Partial<HostSnap> = {}): Snapshot {
  const cpus = host.cpuCount ?? 2;
  return {
    schemaVersion: 1, timestamp: '2026-12-01T08:00:00.000Z', intervalSec: 1, demo: false,
    host: {
      hostname: 'h', kernel: 'k', cgroupVersion: 1, cpuCount: cpus, uptimeSec: null, cpuUsagePct: null,
      perCpuUsagePct: Object.fromEntries(Array.from({ length: cpus }, (_, i) => [String(i), 0])),
      memTotalBytes: 8 * 2 ** 30, memAvailableBytes: 4 * 2 ** 30,
      numaNodes: [{ node: 0, cpus: `0-${cpus - 1}`, memTotalBytes: 8 * 2 ** 30, memFreeBytes: 4 * 2 ** 30, inactiveFileBytes: null, cpuUsagePct: null, hugepages: {}, distances: [10] }],
      hugepages: {}, thp: null, ksm: null, psi: null, inventory: null,
      ...host,
    },
    guests, errors: [],
  };
}

/** series keyed `guest|metric` (guest '' = host); a number (or null: unknown) is repeated over the whole window. */
export function windowOf(length: number, series: Record<string, Array<number | null> | number | null>, stepSec = 1): HistoryWindow {
  return {
    length,
    coveredSec: (length - 1) * stepSec,
    series(guestId, metric) {
      const v = series[`${guestId ?? ''}|${metric}`];
      if (v === undefined) return null;
      if (v === null) return new Float32Array(length).fill(NaN);
      if (typeof v === 'number') return new Float32Array(length).fill(v);
      if (v.length !== length) throw new Error(`series ${guestId}|${metric} has ${v.length} values, window ${length}`);
      return Float32Array.from(v, (x) => (x === null ? NaN : x));
    },
  };
}
