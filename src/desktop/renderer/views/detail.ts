// Owns the guest detail view: a header with the guest's state and limits, and one live chart per
// chart spec of present/guest-charts (per-vCPU CPU and run delay, per-disk IOPS / bandwidth /
// latency, per-NIC traffic and drops, memory per node — the TUI's charts) with the configured limits
// drawn. Every chart is filled from the engine's history (EngineApi.history) as soon as it is built —
// when the guest opens, or when a chart appears later (a disk hot-plugged) — and then appended live
// with each snapshot. A chart whose series set changes is rebuilt (and filled again).

import type { GuestSnap, Snapshot } from '../../../engine/model/snapshot.js';
import type { EngineApi, HistorySeries } from '../../../engine/protocol/api.js';
import { chartHistory, chartMetrics, guestCharts, type ChartSpec } from '../../../engine/present/guest-charts.js';
import { guestDetail } from '../../../engine/present/guest-detail.js';
import { limitBadges } from '../../../engine/present/limit-badges.js';
import { LiveChart } from '../chart.js';
import { clear, h, setText } from '../dom.js';

export interface DetailEvents { tune(id: string): void; advise(id: string): void; back(): void; mark(id: string): void }

/** how far back a chart is filled from history when it is built (its ring keeps the last 300 points) */
const HISTORY_SEC = 300;

export class DetailView {
  readonly el = h('section', { class: 'detail', id: 'detail' });
  private readonly head = h('div', { class: 'detail-head' });
  private readonly title = h('h2');
  private readonly facts = h('div', { class: 'facts' });
  private readonly grid = h('div', { class: 'charts' });
  private readonly charts = new Map<string, LiveChart>();
  private missing = false;

  constructor(readonly guestId: string, private readonly ev: DetailEvents, readOnly: boolean, private readonly engine: () => EngineApi | null) {
    const tune = h('button', { class: 'primary', id: 'tune-button', onclick: () => ev.tune(guestId) }, 'Tune… (t)');
    if (readOnly) { tune.setAttribute('disabled', ''); tune.title = 'read-only engine: start with --write or attach to virtune serve'; }
    this.head.append(h('button', { onclick: () => ev.back() }, '← Guests (Esc)'), this.title, tune,
      h('button', { onclick: () => ev.advise(guestId) }, 'Advice (a)'),
      h('button', { onclick: () => ev.mark(guestId) }, 'Mark for compare (x)'));
    this.el.append(this.head, this.facts, this.grid);
  }

  /** fill the charts just built from history: every series of each, asked once per metric */
  private async seed(guest: string, built: ReadonlyArray<{ spec: ChartSpec; chart: LiveChart }>): Promise<void> {
    const e = this.engine();
    if (!e) return;
    const series = await Promise.all(chartMetrics(built.map((b) => b.spec)).map(async (metric): Promise<HistorySeries> => {
      try {
        return await e.history({ guest, metric, windowSec: HISTORY_SEC });
      } catch {
        return { guest, metric, points: [] }; // not recorded (yet): the live line goes on alone
      }
    }));
    for (const { spec, chart } of built) {
      if (this.charts.get(spec.id) !== chart) continue; // rebuilt or gone meanwhile
      const hist = chartHistory(spec, series);
      chart.seed(hist.t.map((t) => t / 1000), hist.y);
    }
  }

  get guestMissing(): boolean { return this.missing; }

  update(s: Snapshot): GuestSnap | null {
    const g = s.guests.find((x) => x.id === this.guestId) ?? null;
    this.missing = g === null;
    if (!g) { setText(this.title, `${this.guestId} — gone`); return null; }
    const vm = guestDetail(g);
    setText(this.title, vm.title);
    const badges = limitBadges(g);
    clear(this.facts);
    this.facts.append(
      ...vm.settings.map(([k, v]) => h('span', {}, `${k}: ${v}`)),
      ...(badges.length ? badges.map((l) => h('span', { class: 'badge' }, l)) : [h('span', { class: 'muted' }, 'no limits')]));
    const t = Date.parse(s.timestamp) / 1000;
    const specs = guestCharts(g);
    const keep = new Set<string>();
    const built: Array<{ spec: ChartSpec; chart: LiveChart }> = [];
    for (const spec of specs) {
      keep.add(spec.id);
      const { chart, fresh } = this.chartFor(spec);
      chart.push(t, spec.series.map((x) => x.value), spec.limits);
      if (fresh) built.push({ spec, chart });
    }
    for (const [id, c] of this.charts) if (!keep.has(id)) { c.destroy(); this.charts.delete(id); }
    if (built.length > 0) void this.seed(g.id, built);
    return g;
  }

  private chartFor(spec: ChartSpec): { chart: LiveChart; fresh: boolean } {
    const labels = spec.series.map((x) => x.label);
    let c = this.charts.get(spec.id);
    if (c && c.labels.join('\u0000') === labels.join('\u0000')) return { chart: c, fresh: false };
    const old = c;
    c = new LiveChart({ title: spec.title, unit: spec.unit, labels, width: chartWidth() });
    c.el.dataset.chart = spec.id;
    c.el.dataset.group = spec.group;
    // a rebuilt chart keeps its place
    this.grid.insertBefore(c.el, old && old.el.parentNode === this.grid ? old.el : null);
    old?.destroy();
    this.charts.set(spec.id, c);
    return { chart: c, fresh: true };
  }

  destroy(): void { for (const c of this.charts.values()) c.destroy(); this.charts.clear(); this.el.remove(); }
}

export function chartWidth(): number {
  const w = Math.max(360, Math.min(window.innerWidth - 48, 1800));
  return w > 1100 ? Math.floor((w - 48) / 2) : w - 16;
}
