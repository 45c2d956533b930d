// Owns a synthetic RawSample generator (N guests of 4 vCPUs, 2 disks, 1 NIC, counters that grow with
// t): input for the derivation, history and serialisation benchmarks when the demo host or the
// collector has not landed, so those figures do not depend on them.

import type { RawCpuTimes, RawGuest, RawHost, RawPsiTotals, RawSample } from '../engine/model/sample.js';

const cpuTimes = (t: number, k: number): RawCpuTimes => ({
  user: 1000 * t * k, nice: 0, system: 200 * t * k, idle: 5000 * t, iowait: 10 * t,
  irq: t, softirq: 2 * t, steal: 0, guest: 800 * t * k, guestNice: 0,
});

const psi = (t: number): RawPsiTotals => ({
  cpuSomeUsec: 1000 * t, cpuFullUsec: 100 * t, ioSomeUsec: 500 * t, ioFullUsec: 50 * t, memSomeUsec: 0, memFullUsec: 0,
});

function host(t: number): RawHost {
  const per: Record<string, RawCpuTimes> = {};
  for (let c = 0; c < 8; c++) per[String(c)] = cpuTimes(t, 1 + c / 8);
  return {
    hostname: 'bench', kernel: '6.1.0', cgroupVersion: 2, cpuCount: 8, onlineCpus: '0-7', clkTck: 100, pageSizeBytes: 4096,
    cpuTotal: cpuTimes(t, 8), cpuPerCpu: per, memTotalBytes: 256 * 2 ** 30, memAvailableBytes: 128 * 2 ** 30,
    numaNodes: [0, 1].map((node) => ({
      node, cpus: node === 0 ? '0-3' : '4-7', memTotalBytes: 128 * 2 ** 30, memFreeBytes: 64 * 2 ** 30,
      inactiveFileBytes: 2 ** 30, hugepages: { '2048': { total: 0, free: 0 } }, distances: node === 0 ? [10, 21] : [21, 10], hasMemory: true,
    })),
    hugepages: { '2048': { total: 0, free: 0, reserved: 0, surplus: 0 } },
    thp: { enabled: 'madvise', defrag: 'madvise' },
    ksm: {
      run: 1, pagesToScan: 100, sleepMillisecs: 20, pagesShared: 1000, pagesSharing: 5000, pagesUnshared: 100,
      pagesVolatile: 10, fullScans: t, mergeAcrossNodes: 1, zeroPages: 0, pageSizeBytes: 4096,
    },
    psi: psi(t),
    inventory: { cpuModel: 'bench', sockets: 1, cores: 8 },
  };
}

function guest(i: number, t: number): RawGuest {
  const name = `vm${String(i).padStart(4, '0')}`;
  const pid = 10_000 + i;
  const scope = `/machine.slice/machine-qemu\\x2d${i}\\x2d${name}.scope`;
  return {
    id: `libvirt:${name}`, name, uuid: null, manager: 'libvirt', pid, vmid: null, state: 'running',
    cgroup: { path: scope, version: 2, own: true },
    qmp: { socket: `/run/libvirt/qemu/${name}.monitor`, dedicated: false, reachable: true },
    smp: 4, cpuModel: 'host',
    vcpus: [0, 1, 2, 3].map((index) => ({
      index, tid: pid + 1 + index, source: 'qmp' as const, runUsec: 300_000 * t * (index + 1), waitUsec: 1000 * t,
      timeslices: 100 * t, lastCpu: index, cpusAllowed: '0-7', cgroupPath: `${scope}/libvirt/vcpu${index}`,
    })),
    emulatorCpus: '0-7',
    cpu: {
      usageUsec: 1_000_000 * t, userUsec: 800_000 * t, systemUsec: 200_000 * t, nrPeriods: 10 * t, nrThrottled: t,
      throttledUsec: 1000 * t, weight: 100, shares: null, quotaUsec: 'max', periodUsec: 100_000, cpuset: '0-7', cpusetEffective: '0-7',
    },
    memory: {
      currentBytes: 4 * 2 ** 30, rssBytes: 3 * 2 ** 30, maxBytes: 'max', hugetlbBytes: 0, anonHugeBytes: 2 ** 30,
      ksmMergingPages: 100, ksmZeroPages: 0, mems: '0-1', memsEffective: '0-1',
      perNodeBytes: { '0': 2 * 2 ** 30, '1': 2 ** 30 }, perNodeReadAtMs: 0, balloonActualBytes: 4 * 2 ** 30, backends: null,
    },
    disks: ['virtio-disk0', 'virtio-disk1'].map((d, k) => ({
      name: d, source: 'qmp' as const, device: null, qdev: `/machine/peripheral/${d}/virtio-backend`,
      readOps: 100 * t * (k + 1), writeOps: 50 * t, flushOps: t, readBytes: 409_600 * t, writeBytes: 204_800 * t,
      readTimeUsec: 20_000 * t, writeTimeUsec: 30_000 * t, flushTimeUsec: 1000 * t,
      limits: { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null },
    })),
    nics: [{
      ifname: `vnet${i}`, mac: '52:54:00:00:00:01', macvtap: false, rxBytes: 150_000 * t, txBytes: 90_000 * t,
      rxPackets: 100 * t, txPackets: 80 * t, rxDropped: 0, txDropped: 0, shaping: null,
    }],
    psi: psi(t),
  };
}

/** The t-th sample (t seconds after the first) of a synthetic host with `guests` guests. */
export function syntheticSample(guests: number, t: number): RawSample {
  const list: RawGuest[] = [];
  for (let i = 0; i < guests; i++) list.push(guest(i, t));
  return {
    schemaVersion: 1, monoMs: 1_000_000 + t * 1000, wallMs: Date.UTC(2026, 0, 1) + t * 1000, demo: true,
    host: host(t), guests: list, errors: [],
  };
}
