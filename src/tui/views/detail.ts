// Owns the guest detail screen: its layout (layoutDetail, pure) and its widgets. The screen holds the
// title, the guest's current settings, the per-vCPU / disk / NIC / node tables and a grid of
// blessed-contrib line charts (present/guest-charts.ts: per-vCPU CPU and run delay, per-disk IOPS /
// bandwidth / latency, per-NIC traffic and drops, memory per node) drawn from EngineApi.history, each
// with the guest's configured limits drawn as lines. When everything fits (200x60) it is all on one
// screen; otherwise the operator tabs through sections (overview, cpu, disks, network, memory), each
// with its tables and charts (the overview: settings and every table as text), and scrolls a section
// that is still too tall (up/down, page up/down), so every figure is reachable at 80x24. Tables wider than the screen are split into column groups.
// Widgets are created when the visible set or the geometry changes, and only draw what the app hands
// them in show().

import blessed from 'blessed';
import contrib from 'blessed-contrib';
import type { ChartData, ChartSpec } from '../../engine/present/guest-charts.js';
import type { DetailTable, GuestDetailVM } from '../../engine/present/guest-detail.js';
import { esc, type Theme } from '../theme.js';

export interface DetailArea { top: number; left: number; width: number; height: number }

/** smallest chart that still shows a line and its axis; the largest one worth stretching to */
export const CHART_MIN_H = 8;
const CHART_MAX_H = 22;

/** the sections of the paged detail view, in tab order (chart groups of present/guest-charts.ts after the overview) */
export const DETAIL_PAGES: ReadonlyArray<{ id: string; title: string }> = [
  { id: 'overview', title: 'overview' }, { id: 'cpu', title: 'cpu' }, { id: 'disk', title: 'disks' },
  { id: 'net', title: 'network' }, { id: 'mem', title: 'memory' },
];

/** where the operator is in the detail view: the section (page id) and the first item shown */
export interface DetailNav { page: string; scroll: number }

type Item = { kind: 'text'; line: string } | { kind: 'charts'; specs: ChartSpec[] };

export interface ChartBox { spec: ChartSpec; top: number; left: number; width: number; height: number }

export interface DetailLayout {
  /** the sections to tab through; empty when everything fits on one screen */
  pages: Array<{ id: string; title: string }>;
  /** the section shown (null: all on one screen) */
  page: string | null;
  scroll: number;
  maxScroll: number;
  /** how many items (text lines, chart rows) from `scroll` are on screen: a page down moves by this */
  shown: number;
  /** area.height lines of text (blank where charts are) */
  lines: string[];
  charts: ChartBox[];
}

const plain = (s: string): number => s.replace(/\{\/?[a-z-]+\}/g, '').length;

/** One table as text blocks; a table wider than `width` is split into column groups (first column repeated). */
export function tableBlocks(tb: DetailTable, t: Theme, width: number): string[][] {
  if (tb.rows.length === 0) return [];
  const w = tb.header.map((h, i) => Math.max(h.length, ...tb.rows.map((r) => (r[i] ?? '').length)));
  const groups: number[][] = [];
  let cur: number[] = [0];
  let used = w[0] as number;
  for (let i = 1; i < w.length; i++) {
    const need = 2 + (w[i] as number);
    if (used + need > width && cur.length > 1) { groups.push(cur); cur = [0]; used = w[0] as number; }
    cur.push(i);
    used += need;
  }
  groups.push(cur);
  return groups.map((cols, gi) => {
    const fmt = (r: string[]): string => cols.map((i) => (i === 0 ? (r[i] ?? '').padEnd(w[i] as number) : (r[i] ?? '').padStart(w[i] as number))).join('  ');
    const title = groups.length > 1 ? `${tb.title} (${gi + 1}/${groups.length})` : tb.title;
    return [t.bold(esc(title)), t.fg(esc(fmt(tb.header)), 'cyan'), ...tb.rows.map((r) => esc(fmt(r)))];
  });
}

/** Text blocks side by side where they fit in `width`, else stacked. */
function packBlocks(blocks: string[][], width: number): string[] {
  const lines: string[] = [];
  let row: string[][] = [];
  let rowW = 0;
  const flush = (): void => {
    if (row.length === 0) return;
    const h = Math.max(...row.map((b) => b.length));
    const widths = row.map((b) => Math.max(...b.map(plain)));
    for (let i = 0; i < h; i++) lines.push(row.map((b, j) => { const s = b[i] ?? ''; return s + ' '.repeat((widths[j] as number) - plain(s)); }).join('   ').trimEnd());
    row = [];
    rowW = 0;
  };
  for (const b of blocks) {
    const bw = Math.max(...b.map(plain));
    if (row.length > 0 && rowW + 3 + bw > width) flush();
    row.push(b);
    rowW += (row.length > 1 ? 3 : 0) + bw;
  }
  flush();
  return lines;
}

