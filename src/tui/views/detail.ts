// Owns the guest detail screen: a text part (title, current settings, per-vCPU / disk / NIC / node
// tables) over a grid of blessed-contrib line charts drawn from EngineApi.history, each chart with the
// guest's configured limit (quota, memory max, shaping) drawn as a line. Widgets are created when the
// screen opens or is resized, and only draw what the app hands them in draw().

import blessed from 'blessed';
import contrib from 'blessed-contrib';
import type { ChartData, ChartSpec, GuestDetailVM } from '../../engine/present/guest-detail.js';
import { esc, type Theme } from '../theme.js';

export interface DetailArea { top: number; left: number; width: number; height: number }

const CHART_MIN_H = 8;

type LineChart = blessed.Widgets.BoxElement & { setData(d: unknown): void };

function tableText(title: string, header: string[], rows: string[][], t: Theme): string[] {
  if (rows.length === 0) return [];
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join('  ');
  return [t.bold(esc(title)), t.fg(esc(fmt(header)), 'cyan'), ...rows.map((r) => esc(fmt(r)))];
}

/** The detail screen's text lines for a width: title, settings packed in columns, then the tables. */
export function detailTextLines(t: Theme, vm: GuestDetailVM, width: number): string[] {
  const lines = [t.bold(esc(vm.title))];
  const items = vm.settings.map(([k, v]) => `${k}: ${v}`);
  const colW = Math.min(width, Math.max(...items.map((s) => s.length)) + 2);
  const perLine = Math.max(1, Math.floor(width / colW));
  for (let i = 0; i < items.length; i += perLine) lines.push(esc(items.slice(i, i + perLine).map((s) => s.padEnd(colW)).join('').trimEnd()));
  // tables side by side when they fit, else stacked
  const blocks = vm.tables.map((tb) => tableText(tb.title, tb.header, tb.rows, t)).filter((b) => b.length > 0);
  const plain = (s: string): number => s.replace(/\{\/?[a-z-]+\}/g, '').length;
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

export class DetailView {
  private readonly text: blessed.Widgets.BoxElement;
  private charts: Array<{ spec: ChartSpec; widget: LineChart }> = [];
  private chartIds: string[] = [];

  constructor(private readonly screen: blessed.Widgets.Screen, private readonly theme: Theme) {
    this.text = blessed.box({ tags: true, hidden: true, wrap: false });
    screen.append(this.text);
  }

  /** Which charts fit the area (the app fetches history for exactly these). */
  chartsFor(vm: GuestDetailVM, area: DetailArea, textHeight: number): ChartSpec[] {
    const chartH = area.height - textHeight;
    const cols = area.width >= 150 ? 3 : 2;
    const rows = Math.max(0, Math.floor(chartH / CHART_MIN_H));
    return vm.charts.slice(0, Math.min(vm.charts.length, rows * cols));
  }

  show(vm: GuestDetailVM, area: DetailArea, data: ReadonlyMap<string, ChartData>): void {
    const lines = detailTextLines(this.theme, vm, area.width);
    const specs0 = this.chartsFor(vm, area, Math.min(lines.length, area.height - CHART_MIN_H));
    const textH = specs0.length > 0 ? Math.min(lines.length, area.height - CHART_MIN_H) : area.height;
    const specs = this.chartsFor(vm, area, textH);
    Object.assign(this.text.position, { top: area.top, left: area.left, width: area.width, height: Math.max(1, textH) });
    this.text.setContent(lines.slice(0, textH).join('\n'));
    this.text.show();
    this.ensureCharts(specs, area, textH);
    for (const c of this.charts) {
      const d = data.get(c.spec.id);
      if (!d || d.x.length < 2) { c.widget.setLabel(` ${c.spec.title}: collecting history… `); continue; }
      const last = d.series.map((s) => `${s.label} ${s.last}`).join(', ');
      c.widget.setLabel(` ${c.spec.title}${c.spec.unit === 'pct' ? '' : ` (${d.unitLabel})`}: ${last}${c.spec.limitLabel ? ` | ${c.spec.limitLabel}` : ''} `);
      const series = d.series.map((s, i) => ({ title: s.label, x: d.x, y: s.y, style: { line: this.theme.chartLine(i) } }));
      if (d.limit.length) series.push({ title: c.spec.limitLabel ?? 'limit', x: d.x, y: d.limit, style: { line: this.theme.chartLimit } });
      c.widget.setData(series);
    }
  }

  private ensureCharts(specs: ChartSpec[], area: DetailArea, textH: number): void {
    const ids = specs.map((s) => s.id);
    const geometry = `${area.top},${area.left},${area.width},${area.height},${textH}`;
    if (ids.join() === this.chartIds.join() && geometry === this.geometry) return;
    this.destroyCharts();
    this.chartIds = ids;
    this.geometry = geometry;
    if (specs.length === 0) return;
    const cols = area.width >= 150 ? 3 : 2;
    const rows = Math.ceil(specs.length / cols);
    const h = Math.floor((area.height - textH) / rows);
    const w = Math.floor(area.width / cols);
    specs.forEach((spec, i) => {
      const r = Math.floor(i / cols);
      const col = i % cols;
      const colour = this.theme.color;
      const widget = contrib.line({
        top: area.top + textH + r * h, left: area.left + col * w, width: col === cols - 1 ? area.width - col * w : w, height: h,
        label: ` ${spec.title} `, showLegend: false, minY: 0, abbreviate: true, numYLabels: 3,
        xLabelPadding: 3, xPadding: 5, wholeNumbersOnly: false,
        style: { line: this.theme.chartLine(0), text: colour ? 'white' : 'normal', baseline: colour ? 'white' : 'normal' },
        border: { type: 'line' }, ...(colour ? {} : { }),
      } as unknown as contrib.Widgets.LineOptions) as unknown as LineChart;
      if (colour) (widget.style as { border?: { fg?: string } }).border = { fg: 'blue' };
      this.screen.append(widget);
      this.charts.push({ spec, widget });
    });
  }

  private geometry = '';

  /** ids of the charts on screen (the app fetches history for these only) */
  drawnIds(): string[] {
    return [...this.chartIds];
  }

  private destroyCharts(): void {
    for (const c of this.charts) c.widget.destroy();
    this.charts = [];
    this.chartIds = [];
  }

  hide(): void {
    this.text.hide();
    this.destroyCharts();
    this.geometry = '';
  }
}
