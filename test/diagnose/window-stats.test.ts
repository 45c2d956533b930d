// The window statistics the diagnosis reads without walking the samples: History.window().stats()
// (block sums, core/window-sums.ts) says exactly what a walk over series() says, for any stretch of
// any window, across the ring's wrap-around, with series born late and guests that came and went; and
// a diagnosis through them is the diagnosis a plain walk gives, on a noisy recorded host where every
// cause, neighbour kind and mask shape occurs. A healthy guest's diagnosis walks no series at all.

import { describe, expect, it } from 'vitest';
import { History } from '../../src/engine/core/history.js';
import { DiagnoseContext, diagnoseGuest } from '../../src/engine/diagnose/index.js';
import type { HistoryWindow, SeriesStats } from '../../src/engine/model/diagnosis.js';
import type { GuestSnap, NicSnap, Snapshot } from '../../src/engine/model/snapshot.js';
import { disk, guest, snapshot, vcpu } from './build.js';

/** Deterministic pseudo-random numbers (a test must not depend on luck). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const at = (h: History, s: Snapshot, sec: number): void => h.record(s, 1_000_000 + sec * 1000, Date.UTC(2026, 0, 1) + sec * 1000);

function walked(a: ArrayLike<number>, from: number, to: number): SeriesStats {
  let known = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < to; i++) {
    const v = a[i] as number;
    if (!Number.isNaN(v)) { known++; sum += v; min = Math.min(min, v); max = Math.max(max, v); }
  }
  return { known, sum, min: known ? min : NaN, max: known ? max : NaN };
}

/** The same window with only series(): what the diagnosis walks when a window has no stats(). */
function walkOnly(w: HistoryWindow): HistoryWindow {
  return { length: w.length, coveredSec: w.coveredSec, series: (g, m, into) => w.series(g, m, into) };
}

/** The window, counting the series() walks the diagnosis asks for. */
function counting(w: HistoryWindow): { w: HistoryWindow; walks: string[] } {
  const walks: string[] = [];
  return {
    walks,
    w: {
      length: w.length, coveredSec: w.coveredSec,
      series: (g, m, into) => { walks.push(`${g ?? ''}|${m}`); return w.series(g, m, into); },
      stats: (g, m, into, from, to) => (w.stats as NonNullable<HistoryWindow['stats']>)(g, m, into, from, to),
    },
  };
}

