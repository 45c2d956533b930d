// The detail view's chart view-model (engine/present/guest-charts.ts), shared by the TUI and the
// renderer: disks counted once, a p99 line only with QEMU's histograms, per-NIC drops, the limit lines
// in the chart's unit; every metric a spec names is one the engine's History records (so both faces
// fill every chart from EngineApi.history), and history is aligned on one time axis.

import { describe, expect, it } from 'vitest';
import { History } from '../../src/engine/core/history.js';
import type { DiskSnap, GuestSnap } from '../../src/engine/model/snapshot.js';
import { chartData, chartHistory, chartMetrics, guestCharts, type HistorySeries } from '../../src/engine/present/guest-charts.js';
import { disk, guest, snapshot } from './builders.js';

const noLimits = { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null };

function withDevices(g: GuestSnap, disks: DiskSnap[], blockDevices: DiskSnap[]): GuestSnap {
  return { ...g, disks, blockDevices, memory: { ...g.memory, perNodeBytes: { 0: 3 * 2 ** 20, 1: 2 ** 20 } } };
}

describe('guest chart specs', () => {
  it('charts the virtual disks when the guest has them, its cgroup block devices otherwise (each I/O once)', () => {
    const virt = disk('virtio-disk0', 'qmp', 10, 5, 4096, 8192, { limits: { ...noLimits, totalIops: 300, writeBytesPerSec: 2 ** 20 } });
    const dev = disk('dm-0', 'cgroup', 10, 5, 4096, 8192);
    const both = guestCharts(withDevices(guest('a', 50), [virt], [dev]));
    expect(both.filter((c) => c.group === 'disk').map((c) => c.id)).toEqual(['disk:virtio-disk0:iops', 'disk:virtio-disk0:bw', 'disk:virtio-disk0:lat']);
    expect(both.find((c) => c.id === 'disk:virtio-disk0:iops')?.limits).toEqual([{ label: 'total limit', value: 300 }]);
    expect(both.find((c) => c.id === 'disk:virtio-disk0:bw')?.limits).toEqual([{ label: 'write limit', value: 2 ** 20 }]);
    const cgroupOnly = guestCharts(withDevices(guest('b', 50), [], [dev]));
    const iops = cgroupOnly.find((c) => c.id === 'disk:dm-0:iops');
    expect(iops?.series).toEqual([{ label: 'read', metric: 'blockDevices.dm-0.readIops', value: 10 }, { label: 'write', metric: 'blockDevices.dm-0.writeIops', value: 5 }]);
  });

  it('adds p99 lines to the latency chart only when QEMU\'s histograms give percentiles', () => {
    const plain = guestCharts(withDevices(guest('a', 50), [disk('d0', 'qmp', 1, 1, 1, 1, { readLatencyMs: 0.5 })], []));
    const lat = plain.find((c) => c.id === 'disk:d0:lat')!;
    expect(lat.title).toBe('d0: latency (mean)');
    expect(lat.series.map((s) => s.label)).toEqual(['read', 'write', 'flush']);
    expect(lat.series[0]).toEqual({ label: 'read', metric: 'disks.d0.readLatencyMs', value: 0.5 });
    const hist = guestCharts(withDevices(guest('a', 50), [disk('d0', 'qmp', 1, 1, 1, 1, {
      latencyMs: { read: { p50: 0.4, p90: 1, p99: 7 }, write: null, flush: null },
    })], [])).find((c) => c.id === 'disk:d0:lat')!;
    expect(hist.title).toBe('d0: latency (mean, p99)');
    expect(hist.series.slice(3)).toEqual([
      { label: 'read p99', metric: 'disks.d0.latencyMs.read.p99', value: 7 },
      { label: 'write p99', metric: 'disks.d0.latencyMs.write.p99', value: null },
    ]);
  });

  it('draws a NIC\'s shaping as limits in bytes/s and its drops on a chart of their own', () => {
    const g = guest('a', 50);
    const nic = { ...g.nics[0]!, rxDroppedPerSec: 3, txDroppedPerSec: null, shaping: { inKbitPerSec: 800, outKbitPerSec: 8000, active: true } };
    const cs = guestCharts({ ...g, nics: [nic] });
    expect(cs.find((c) => c.id === 'nic:tap-a')?.limits).toEqual([{ label: 'in (rx) limit', value: 100_000 }, { label: 'out (tx) limit', value: 1_000_000 }]);
    expect(cs.find((c) => c.id === 'nic:tap-a:drops')?.series).toEqual([
      { label: 'rx drops', metric: 'nics.tap-a.rxDroppedPerSec', value: 3 }, { label: 'tx drops', metric: 'nics.tap-a.txDroppedPerSec', value: null },
    ]);
  });
});