/** The guest's settings packed in columns for a width. */
export function settingsLines(vm: GuestDetailVM, width: number): string[] {
  const items = vm.settings.map(([k, v]) => `${k}: ${v}`);
  if (items.length === 0) return [];
  const colW = Math.min(width, Math.max(...items.map((s) => s.length)) + 2);
  const perLine = Math.max(1, Math.floor(width / colW));
  const out: string[] = [];
  for (let i = 0; i < items.length; i += perLine) out.push(esc(items.slice(i, i + perLine).map((s) => s.padEnd(colW)).join('').trimEnd()));
  return out;
}

/** The detail screen's text lines for a width, all on one screen: title, settings, then the tables. */
export function detailTextLines(t: Theme, vm: GuestDetailVM, width: number): string[] {
  return [t.bold(esc(vm.title)), ...settingsLines(vm, width), ...packBlocks(vm.tables.flatMap((tb) => tableBlocks(tb, t, width)), width)];
}

const columns = (width: number): number => (width >= 150 ? 3 : width >= 60 ? 2 : 1);

function chartItems(specs: readonly ChartSpec[], cols: number): Item[] {
  const out: Item[] = [];
  for (let i = 0; i < specs.length; i += cols) out.push({ kind: 'charts', specs: specs.slice(i, i + cols) });
  return out;
}

const textItems = (lines: string[]): Item[] => lines.map((line) => ({ kind: 'text', line }));

function counts(items: readonly Item[]): { text: number; rows: number } {
  let text = 0;
  let rows = 0;
  for (const it of items) if (it.kind === 'text') text++; else rows++;
  return { text, rows };
}

/** the items of one section of the paged view */
function pageItems(id: string, t: Theme, vm: GuestDetailVM, charts: readonly ChartSpec[], width: number, cols: number): Item[] {
  // the overview: every current figure as text (title, settings, all tables); a section: its tables and charts
  if (id === 'overview') return textItems(detailTextLines(t, vm, width));
  const tables = vm.tables.filter((tb) => tb.section === id).flatMap((tb) => tableBlocks(tb, t, width));
  return [...textItems(packBlocks(tables, width)), ...chartItems(charts.filter((c) => c.group === id), cols)];
}

/**
 * Where everything of the detail view goes in an area: all on one screen when it fits with charts of
 * at least CHART_MIN_H lines, else the section `nav.page` under a tab line, scrolled to `nav.scroll`
 * (clamped; the result says the scroll used and how far it can go).
 */
export function layoutDetail(t: Theme, vm: GuestDetailVM, charts: readonly ChartSpec[], area: DetailArea, nav: DetailNav): DetailLayout {
  const cols = columns(area.width);
  const all = [...textItems(detailTextLines(t, vm, area.width)), ...chartItems(charts, cols)];
  const a = counts(all);
  if (a.text + a.rows * CHART_MIN_H <= area.height) {
    const h = a.rows === 0 ? 0 : Math.min(CHART_MAX_H, Math.floor((area.height - a.text) / a.rows));
    return { pages: [], page: null, scroll: 0, maxScroll: 0, ...place(all, area, 0, h, area.height, 0) };
  }
  const pages = DETAIL_PAGES.filter((p) => p.id === 'overview' || charts.some((c) => c.group === p.id)
    || vm.tables.some((tb) => tb.section === p.id && tb.rows.length > 0));
  const page = pages.find((p) => p.id === nav.page) ?? pages[0] as { id: string; title: string };
  const items = pageItems(page.id, t, vm, charts, area.width, cols);
  const avail = Math.max(1, area.height - 1);
  const c = counts(items);
  const h = c.rows === 0 ? 0
    : c.text + c.rows * CHART_MIN_H <= avail ? Math.min(CHART_MAX_H, Math.floor((avail - c.text) / c.rows))
    : Math.max(3, Math.min(CHART_MIN_H, avail));
  // the furthest scroll that still fills the screen
  let maxScroll = items.length;
  for (let acc = 0; maxScroll > 0;) {
    const it = items[maxScroll - 1] as Item;
    const ih = it.kind === 'text' ? 1 : h;
    if (acc + ih > avail) break;
    acc += ih;
    maxScroll--;
  }
  const scroll = Math.max(0, Math.min(nav.scroll, maxScroll));
  const placed = place(items, area, 1, h, avail, scroll);
  placed.lines[0] = tabLine(t, vm.name, pages, page.id, scroll, maxScroll, area.width);
  return { pages, page: page.id, scroll, maxScroll, ...placed };
}

function place(items: readonly Item[], area: DetailArea, top: number, chartH: number, avail: number, scroll: number): { lines: string[]; charts: ChartBox[]; shown: number } {
  const lines = new Array<string>(area.height).fill('');
  const boxes: ChartBox[] = [];
  let y = 0;
  let shown = 0;
  for (let i = scroll; i < items.length; i++) {
    const it = items[i] as Item;
    const ih = it.kind === 'text' ? 1 : chartH;
    if (y + ih > avail && y > 0) break;
    if (it.kind === 'text') lines[top + y] = it.line;
    else {
      // a row with fewer charts (the last one) shares the whole width among them
      const n = it.specs.length;
      const w = Math.floor(area.width / n);
      it.specs.forEach((spec, col) => boxes.push({
        spec, top: area.top + top + y, left: area.left + col * w,
        width: col === n - 1 ? area.width - col * w : w, height: Math.min(ih, avail - y),
      }));
    }
    y += ih;
    shown++;
  }
  return { lines, charts: boxes, shown };
}

