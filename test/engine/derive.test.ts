// Tests derive(prev, cur): rates from counter deltas over the monotonic interval, nulls on first sample
// and on counter resets, percentages, limits as tagged values, and fast-check properties.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { derive } from '../../src/engine/core/derive.js';
import { cpuTimes, rawGuest, rawHost, rawSample } from './raw-builders.js';
import type { RawGuest, RawSample } from '../../src/engine/model/sample.js';

function twoSamples(dtMs: number, mut: (g: RawGuest, s: RawSample) => void): [RawSample, RawSample] {
  const a = rawSample(1000, rawHost(), [rawGuest('qemu:a')]);
  const b = rawSample(1000 + dtMs, rawHost(), [rawGuest('qemu:a')]);
  mut(b.guests[0]!, b);
  return [a, b];
}

describe('derive', () => {
  it('first sample: no rates, no interval, settings and gauges are kept', () => {
    const s = derive(null, rawSample(1000, rawHost(), [rawGuest('qemu:a')]));
    expect(s.intervalSec).toBeNull();
    expect(s.host.cpuUsagePct).toBeNull();
    expect(s.host.perCpuUsagePct).toBeNull();
    const g = s.guests[0]!;
    expect(g.cpu.usagePct).toBeNull();
    expect(g.cpu.stealPct).toBeNull();
    expect(g.cpu.throttledPct).toBeNull();
    expect(g.vcpus.map((v) => v.usagePct)).toEqual([null, null]);
    expect(g.disks[0]!.readIops).toBeNull();
    expect(g.nics[0]!.rxBytesPerSec).toBeNull();
    expect(g.memory.currentBytes).toBe(2 ** 30);
    expect(g.cpu.weight).toBe(100);
    expect(s.timestamp).toBe(new Date(Date.UTC(2026, 10, 25, 17) + 1000).toISOString());
  });

  it('host uptime: /proc/uptime ms as seconds; null when unreadable or absent (a recording made before the field)', () => {
    expect(derive(null, rawSample(1000, rawHost({ uptimeMs: 350_735_470 }), [])).host.uptimeSec).toBe(350735.47);
    expect(derive(null, rawSample(1000, rawHost({ uptimeMs: null }), [])).host.uptimeSec).toBeNull();
    const old = rawHost();
    delete old.uptimeMs;
    expect(derive(null, rawSample(1000, old, [])).host.uptimeSec).toBeNull();
  });

  it('guest CPU, vCPU run and wait, steal as the sum of vCPU wait over the interval', () => {
    const [a, b] = twoSamples(2000, (g) => {
      g.cpu.usageUsec = 3_000_000; // 3 s of CPU in 2 s = 150 %
      g.vcpus[0]!.runUsec = 1_800_000; // 90 %
      g.vcpus[0]!.waitUsec = 100_000; // 5 %
      g.vcpus[1]!.runUsec = 1_000_000; // 50 %
      g.vcpus[1]!.waitUsec = 40_000; // 2 %
    });
    const g = derive(a, b).guests[0]!;
    expect(derive(a, b).intervalSec).toBe(2);
    expect(g.cpu.usagePct).toBeCloseTo(150, 6);
    expect(g.vcpus[0]!.usagePct).toBeCloseTo(90, 6);
    expect(g.vcpus[0]!.runDelayPct).toBeCloseTo(5, 6);
    expect(g.vcpus[1]!.usagePct).toBeCloseTo(50, 6);
    expect(g.cpu.stealPct).toBeCloseTo(7, 6);
  });

  it('throttledPct from nr_throttled / nr_periods; 0 when no period elapsed; quota max is null', () => {
    const [a, b] = twoSamples(1000, (g) => { g.cpu.nrPeriods = 10; g.cpu.nrThrottled = 4; g.cpu.quotaUsec = 150000; });
    let g = derive(a, b).guests[0]!;
    expect(g.cpu.throttledPct).toBeCloseTo(40, 6);
    expect(g.cpu.nrThrottled).toBe(4);
    expect(g.cpu.quotaUsec).toBe(150000);
    const [c, d] = twoSamples(1000, () => {});
    g = derive(c, d).guests[0]!;
    expect(g.cpu.throttledPct).toBe(0);
    expect(g.cpu.quotaUsec).toBeNull();
  });

  it('memory max: max -> null with maxUnlimited, a number is kept, unknown stays unknown', () => {
    const one = (max: number | 'max' | null) => {
      const g = rawGuest('qemu:a');
      g.memory.maxBytes = max;
      return derive(null, rawSample(1, rawHost(), [g])).guests[0]!.memory;
    };
    expect(one('max')).toMatchObject({ maxBytes: null, maxUnlimited: true });
    expect(one(4096)).toMatchObject({ maxBytes: 4096, maxUnlimited: false });
    expect(one(null)).toMatchObject({ maxBytes: null, maxUnlimited: null });
  });

  it('shares XOR weight as read (v1 host keeps shares, weight null)', () => {
    const g = rawGuest('qemu:a');
    g.cpu.weight = null;
    g.cpu.shares = 1024;
    const c = derive(null, rawSample(1, rawHost({ cgroupVersion: 1 }), [g])).guests[0]!.cpu;
    expect(c).toMatchObject({ shares: 1024, weight: null });
  });

  it('disk IOPS, bandwidth and latency; latency null when no op completed', () => {
    const [a, b] = twoSamples(500, (g) => {
      const d = g.disks[0]!;
      d.readOps = 50; d.readBytes = 50 * 4096; d.readTimeUsec = 50 * 2000; // 2 ms each
    });
    const d = derive(a, b).guests[0]!.disks[0]!;
    expect(d.readIops).toBeCloseTo(100, 6);
    expect(d.readBytesPerSec).toBeCloseTo(100 * 4096, 6);
    expect(d.readLatencyMs).toBeCloseTo(2, 6);
    expect(d.writeIops).toBe(0);
    expect(d.writeLatencyMs).toBeNull();
  });

  it('NIC rates in the guest direction', () => {
    const [a, b] = twoSamples(1000, (g) => { g.nics[0]!.rxBytes = 12345; g.nics[0]!.txPackets = 7; });
    const n = derive(a, b).guests[0]!.nics[0]!;
    expect(n.rxBytesPerSec).toBe(12345);
    expect(n.txPacketsPerSec).toBe(7);
    expect(n.shaping).toEqual({ inKbitPerSec: null, outKbitPerSec: null, active: null });
  });

  it('NIC shaping: known and active, known and none, unknown', () => {
    const [a, b] = twoSamples(1000, (g) => { g.nics[0]!.shaping = { inKbitPerSec: 1000, outKbitPerSec: null }; });
    expect(derive(a, b).guests[0]!.nics[0]!.shaping).toEqual({ inKbitPerSec: 1000, outKbitPerSec: null, active: true });
    const [c, d] = twoSamples(1000, (g) => { g.nics[0]!.shaping = { inKbitPerSec: null, outKbitPerSec: null }; });
    expect(derive(c, d).guests[0]!.nics[0]!.shaping.active).toBe(false);
  });

  it('host CPU from /proc/stat ticks: sum over CPUs, per CPU and per NUMA node', () => {
    const a = rawSample(0, rawHost({ cpuTotal: cpuTimes(0, 0), cpuPerCpu: { 0: cpuTimes(0, 0), 1: cpuTimes(0, 0) } }), []);
    const b = rawSample(1000, rawHost({ cpuTotal: cpuTimes(125, 75), cpuPerCpu: { 0: cpuTimes(100, 0), 1: cpuTimes(25, 75) } }), []);
    const h = derive(a, b).host;
    expect(h.perCpuUsagePct).toEqual({ 0: 100, 1: 25 });
    expect(h.cpuUsagePct).toBeCloseTo(125, 6);
    expect(h.numaNodes[0]!.cpuUsagePct).toBeCloseTo(125, 6);
  });

  it('host PSI from Δtotal µs over the interval, KSM saved bytes with zero pages', () => {
    const a = rawSample(0, rawHost(), []);
    const hb = rawHost();
    hb.psi!.ioSomeUsec = 250_000;
    hb.psi!.cpuSomeUsec = 10_000;
    const b = rawSample(1000, hb, []);
    const h = derive(a, b).host;
    expect(h.psi!.ioSomePct).toBeCloseTo(25, 6);
    expect(h.psi!.cpuSomePct).toBeCloseTo(1, 6);
    expect(h.ksm!.savedBytes).toBe((100 + 5) * 4096);
    const noZero = rawHost();
    noZero.ksm!.zeroPages = null;
    expect(derive(null, rawSample(0, noZero, [])).host.ksm!.savedBytes).toBe(100 * 4096);
  });

  it('a restarted guest (same id, new pid) has no rates; a counter that went backwards gives null', () => {
    const a = rawSample(0, rawHost(), [rawGuest('qemu:a', { pid: 10 })]);
    const g2 = rawGuest('qemu:a', { pid: 11 });
    g2.cpu.usageUsec = 5_000_000;
    expect(derive(a, rawSample(1000, rawHost(), [g2])).guests[0]!.cpu.usagePct).toBeNull();

    const p = rawGuest('qemu:a');
    p.cpu.usageUsec = 5_000_000;
    p.disks[0]!.readOps = 100;
    const c = rawGuest('qemu:a');
    c.cpu.usageUsec = 1_000_000;
    c.disks[0]!.readOps = 3;
    const g = derive(rawSample(0, rawHost(), [p]), rawSample(1000, rawHost(), [c])).guests[0]!;
    expect(g.cpu.usagePct).toBeNull();
    expect(g.disks[0]!.readIops).toBeNull();
  });

  it('a vCPU whose thread changed has no rate; a new disk has no rate', () => {
    const [a, b] = twoSamples(1000, (g) => {
      g.vcpus[0]!.tid = 9999;
      g.vcpus[0]!.runUsec = 500_000;
      g.disks.push({ ...g.disks[0]!, name: 'virtio-disk1', readOps: 10 });
    });
    const g = derive(a, b).guests[0]!;
    expect(g.vcpus[0]!.usagePct).toBeNull();
    expect(g.cpu.stealPct).toBeNull();
    expect(g.disks[1]!.readIops).toBeNull();
  });

  it('disks pair by name and source: one that moved is found, two of the same name pair by position', () => {
    const a = rawSample(1000, rawHost(), [rawGuest('qemu:a')]);
    const b = rawSample(2000, rawHost(), [rawGuest('qemu:a')]);
    const base = a.guests[0]!.disks[0]!;
    // x moved behind y: each still rated against its own counter
    a.guests[0]!.disks = [{ ...base, name: 'x', readOps: 100 }, { ...base, name: 'y', readOps: 200 }];
    b.guests[0]!.disks = [{ ...base, name: 'y', readOps: 250 }, { ...base, name: 'x', readOps: 110 }];
    expect(derive(a, b).guests[0]!.disks.map((d) => [d.name, d.readIops])).toEqual([['y', 50], ['x', 10]]);
    // two disks of the same name and source where they were: each against its own (not both against the first)
    a.guests[0]!.disks = [{ ...base, name: 'y', readOps: 200 }, { ...base, name: 'y', readOps: 1000 }];
    b.guests[0]!.disks = [{ ...base, name: 'y', readOps: 250 }, { ...base, name: 'y', readOps: 1100 }];
    expect(derive(a, b).guests[0]!.disks.map((d) => [d.name, d.readIops])).toEqual([['y', 50], ['y', 100]]);
  });

  it('all-null parts (no latency percentiles, unknown shaping) are one shared frozen object', () => {
    const [a, b] = twoSamples(1000, (g) => { g.nics[0]!.shaping = null; });
    a.guests[0]!.nics[0]!.shaping = null;
    const g1 = derive(null, a).guests[0]!;
    const g2 = derive(a, b).guests[0]!;
    expect(g1.disks[0]!.latencyMs).toEqual({ read: null, write: null, flush: null });
    expect(g1.nics[0]!.shaping).toEqual({ inKbitPerSec: null, outKbitPerSec: null, active: null });
    expect(Object.isFrozen(g1.disks[0]!.latencyMs)).toBe(true);
    expect(g2.nics[0]!.shaping).toBe(g1.nics[0]!.shaping);
  });

  it('a disk without any limit gets the one shared frozen all-null limits; one limit set is copied', () => {
    const none = { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null };
    const [a, b] = twoSamples(1000, (g) => {
      g.disks[0]!.limits = { ...none, extra: { group: 'g1' } };      // built per sample, no limit
      g.disks.push({ ...g.disks[0]!, name: 'virtio-disk1', limits: { ...none, writeIops: 0 } }); // a limit of 0 is a limit
    });
    const s1 = derive(null, a).guests[0]!;
    const s2 = derive(a, b).guests[0]!;
    expect(JSON.stringify(s2.disks[0]!.limits)).toBe(JSON.stringify(none));
    expect(s2.disks[0]!.limits).toBe(s1.disks[0]!.limits);
    expect(Object.isFrozen(s2.disks[0]!.limits)).toBe(true);
    expect(s2.disks[1]!.limits).toEqual({ ...none, writeIops: 0 });
    expect(s2.disks[1]!.limits).not.toBe(s2.disks[0]!.limits);
  });

  it('a non-positive interval gives no rates', () => {
    const [a, b] = twoSamples(0, (g) => { g.cpu.usageUsec = 100; });
    expect(derive(a, b).intervalSec).toBeNull();
    expect(derive(a, b).guests[0]!.cpu.usagePct).toBeNull();
  });

  // ---- properties ----
  const counter = fc.integer({ min: 0, max: 2 ** 40 });
  const guestCounters = fc.record({
    usage: counter, run: counter, wait: counter, ops: counter, time: counter, rx: counter, periods: counter, thr: counter,
  });
  const build = (mono: number, c: { usage: number; run: number; wait: number; ops: number; time: number; rx: number; periods: number; thr: number }): RawSample => {
    const g = rawGuest('qemu:p');
    g.cpu.usageUsec = c.usage;
    g.cpu.nrPeriods = c.periods;
    g.cpu.nrThrottled = Math.min(c.thr, c.periods);
    for (const v of g.vcpus) { v.runUsec = c.run; v.waitUsec = c.wait; }
    g.disks[0]!.readOps = c.ops;
    g.disks[0]!.readTimeUsec = c.time;
    g.nics[0]!.rxBytes = c.rx;
    return rawSample(mono, rawHost(), [g]);
  };
  const numbersOf = (x: unknown, out: number[] = []): number[] => {
    if (typeof x === 'number') out.push(x);
    else if (x && typeof x === 'object') for (const v of Object.values(x)) numbersOf(v, out);
    return out;
  };

  it('property: each guest is rated against the previous guest of its id and pid, wherever either stands', () => {
    // previous guests: ids 0..n-1 in a shuffled order; current: a subset of them in another order, some
    // restarted (new pid), plus new ids
    const arb = fc.record({
      prevOrder: fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 12 }),
      curOrder: fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 16 }),
      restarted: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
    });
    fc.assert(fc.property(arb, ({ prevOrder, curOrder, restarted }) => {
      const guest = (k: number, pid: number, usec: number): RawGuest => {
        const g = rawGuest(`qemu:g${k}`, { pid });
        g.cpu.usageUsec = usec;
        return g;
      };
      const a = rawSample(1000, rawHost(), prevOrder.map((k) => guest(k, 100 + k, k * 1000)));
      const b = rawSample(2000, rawHost(), curOrder.map((k) => guest(k, restarted[k] ? 500 + k : 100 + k, k * 1000 + 10_000 * (k + 1))));
      const want = curOrder.map((k) => (prevOrder.includes(k) && !restarted[k] ? (k + 1) : null)); // 10 000 µs × (k+1) per s = (k+1) %
      expect(derive(a, b).guests.map((g) => g.cpu.usagePct)).toEqual(want);
      expect(derive(a, b).guests.map((g) => g.id)).toEqual(curOrder.map((k) => `qemu:g${k}`));
    }), { numRuns: 300 });
  });

  it('property: derived values are never negative', () => {
    fc.assert(fc.property(guestCounters, guestCounters, fc.integer({ min: -5000, max: 5000 }), (p, c, dt) => {
      const s = derive(build(10_000, p), build(10_000 + dt, c));
      for (const n of numbersOf(s.guests)) expect(n).toBeGreaterThanOrEqual(0);
    }));
  });

  it('property: a counter that went backwards yields null', () => {
    fc.assert(fc.property(guestCounters, fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 10_000 }), (p, drop, dt) => {
      const c = { ...p, usage: Math.max(0, p.usage - drop), rx: Math.max(0, p.rx - drop) };
      fc.pre(c.usage < p.usage && c.rx < p.rx);
      const g = derive(build(0, p), build(dt, c)).guests[0]!;
      expect(g.cpu.usagePct).toBeNull();
      expect(g.nics[0]!.rxBytesPerSec).toBeNull();
    }));
  });

  it('property: the first sample has no rates', () => {
    fc.assert(fc.property(guestCounters, (c) => {
      const s = derive(null, build(5, c));
      const g = s.guests[0]!;
      expect([s.intervalSec, s.host.cpuUsagePct, g.cpu.usagePct, g.cpu.stealPct, g.cpu.throttledPct,
        g.disks[0]!.readIops, g.disks[0]!.readLatencyMs, g.nics[0]!.rxBytesPerSec, g.vcpus[0]!.usagePct,
        g.psi.cpuSomePct]).toEqual(Array(10).fill(null));
    }));
  });

  it('a frozen part carried over unchanged gives the same frozen snapshot object; a part built per sample is copied', () => {
    const limits = Object.freeze({ readIops: 500, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: 10_000_000 });
    const cgroup = Object.freeze({ path: '/machine.slice/a.scope', version: 2 as const, own: true });
    const guest = (usage: number): RawGuest => {
      const g = rawGuest('qemu:a', { cgroup });
      g.disks[0]!.limits = limits;
      g.disks.push({ ...g.disks[0]!, name: 'virtio-disk1', limits: { ...limits } }); // not frozen: built per sample
      g.cpu.usageUsec = usage;
      return g;
    };
    const a = rawSample(1000, rawHost(), [guest(0)]);
    const b = rawSample(2000, rawHost(), [guest(500_000)]);
    const c = rawSample(3000, rawHost(), [guest(1_000_000)]);
    const s1 = derive(a, b).guests[0]!;
    const s2 = derive(b, c).guests[0]!;
    expect(s1.disks[0]!.limits).toEqual({ readIops: 500, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: 10_000_000 });
    expect(s2.disks[0]!.limits).toBe(s1.disks[0]!.limits);
    expect(Object.isFrozen(s1.disks[0]!.limits)).toBe(true);
    expect(s2.cgroup).toBe(s1.cgroup);
    expect(s1.cgroup).toEqual({ path: '/machine.slice/a.scope', version: 2 }); // only the snapshot's fields
    expect(s2.disks[1]!.limits).not.toBe(s1.disks[1]!.limits);
    expect(s2.disks[1]!.limits).toEqual(s1.disks[1]!.limits);
    expect(Object.isFrozen(s2.disks[1]!.limits)).toBe(false);
    expect([s1.cpu.usagePct, s2.cpu.usagePct]).toEqual([50, 50]);
  });
});