describe('History.window().stats()', () => {
  it('matches a walk over series() for every stretch of windows across the wrap-around, before and after more samples', () => {
    const r = rng(7);
    const h = new History(200, 1); // capacity 201: 530 samples wrap the ring twice
    let checked = 0;
    const check = (): void => {
      for (const sec of [0, 1, 31, 32, 33, 64, 100, 150, 200, 500]) {
        const w = h.window(sec);
        const stats = w.stats as NonNullable<HistoryWindow['stats']>;
        for (const id of ['qemu:a', 'qemu:b', 'qemu:c', 'qemu:d']) {
          const all = w.series(id, 'cpu.usagePct') as Float32Array | null;
          if (all === null) { expect(stats(id, 'cpu.usagePct', { known: 0, sum: 0, min: 0, max: 0 })).toBeNull(); continue; }
          for (let k = 0; k < 10; k++) {
            const from = k === 0 ? 0 : Math.floor(r() * w.length);
            const to = k === 0 ? w.length : from + Math.floor(r() * (w.length - from + 1));
            const got = stats(id, 'cpu.usagePct', { known: -1, sum: -1, min: -1, max: -1 }, from, to);
            const want = walked(all, from, to);
            expect(got?.known).toBe(want.known);
            expect(got?.min).toBe(want.min);
            expect(got?.max).toBe(want.max);
            expect(got?.sum).toBeCloseTo(want.sum, 6);
            checked++;
          }
        }
        expect(stats('qemu:a', 'nope', { known: 0, sum: 0, min: 0, max: 0 })).toBeNull();
      }
    };
    for (let t = 0; t < 530; t++) {
      // a is sometimes unknown, b exists only from t = 95, c vanishes for 100 samples (whole blocks
      // whose summary slots still hold older blocks), d appears once and again only at the end
      const gs = [guest('a', { cpu: { usagePct: r() < 0.2 ? null : Math.round(r() * 1000) / 7 } })];
      if (t >= 95) gs.push(guest('b', { cpu: { usagePct: r() * 100 } }));
      if (t < 300 || t >= 400) gs.push(guest('c', { cpu: { usagePct: 1e9 * r() + 5 } }));
      if (t === 400 || t >= 520) gs.push(guest('d', { cpu: { usagePct: 50 + r() } }));
      at(h, snapshot(gs), t);
      // the first question starts a series' sums from the ring; the samples after it are added as they come
      if (t === 20 || t === 150 || t === 333 || t === 529) check();
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

function nic(rx: number, dropped: number): NicSnap {
  return { ifname: 'vnet7', mac: null, rxBytesPerSec: rx, txBytesPerSec: 0, rxPacketsPerSec: null, txPacketsPerSec: null, rxDroppedPerSec: dropped, txDroppedPerSec: 0, shaping: { inKbitPerSec: 1000, outKbitPerSec: null, active: true } };
}

const limits = (readIops: number | null) => ({ readIops, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null });

/** Sample t of a noisy 4-CPU host where each guest has one trouble (or none). */
function noisyHost(t: number, r: () => number): Snapshot {
  const burst = t % 200 < 70;              // waits in long stretches: few mask runs
  const flicker = t % 2 === 0;             // waits every other sample: many mask runs
  const gs: GuestSnap[] = [
    guest('bursty', { vcpus: [vcpu(0, 0, '0')], cpu: { usagePct: burst ? 30 + 10 * r() : 90 * r(), stealPct: burst ? 50 + 20 * r() : 0 } }),
    guest('flicker', { vcpus: [vcpu(0, 0, '0')], cpu: { usagePct: 40 + 10 * r(), stealPct: flicker ? 40 * r() + 10 : 0 } }),
    guest('hog', { vcpus: [vcpu(0, 0, '0-1'), vcpu(1, 1, '0-1')], cpu: { usagePct: 100 + 80 * r(), stealPct: 2 * r() }, memory: { perNodeBytes: { 0: 2 ** 31 } } }),
    guest('quota', { vcpus: [vcpu(0, 2, '2')], cpu: { usagePct: 20 * r() + 10, stealPct: 60 * r(), throttledPct: 50 + 40 * r(), quotaUsec: 20000, periodUsec: 100000 } }),
    guest('limited', { disks: [disk('vda', { readIops: 80 + 25 * r(), writeIops: 0, readLatencyMs: 5 + 50 * r(), limits: limits(100) })], psi: { cpuSomePct: null, ioSomePct: 30 * r(), memSomePct: 0 } }),
    guest('slowdisk', { disks: [disk('vdb', { source: 'cgroup', device: '8:0', readIops: 500 * r(), writeIops: 100 * r(), readLatencyMs: 40 * r() })], psi: { cpuSomePct: null, ioSomePct: r() < 0.1 ? null : 20 * r(), memSomePct: null } }),
    guest('quietdisk', { disks: [disk('vdc', { source: 'cgroup', device: '8:0', readIops: 50 * r(), writeIops: 10, readLatencyMs: 2 * r() })], psi: { cpuSomePct: null, ioSomePct: 3 * r(), memSomePct: 0 } }),
    guest('paused', { state: t % 300 > 180 ? 'paused' : 'running', cpu: { usagePct: 5 * r(), stealPct: 0 } }),
    guest('net', { nics: [nic(r() < 0.5 ? 125_000 : 20_000 * r(), r() < 0.2 ? 3 : 0)] }),
    guest('mem', { memory: { maxBytes: 2 ** 30, maxUnlimited: false, currentBytes: (0.9 + 0.1 * r()) * 2 ** 30, perNodeBytes: { 0: 2 ** 29 } }, psi: { cpuSomePct: null, ioSomePct: null, memSomePct: 40 + 20 * r() } }),
    guest('healthy', { vcpus: [vcpu(0, 3, '3')], cpu: { usagePct: 10 * r(), stealPct: 0.01 * r(), throttledPct: 0 }, disks: [disk('vde', { readIops: 10 * r(), writeIops: 1, readLatencyMs: 1 })], nics: [{ ...nic(1000, 0), shaping: { inKbitPerSec: null, outKbitPerSec: null, active: false } }], psi: { cpuSomePct: 0, ioSomePct: 0.2 * r(), memSomePct: 0 } }),
  ];
  if (t % 250 < 200) gs.push(guest('comesgoes', { vcpus: [vcpu(0, 0, '0')], cpu: { usagePct: 50 * r(), stealPct: 30 * r() } }));
  const per = Object.fromEntries([0, 1, 2, 3].map((c) => [String(c), r() < 0.05 ? null : 60 + 40 * r()])) as Record<string, number>;
  return snapshot(gs, {
    cpuCount: 4, perCpuUsagePct: per,
    psi: { cpuSomePct: 5 * r(), cpuFullPct: null, ioSomePct: 10 * r(), ioFullPct: null, memSomePct: 2 * r(), memFullPct: null } as Snapshot['host']['psi'],
  });
}

describe('diagnosis through window statistics', () => {
  const r = rng(42);
  const h = new History(700, 1);
  let last: Snapshot = noisyHost(0, r);
  for (let t = 0; t < 1000; t++) { last = noisyHost(t, r); at(h, last, t); }

  it('gives the diagnosis a walk over the samples gives, for every guest and window', () => {
    const verdicts = new Set<string>();
    const kinds = new Set<string>();
    for (const sec of [600, 333, 45]) {
      const fast = new DiagnoseContext(last, h.window(sec));
      const slow = new DiagnoseContext(last, walkOnly(h.window(sec)));
      for (const g of last.guests) {
        const a = diagnoseGuest(fast, g.id, sec);
        expect(a).toEqual(diagnoseGuest(slow, g.id, sec));
        verdicts.add(a.verdict);
        for (const n of a.neighbours) kinds.add(n.resource);
      }
    }
    // the comparison covered every cause this host has and neighbours of each kind
    expect([...verdicts].sort()).toEqual(['cpu-contention', 'cpu-quota', 'disk-contention', 'disk-limit', 'memory-limit', 'network-limit', 'none', 'paused']);
    expect([...kinds].sort()).toEqual(['cpu', 'disk', 'memory']);
  });

  it('a healthy guest is diagnosed from statistics alone; a guest waiting in long stretches walks only its own use and wait', () => {
    const w = h.window(600);
    const healthy = counting(w);
    expect(diagnoseGuest(new DiagnoseContext(last, healthy.w), 'qemu:healthy', 600).verdict).toBe('none');
    expect(healthy.walks).toEqual([]);
    const bursty = counting(w);
    const d = diagnoseGuest(new DiagnoseContext(last, bursty.w), 'qemu:bursty', 600);
    expect(d.verdict).toBe('cpu-contention');
    expect(d.neighbours.map((n) => n.guest)).toContain('qemu:hog');
    // its CPU neighbours' use during its waits comes from the stats of the few stretches it waited
    // (the host's per-CPU series are walked once per CPU set and kept for the whole context)
    expect(bursty.walks.filter((s) => s.startsWith('qemu:')).sort()).toEqual(['qemu:bursty|cpu.stealPct', 'qemu:bursty|cpu.usagePct']);
  });
});