function tabLine(t: Theme, name: string, pages: ReadonlyArray<{ id: string; title: string }>, current: string, scroll: number, maxScroll: number, width: number): string {
  const more = `${scroll > 0 ? '↑' : ' '}${scroll < maxScroll ? '↓' : ' '}`;
  const tabs = pages.map((p) => (p.id === current ? t.inverse(`[${p.title}]`) : ` ${p.title} `)).join('');
  const tabsW = pages.reduce((n, p) => n + p.title.length + 2, 0);
  const hint = `${more} tab: section`;
  const room = width - tabsW - hint.length - 4;
  const who = room >= 4 ? `${esc(name.length > room ? `${name.slice(0, room - 1)}…` : name)}:` : '';
  return `${t.bold(who)}${tabs} ${hint}`;
}

type LineChart = blessed.Widgets.BoxElement & { setData(d: unknown): void };

export class DetailView {
  private readonly text: blessed.Widgets.BoxElement;
  private charts: Array<{ spec: ChartSpec; widget: LineChart }> = [];
  private geometry = '';

  constructor(private readonly screen: blessed.Widgets.Screen, private readonly theme: Theme) {
    this.text = blessed.box({ tags: true, hidden: true, wrap: false });
    screen.append(this.text);
  }

  show(layout: DetailLayout, area: DetailArea, data: ReadonlyMap<string, ChartData>): void {
    Object.assign(this.text.position, { top: area.top, left: area.left, width: area.width, height: Math.max(1, area.height) });
    this.text.setContent(layout.lines.join('\n'));
    this.text.show();
    this.ensureCharts(layout.charts);
    for (const c of this.charts) {
      const d = data.get(c.spec.id);
      const room = Math.max(4, (c.widget.width as number) - 4);
      const cut = (s: string): string => ` ${s.length > room - 2 ? `${s.slice(0, room - 3)}…` : s} `;
      if (!d || d.x.length < 2) { c.widget.setLabel(cut(`${c.spec.title}: collecting history…`)); continue; }
      // the newest values first (they carry their unit), then the limits, then the axis unit
      const last = d.series.map((s) => `${s.label} ${s.last}`).join(', ');
      const limits = d.limits.map((l) => l.label).join(', ');
      const label = (title: string): string => `${title}: ${last}${limits ? ` | ${limits}` : ''} [axis ${d.unitLabel}]`;
      // narrow: the title without its explanations in parentheses, so the values show
      const full = label(c.spec.title);
      c.widget.setLabel(cut(full.length <= room - 2 ? full : label(c.spec.title.replace(/\s*\([^)]*\)/g, ''))));
      const series = d.series.map((s, i) => ({ title: s.label, x: d.x, y: s.y, style: { line: this.theme.chartLine(i) } }));
      for (const l of d.limits) series.push({ title: l.label, x: d.x, y: l.y, style: { line: this.theme.chartLimit } });
      c.widget.setData(series);
    }
  }

  private ensureCharts(boxes: readonly ChartBox[]): void {
    const geometry = boxes.map((b) => `${b.spec.id}@${b.top},${b.left},${b.width},${b.height}`).join(';');
    if (geometry === this.geometry) {
      // same places: take the new specs (limits and values change with every snapshot)
      boxes.forEach((b, i) => { (this.charts[i] as { spec: ChartSpec }).spec = b.spec; });
      return;
    }
    this.destroyCharts();
    this.geometry = geometry;
    const colour = this.theme.color;
    for (const b of boxes) {
      const widget = contrib.line({
        top: b.top, left: b.left, width: b.width, height: b.height,
        label: ` ${b.spec.title} `, showLegend: false, minY: 0, abbreviate: true, numYLabels: b.height >= 12 ? 4 : 3,
        xLabelPadding: 3, xPadding: 5, wholeNumbersOnly: false,
        style: { line: this.theme.chartLine(0), text: colour ? 'white' : 'normal', baseline: colour ? 'white' : 'normal' },
        border: { type: 'line' },
      } as unknown as contrib.Widgets.LineOptions) as unknown as LineChart;
      if (colour) (widget.style as { border?: { fg?: string } }).border = { fg: 'blue' };
      this.screen.append(widget);
      this.charts.push({ spec: b.spec, widget });
    }
  }

  /** ids of the charts on screen (the app fetches history for these only) */
  drawnIds(): string[] {
    return this.charts.map((c) => c.spec.id);
  }

  /** width in columns of each chart on screen, by id */
  drawnWidths(): Map<string, number> {
    return new Map(this.charts.map((c) => [c.spec.id, c.widget.width as number]));
  }

  private destroyCharts(): void {
    for (const c of this.charts) c.widget.destroy();
    this.charts = [];
  }

  hide(): void {
    this.text.hide();
    this.destroyCharts();
    this.geometry = '';
  }
}
