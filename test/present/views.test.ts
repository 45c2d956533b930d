// Host header, guest detail, plan preview, key map and tuning form view-models.

import { describe, expect, it } from 'vitest';
import { chartData, chartHistory, guestCharts } from '../../src/engine/present/guest-charts.js';
import { guestDetail } from '../../src/engine/present/guest-detail.js';
import { hostHeader } from '../../src/engine/present/host-header.js';
import { actionFor, BASE_KEYMAP, extendKeyMap, helpLines } from '../../src/engine/present/keymap.js';
import { planPreviewLines } from '../../src/engine/present/plan-preview.js';
import { knobRequest, revertCountdown, TUNING_KNOBS } from '../../src/engine/present/tuning-form.js';
import type { Plan } from '../../src/engine/model/tuning.js';
import { guest, snapshot } from './builders.js';

const status = { demo: true, readOnly: true, startedAt: '2026-11-25T17:00:00.000Z', lastSampleCostUsec: 2500, lastDeriveCostUsec: null };

describe('host header', () => {
  it('shows identity, badges, node bars, hugepages and unknown cost as -', () => {
    const h = hostHeader(snapshot([guest('a', 1)]), status, { connectedTo: 'unix:/run/v.sock', paused: true });
    expect(h.title).toContain('kvm-07');
    expect(h.title).toContain('cgroup v1');
    expect(h.badges).toEqual(['DEMO', 'READ-ONLY', 'connected to unix:/run/v.sock', 'PAUSED']);
    expect(h.nodes[0]?.mem.frac).toBeCloseTo(0.75);
    expect(h.nodes[0]?.cpu.frac).toBeCloseTo(0.25);
    expect(h.hugepages).toEqual(['HP 2M 128/512 free']);
    expect(h.cost).toBe('sample 2.5 ms derive -');
    expect(h.ksm).toBe('KSM -');
  });
  it('shows REPLAY when the status says replay', () => {
    expect(hostHeader(snapshot([]), { ...status, replay: { file: 'x' } }).badges).toContain('REPLAY');
  });
});

describe('guest detail', () => {
  it('draws the CPU quota as the chart limit and lists settings', () => {
    const g = guest('w', 80, { cpu: { quotaUsec: 50000, periodUsec: 100000 } });
    const d = guestDetail(g);
    const cpu = guestCharts(g).find((c) => c.id === 'cpu');
    expect(cpu?.limits).toEqual([{ label: 'quota', value: 50 }]);
    expect(d.settings).toContainEqual(['cpu quota', '50% (50000 of 100000 µs)']);
    expect(d.settings).toContainEqual(['cpu.shares', '1024']);
    expect(d.tables.map((t) => t.section)).toEqual(['cpu', 'disk', 'net', 'mem']);
  });
  it('aligns history into chart arrays, carrying unknown points and showing the last known value', () => {
    const spec = guestCharts(guest('w', 80, { cpu: { quotaUsec: 50000 }, vcpus: 1 })).find((c) => c.id === 'rundelay')!;
    const data = chartData(spec, chartHistory(spec, [
      { metric: 'cpu.stealPct', points: [[1000, 10], [2000, null], [3000, 30]] },
      { metric: 'cpu.throttledPct', points: [[1000, null], [2000, null], [3000, null]] },
    ]), 3000);
    expect(data.x).toEqual(['-2s', '-1s', '0s']);
    expect(data.series[0]?.y).toEqual([10, 10, 30]);
    expect(data.series[0]?.last).toBe('30.0%');
    expect(data.series[1]?.last).toBe('-');
    // a series without history (vCPU 0 delay here) is unknown, drawn flat at 0 and shown as '-'
    expect(data.series[2]?.last).toBe('-');
    expect(data.limits).toEqual([]);
    expect(data.max).toBe(30);
    expect(data.unitLabel).toBe('%');
    const cpu = guestCharts(guest('w', 80, { cpu: { quotaUsec: 50000 } })).find((c) => c.id === 'cpu')!;
    expect(chartData(cpu, chartHistory(cpu, [{ metric: 'cpu.usagePct', points: [[1000, 10], [2000, 20]] }]), 2000).limits)
      .toEqual([{ label: 'quota 50.0%', y: [50, 50] }]);
  });
  it('scales byte charts so the axis reads in KiB, MiB or GiB', () => {
    const spec = guestCharts(guest('w', 80, { memory: { maxBytes: 4 * 2 ** 30 } })).find((c) => c.id === 'mem')!;
    const data = chartData(spec, chartHistory(spec, [{ metric: 'memory.rssBytes', points: [[1000, 2 ** 30], [2000, 2 * 2 ** 30]] }]), 2000);
    expect(data.unitLabel).toBe('GiB');
    expect(data.series[0]?.y).toEqual([1, 2]);
    expect(data.limits).toEqual([{ label: 'memory max 4.00 GiB', y: [4, 4] }]);
    expect(data.series[0]?.last).toBe('2.00 GiB');
  });
});

