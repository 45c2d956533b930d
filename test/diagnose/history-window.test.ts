// History.window(): the last N seconds of a series oldest first, across the ring's wrap-around, with
// samples from before a series existed unknown (NaN); the diagnosis series recorded per guest.

import { describe, expect, it } from 'vitest';
import { History } from '../../src/engine/core/history.js';
import { disk, guest, snapshot } from './build.js';

const at = (h: History, s: ReturnType<typeof snapshot>, sec: number): void => h.record(s, 1_000_000 + sec * 1000, Date.UTC(2026, 0, 1) + sec * 1000);

describe('History.window', () => {
  it('returns the window oldest first across the wrap-around of the ring', () => {
    const h = new History(4, 1); // capacity 5
    for (let t = 0; t < 8; t++) at(h, snapshot([guest('a', { cpu: { usagePct: t * 10 } })]), t);
    const w = h.window(3);
    expect(w.length).toBe(4);
    expect(w.coveredSec).toBe(3);
    expect(Array.from(w.series('qemu:a', 'cpu.usagePct') as Float32Array)).toEqual([40, 50, 60, 70]);
    expect(Array.from(h.window(100).series('qemu:a', 'cpu.usagePct') as Float32Array)).toEqual([30, 40, 50, 60, 70]);
    expect(w.series('qemu:a', 'nope')).toBeNull();
  });

  it('a guest that appeared late is unknown before it, and absent samples are NaN, never 0', () => {
    const h = new History(10, 1);
    at(h, snapshot([]), 0);
    at(h, snapshot([]), 1);
    at(h, snapshot([guest('a', { cpu: { usagePct: 5 } })]), 2);
    at(h, snapshot([guest('a', { cpu: { usagePct: null } })]), 3);
    const s = Array.from(h.window(10).series('qemu:a', 'cpu.usagePct') as Float32Array);
    expect(s.map((x) => (Number.isNaN(x) ? null : x))).toEqual([null, null, 5, null]);
  });

  it('records the diagnosis series: limit use, latency, paused; only for guests that have the thing', () => {
    const h = new History(10, 1);
    const limited = disk('d0', { readIops: 90, writeIops: 0, readLatencyMs: 2, writeLatencyMs: 7, limits: { readIops: 100, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null } });
    at(h, snapshot([guest('a', { state: 'paused', disks: [limited] }), guest('b', { state: null, disks: [disk('d0')] })]), 0);
    const w = h.window(10);
    expect(w.series('qemu:a', 'disks.limitUsePct')?.[0]).toBeCloseTo(90, 4);
    expect(w.series('qemu:a', 'disks.latencyMs')?.[0]).toBe(7);
    expect(w.series('qemu:a', 'state.paused')?.[0]).toBe(1);
    expect(w.series('qemu:b', 'disks.limitUsePct')).toBeNull();
    expect(w.series('qemu:b', 'state.paused')).toBeNull();
    expect(Number.isNaN(w.series('qemu:b', 'disks.latencyMs')?.[0])).toBe(true);
  });

  it('a guest whose metrics change order, and one whose series were dropped and came back, record into the right series', () => {
    const h = new History(3, 1); // capacity 4: a guest absent 4 samples loses its series
    const limits = { readIops: 100, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null };
    const a = (t: number, limited: boolean) => guest('a', { state: t % 2 === 0 ? 'running' : null, cpu: { usagePct: t }, disks: [disk('d0', { readIops: 10 * t, writeIops: 0, ...(limited ? { limits } : {}) })] });
    // a's metrics come with and without the limit and the state, so their positions shift from tick to tick
    for (let t = 0; t < 3; t++) at(h, snapshot([a(t, t !== 1), guest('b', { cpu: { usagePct: 100 + t } })]), t);
    for (let t = 3; t < 8; t++) at(h, snapshot([a(t, t % 2 === 1)]), t); // b gone for 5 samples: dropped
    at(h, snapshot([a(8, false), guest('b', { cpu: { usagePct: 108 } })]), 8);
    at(h, snapshot([a(9, true), guest('b', { cpu: { usagePct: 109 } })]), 9);
    const w = h.window(3);
    const vals = (g: string, m: string): Array<number | null> => Array.from(w.series(`qemu:${g}`, m) as Float32Array).map((x) => (Number.isNaN(x) ? null : Math.round(x * 1000) / 1000));
    expect(vals('a', 'cpu.usagePct')).toEqual([6, 7, 8, 9]);
    expect(vals('a', 'disks.readIops')).toEqual([60, 70, 80, 90]);
    expect(vals('a', 'disks.limitUsePct')).toEqual([null, 70, null, 90]);
    expect(vals('a', 'state.paused')).toEqual([0, null, 0, null]);
    expect(vals('b', 'cpu.usagePct')).toEqual([null, null, 108, 109]); // a fresh series since its return
    expect(h.query({ guest: 'qemu:b', metric: 'cpu.usagePct', windowSec: 10 }).points.map(([, v]) => v)).toEqual([108, 109]);
  });
});
