// The TUI detail view's layout (src/tui/views/detail.ts layoutDetail), without a terminal: everything
// on one screen when it fits (200x60), else sections under a tab line; at 80x24 every chart and every
// table row of every section is reachable by tabbing and scrolling, nothing is drawn past the area or
// wider than the screen; a table wider than the screen is split into column groups; the section and
// scroll transitions.

import { describe, expect, it } from 'vitest';
import type { DiskSnap, GuestSnap } from '../../src/engine/model/snapshot.js';
import { guestCharts } from '../../src/engine/present/guest-charts.js';
import { guestDetail } from '../../src/engine/present/guest-detail.js';
import { initialState, scrollSection, stepSection, type UiState } from '../../src/tui/state.js';
import { makeTheme } from '../../src/tui/theme.js';
import { CHART_MIN_H, layoutDetail, tableBlocks, type DetailArea, type DetailLayout } from '../../src/tui/views/detail.js';
import { disk, guest } from '../present/builders.js';

const theme = makeTheme({ NO_COLOR: '1' });
const plain = (s: string): string => s.replace(/\{\/?[a-z-]+\}/g, '');

function busyGuest(): GuestSnap {
  const g = guest('web-01', 220, { vcpus: 4 });
  const d = (name: string, src: DiskSnap['source']): DiskSnap => disk(name, src, 40, 25, 160_000, 400_000, { readLatencyMs: 0.15, writeLatencyMs: 0.32 });
  return {
    ...g, disks: [d('virtio-disk0', 'qmp'), d('virtio-disk1', 'qmp')], blockDevices: [d('dm-0', 'cgroup'), d('dm-1', 'cgroup')],
    memory: { ...g.memory, perNodeBytes: { 0: 2 * 2 ** 30, 1: 300 * 2 ** 20 } },
  };
}

function check(l: DetailLayout, area: DetailArea): void {
  expect(l.lines).toHaveLength(area.height);
  for (const line of l.lines) expect(plain(line).length).toBeLessThanOrEqual(area.width);
  for (const c of l.charts) {
    expect(c.top).toBeGreaterThanOrEqual(area.top);
    expect(c.top + c.height).toBeLessThanOrEqual(area.top + area.height);
    expect(c.left + c.width).toBeLessThanOrEqual(area.left + area.width);
    // no text under a chart
    for (let y = c.top; y < c.top + c.height; y++) expect(l.lines[y - area.top]).toBe('');
  }
}

describe('TUI detail layout', () => {
  const g = busyGuest();
  const vm = guestDetail(g);
  const specs = guestCharts(g);

  it('puts everything on one screen at 200x60: settings, every table and every chart', () => {
    const area = { top: 5, left: 0, width: 200, height: 54 };
    const l = layoutDetail(theme, vm, specs, area, { page: 'overview', scroll: 0 });
    check(l, area);
    expect(l.pages).toEqual([]);
    expect(l.page).toBeNull();
    expect(l.charts.map((c) => c.spec.id)).toEqual(specs.map((s) => s.id));
    for (const c of l.charts) expect(c.height).toBeGreaterThanOrEqual(CHART_MIN_H);
    const text = l.lines.map(plain).join('\n');
    for (const want of ['cpu quota: none', 'virtio-disk1', '(dm-1)', 'tap-web-01', 'resident']) expect(text).toContain(want);
  });

  it('pages through sections at 80x24 and every chart and table row is reachable by tab and scroll', () => {
    const area = { top: 7, left: 0, width: 80, height: 16 };
    // a guest opens on its CPU charts; start the round at the overview
    expect(initialState().detailPage).toBe('cpu');
    let st: UiState = { ...initialState(), view: 'detail', detailPage: 'overview' };
    const first = layoutDetail(theme, vm, specs, area, { page: st.detailPage, scroll: st.detailScroll });
    expect(first.pages.map((p) => p.id)).toEqual(['overview', 'cpu', 'disk', 'net', 'mem']);
    expect(plain(first.lines[0]!)).toMatch(/^web-01:\[overview\] cpu +disks +network +memory/);
    const seenCharts = new Set<string>();
    const seenText = new Set<string>();
    for (let p = 0; p < first.pages.length; p++) {
      for (;;) {
        const l = layoutDetail(theme, vm, specs, area, { page: st.detailPage, scroll: st.detailScroll });
        check(l, area);
        expect(l.page).toBe(first.pages[p]!.id);
        for (const c of l.charts) { seenCharts.add(c.spec.id); expect(c.spec.group).toBe(l.page); }
        for (const line of l.lines.slice(1)) seenText.add(plain(line).trim());
        if (st.detailScroll >= l.maxScroll) break;
        st = scrollSection(st, 1, l.maxScroll);
      }
      st = stepSection(st, first.pages.map((x) => x.id), 1);
      expect(st.detailScroll).toBe(0);
    }
    expect(st.detailPage).toBe('overview'); // wrapped around
    expect([...seenCharts].sort()).toEqual(specs.map((s) => s.id).sort());
    const text = [...seenText].join('\n');
    // every row of every table, and every setting
    for (const t of vm.tables) for (const r of t.rows) expect(text).toContain(r[0]!);
    for (const [k] of vm.settings) expect(text).toContain(`${k}:`);
    expect(text).toMatch(/w lat/);
  });

  it('clamps the scroll and shows where more is', () => {
    const area = { top: 0, left: 0, width: 80, height: 16 };
    const l = layoutDetail(theme, vm, specs, area, { page: 'disk', scroll: 999 });
    expect(l.maxScroll).toBeGreaterThan(0);
    expect(l.scroll).toBe(l.maxScroll);
    expect(plain(l.lines[0]!)).toContain('↑');
    const top = layoutDetail(theme, vm, specs, area, { page: 'disk', scroll: 0 });
    expect(plain(top.lines[0]!)).toContain('↓');
    expect(plain(top.lines[0]!)).toContain('[disks]');
    // an unknown section falls back to the first one
    expect(layoutDetail(theme, vm, specs, area, { page: 'nope', scroll: 0 }).page).toBe('overview');
  });

  it('splits a table wider than the screen into column groups, the first column repeated', () => {
    const t = vm.tables.find((x) => x.section === 'disk')!;
    const blocks = tableBlocks(t, theme, 40);
    expect(blocks.length).toBeGreaterThan(1);
    for (const b of blocks) {
      for (const line of b) expect(plain(line).length).toBeLessThanOrEqual(40);
      expect(plain(b[2]!)).toMatch(/^virtio-disk0/);
    }
    expect(blocks.map((b) => plain(b[1]!)).join(' ')).toMatch(/r iops.*w lat/);
    expect(tableBlocks(t, theme, 200)).toHaveLength(1);
  });
});