describe('plan preview', () => {
  it('lists each step with old and new values', () => {
    const plan: Plan = { guest: 'qemu:w', applied: false, changeId: null, warnings: ['scales differ'],
      steps: [{ kind: 'cgroup-write', path: '/sys/fs/cgroup/cpu/machine.slice/w.scope/cpu.cfs_quota_us', from: '-1', to: '50000' }] };
    expect(planPreviewLines(plan)).toEqual([
      'plan for qemu:w: 1 step',
      '  1. cgroup-write /sys/fs/cgroup/cpu/machine.slice/w.scope/cpu.cfs_quota_us: -1 -> 50000',
      '  warning: scales differ',
    ]);
  });
});

describe('key map', () => {
  it('context keys win over global ones; help lists every binding', () => {
    expect(actionFor(BASE_KEYMAP, 'table', 'enter')).toBe('open');
    expect(actionFor(BASE_KEYMAP, 'tuning', 'enter')).toBe('edit');
    expect(actionFor(BASE_KEYMAP, 'detail', 'q')).toBe('quit');
    expect(actionFor(BASE_KEYMAP, 'detail', 'z')).toBeNull();
    const help = helpLines(BASE_KEYMAP).join('\n');
    for (const b of BASE_KEYMAP) expect(help).toContain(b.help);
    expect(help).toContain('Ctrl-C');
  });
  it('S sorts by who suffers most; no key in the guest table means two things', () => {
    expect(actionFor(BASE_KEYMAP, 'table', 'S')).toBe('sortSuffer');
    const seen = new Map<string, string>();
    for (const b of BASE_KEYMAP.filter((x) => x.context === 'table' || x.context === 'global')) {
      for (const k of b.keys) {
        expect(seen.get(k) ?? b.action, `key ${k}`).toBe(b.action);
        seen.set(k, b.action);
      }
    }
  });
  it('a panel extends the map without touching the base', () => {
    const m = extendKeyMap(BASE_KEYMAP, [{ action: 'why', keys: ['W'], context: 'table', help: 'why is this guest slow' }]);
    expect(actionFor(m, 'table', 'W')).toBe('why');
    expect(actionFor(BASE_KEYMAP, 'table', 'W')).toBeNull();
  });
});

describe('tuning form', () => {
  const quota = TUNING_KNOBS.find((k) => k.id === 'cpuQuota')!;
  it('validates with the same parser as virtune tune', () => {
    const ok = knobRequest(quota, '50%', 'qemu:w');
    expect(ok).toEqual({ ok: true, request: expect.objectContaining({ guest: 'qemu:w', changes: [{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }], revertAfterSec: null }) });
    const bad = knobRequest(quota, 'lots', 'qemu:w');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/--cpu-quota: 'lots' is not a quota/);
    const io = TUNING_KNOBS.find((k) => k.id === 'io')!;
    expect(knobRequest(io, 'vda:riops=0', 'qemu:w').ok).toBe(false);
    expect(knobRequest(quota, '50%', 'qemu:w', '0').ok).toBe(false);
    expect(knobRequest(quota, '50%', 'qemu:w', '30')).toMatchObject({ ok: true, request: { revertAfterSec: 30 } });
  });
  it('shows the current value and a countdown', () => {
    expect(quota.current(guest('w', 1, { cpu: { quotaUsec: 150000, periodUsec: 100000 } }))).toBe('150%');
    expect(quota.current(guest('w', 1))).toBe('max');
    expect(revertCountdown('2026-01-01T00:01:05.000Z', Date.parse('2026-01-01T00:00:00.000Z'))).toBe('1:05');
    expect(revertCountdown('2026-01-01T00:00:00.000Z', Date.parse('2026-01-01T00:00:01.000Z'))).toBeNull();
    expect(revertCountdown(null, 0)).toBeNull();
  });
});
