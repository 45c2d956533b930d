// Owns hand-built RawSamples for engine tests: a host, guests with vCPUs/disks/NICs, and a fake
// SampleSource that advances counters deterministically from a clock (the contract test's host).

import type { Clock } from '../../src/engine/ports/clock.js';
import type { SampleRequest, SampleSource, SampleTask } from '../../src/engine/ports/sources.js';
import type { RawCpuTimes, RawGuest, RawHost, RawSample } from '../../src/engine/model/sample.js';

export function cpuTimes(busy: number, idle: number): RawCpuTimes {
  return { user: busy, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 };
}

export function rawHost(over: Partial<RawHost> = {}): RawHost {
  return {
    hostname: 'kvm-test', kernel: '6.1.0-test', cgroupVersion: 2, cpuCount: 2, onlineCpus: '0-1',
    uptimeMs: 86_400_000, clkTck: 100, pageSizeBytes: 4096,
    cpuTotal: cpuTimes(0, 0), cpuPerCpu: { 0: cpuTimes(0, 0), 1: cpuTimes(0, 0) },
    memTotalBytes: 8 * 2 ** 30, memAvailableBytes: 4 * 2 ** 30,
    numaNodes: [{
      node: 0, cpus: '0-1', memTotalBytes: 8 * 2 ** 30, memFreeBytes: 2 ** 30, inactiveFileBytes: 0,
      hugepages: { 2048: { total: 0, free: 0 } }, distances: [10], hasMemory: true,
    }],
    hugepages: { 2048: { total: 0, free: 0, reserved: 0, surplus: 0 } },
    thp: { enabled: 'madvise', defrag: 'madvise' },
    ksm: {
      run: 1, pagesToScan: 100, sleepMillisecs: 20, pagesShared: 10, pagesSharing: 100, pagesUnshared: 0,
      pagesVolatile: 0, fullScans: 3, mergeAcrossNodes: 1, zeroPages: 5, pageSizeBytes: 4096,
    },
    psi: { cpuSomeUsec: 0, cpuFullUsec: 0, ioSomeUsec: 0, ioFullUsec: 0, memSomeUsec: 0, memFullUsec: 0 },
    inventory: null,
    ...over,
  };
}

export function rawGuest(id: string, over: Partial<RawGuest> = {}): RawGuest {
  const name = id.split(':')[1] ?? id;
  return {
    id, name, uuid: null, manager: 'qemu', pid: 1000, vmid: null, state: 'running',
    cgroup: { path: `/machine.slice/${name}.scope`, version: 2, own: true },
    qmp: null, smp: 2, cpuModel: null,
    vcpus: [0, 1].map((index) => ({
      index, tid: 1001 + index, source: 'qmp' as const, runUsec: 0, waitUsec: 0, timeslices: 0,
      lastCpu: index, cpusAllowed: '0-1', cgroupPath: null,
    })),
    emulatorCpus: null,
    cpu: {
      usageUsec: 0, userUsec: 0, systemUsec: 0, nrPeriods: 0, nrThrottled: 0, throttledUsec: 0,
      weight: 100, shares: null, quotaUsec: 'max', periodUsec: 100000, cpuset: '0-1', cpusetEffective: '0-1',
    },
    memory: {
      currentBytes: 2 ** 30, rssBytes: 2 ** 29, maxBytes: 'max', hugetlbBytes: 0, anonHugeBytes: 0,
      ksmMergingPages: null, ksmZeroPages: null, mems: '0', memsEffective: '0', perNodeBytes: { 0: 2 ** 29 },
      perNodeReadAtMs: null, balloonActualBytes: null, backends: null,
    },
    disks: [{
      name: 'virtio-disk0', source: 'qmp', device: null, qdev: null, readOps: 0, writeOps: 0, flushOps: 0,
      readBytes: 0, writeBytes: 0, readTimeUsec: 0, writeTimeUsec: 0, flushTimeUsec: 0,
      limits: { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null },
    }],
    nics: [{
      ifname: 'vnet0', mac: '52:54:00:00:00:01', macvtap: false, rxBytes: 0, txBytes: 0, rxPackets: 0,
      txPackets: 0, rxDropped: 0, txDropped: 0, shaping: null,
    }],
    psi: { cpuSomeUsec: 0, cpuFullUsec: 0, ioSomeUsec: 0, ioFullUsec: 0, memSomeUsec: 0, memFullUsec: 0 },
    ...over,
  };
}

export function rawSample(monoMs: number, host: RawHost, guests: RawGuest[], wallMs = Date.UTC(2026, 10, 25, 17) + monoMs): RawSample {
  return { schemaVersion: 1, monoMs, wallMs, demo: false, host, guests, errors: [] };
}

/**
 * A deterministic fake host: every guest `i` uses (i+1)×10 % of a CPU per vCPU, waits 1 % per vCPU,
 * does 100×(i+1) read ops of 4 KiB at 0.5 ms each, receives 1000×(i+1) bytes/s. Counters are a
 * function of the clock, so two samples over the same interval give the same rates on any transport.
 */
export class FakeSampleSource implements SampleSource {
  readonly requests: Array<Set<SampleTask>> = [];
  closed = false;
  constructor(private readonly clock: Clock, private readonly guestIds: string[] = ['qemu:alpha', 'qemu:beta'],
    private readonly opts: { delayMs?: number; firstDelayMs?: number } = {}) {}

  async sample(req: SampleRequest): Promise<RawSample> {
    this.requests.push(new Set(req.tasks));
    const delayMs = this.requests.length === 1 && this.opts.firstDelayMs !== undefined ? this.opts.firstDelayMs : this.opts.delayMs;
    if (delayMs) await this.clock.sleep(delayMs);
    const t = this.clock.monoMs();
    const s = t / 1000;
    const guests = this.guestIds.map((id, i) => {
      const g = rawGuest(id, { pid: 2000 + i });
      for (const v of g.vcpus) {
        v.tid = 3000 + i * 10 + v.index;
        v.runUsec = Math.round(s * (i + 1) * 0.1 * 1e6);
        v.waitUsec = Math.round(s * 0.01 * 1e6);
      }
      g.cpu.usageUsec = Math.round(s * (i + 1) * 0.2 * 1e6);
      const d = g.disks[0]!;
      d.readOps = Math.round(s * 100 * (i + 1));
      d.readBytes = d.readOps * 4096;
      d.readTimeUsec = d.readOps * 500;
      const n = g.nics[0]!;
      n.rxBytes = Math.round(s * 1000 * (i + 1));
      return g;
    });
    const busy = Math.round(s * 50);
    const idle = Math.round(s * 150);
    const host = rawHost({
      cpuTotal: cpuTimes(busy * 2, idle * 2),
      cpuPerCpu: { 0: cpuTimes(busy, idle), 1: cpuTimes(busy, idle) },
    });
    return { schemaVersion: 1, monoMs: t, wallMs: this.clock.wallMs(), demo: false, host, guests, errors: [] };
  }

  async close(): Promise<void> { this.closed = true; }
}