describe('chart history', () => {
  it('every series of every chart is recorded by the engine\'s History, and reads back on one time axis', () => {
    const h = new History(60, 1);
    const virt = (t: number): DiskSnap => disk('virtio-disk0', 'qmp', 10 + t, 5, 4096 * t, 8192, { readLatencyMs: 0.5, writeLatencyMs: 1, flushLatencyMs: 2 });
    const g = (t: number): GuestSnap => ({ ...withDevices(guest('a', 50 + t, { vcpus: 2 }), [virt(t)], [disk('dm-0', 'cgroup', 10 + t, 5, 4096 * t, 8192)]), memory: { ...guest('a', 0).memory, perNodeBytes: { 0: 2 ** 20 * (t + 1), 1: 2 ** 20 } } });
    for (let t = 0; t < 4; t++) h.record(snapshot([g(t)]), 1_000_000 + t * 1000, 5_000 + t * 1000);
    const specs = guestCharts(g(3));
    const metrics = chartMetrics(specs);
    expect(new Set(metrics).size).toBe(metrics.length);
    const series: HistorySeries[] = metrics.map((metric) => h.query({ guest: 'qemu:a', metric, windowSec: 60 }));
    for (const s of series) expect(s.points.length, s.metric).toBe(4);
    const iops = specs.find((c) => c.id === 'disk:virtio-disk0:iops')!;
    expect(chartHistory(iops, series)).toEqual({ t: [5000, 6000, 7000, 8000], y: [[10, 11, 12, 13], [5, 5, 5, 5]] });
    const mem = specs.find((c) => c.id === 'mem')!;
    expect(chartHistory(mem, series).y[2]).toEqual([2 ** 20, 2 * 2 ** 20, 3 * 2 ** 20, 4 * 2 ** 20]);
    expect(chartHistory(specs.find((c) => c.id === 'nic:tap-a')!, series).y).toEqual([[1000, 1000, 1000, 1000], [2000, 2000, 2000, 2000]]);
  });

  it('aligns series that start later or are missing with nulls, never zeros', () => {
    const spec = guestCharts(guest('a', 50, { vcpus: 1 })).find((c) => c.id === 'cpu')!;
    const h = chartHistory(spec, [
      { metric: 'cpu.usagePct', points: [[2000, 20], [3000, 30]] },
      { metric: 'vcpus.0.usagePct', points: [[1000, 1], [2000, null], [3000, 3]] },
    ]);
    expect(h).toEqual({ t: [1000, 2000, 3000], y: [[null, 20, 30], [1, null, 3]] });
    expect(chartHistory(spec, [])).toEqual({ t: [], y: [[], []] });
    // the TUI's arrays: gaps carried, 0 before the first known value, the newest known value shown
    const d = chartData(spec, h, 3000);
    expect(d.series.map((s) => s.y)).toEqual([[0, 20, 30], [1, 1, 3]]);
    expect(d.series.map((s) => s.last)).toEqual(['30.0%', '3.0%']);
  });

  it('draws more samples than a chart can show as buckets at their newest time with their largest value', () => {
    const spec = guestCharts(guest('a', 50, { vcpus: 1 })).find((c) => c.id === 'cpu')!;
    const t = Array.from({ length: 10 }, (_, i) => 1000 * (i + 1));
    const h = { t, y: [[1, 2, 90, 4, 5, 6, 7, 8, 9, 10], [null, null, null, 1, null, 2, null, null, null, null]] };
    const d = chartData(spec, h, 10_000, 4);
    expect(d.x).toEqual(['-7s', '-4s', '-1s', '0s']); // buckets of 3: samples 1-3, 4-6, 7-9, 10
    expect(d.series[0]!.y).toEqual([90, 6, 9, 10]); // the peak at sample 3 stays
    expect(d.series[1]!.y).toEqual([0, 2, 2, 2]);
    expect(d.series.map((s) => s.last)).toEqual(['10.0%', '2.0%']);
    expect(d.max).toBe(90);
    // within the limit nothing changes
    expect(chartData(spec, h, 10_000, 10).series[0]!.y).toEqual(h.y[0]);
  });
});
