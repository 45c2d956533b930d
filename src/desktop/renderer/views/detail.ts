// Owns the guest detail view: a header with the guest's state and limits, and one live chart per
// chart spec of present/guest-charts (per-vCPU CPU and run delay, per-disk IOPS / bandwidth /
// latency, per NIC, memory per node) with the configured limits drawn. A chart whose series set
// changes is rebuilt. The CPU chart is seeded from the engine's history when the view opens.

import type { GuestSnap, Snapshot } from '../../../engine/model/snapshot.js';
import type { EngineApi } from '../../../engine/protocol/api.js';
import { guestCharts, type ChartSpec } from '../../../engine/present/guest-charts.js';
import { guestDetail } from '../../../engine/present/guest-detail.js';
import { limitBadges } from '../../../engine/present/limit-badges.js';
import { LiveChart } from '../chart.js';
import { clear, h, setText } from '../dom.js';

export interface DetailEvents { tune(id: string): void; advise(id: string): void; back(): void; mark(id: string): void }

export class DetailView {
  readonly el = h('section', { class: 'detail', id: 'detail' });
  private readonly head = h('div', { class: 'detail-head' });
  private readonly title = h('h2');
  private readonly facts = h('div', { class: 'facts' });
  private readonly grid = h('div', { class: 'charts' });
  private readonly charts = new Map<string, LiveChart>();
  private missing = false;

  constructor(readonly guestId: string, private readonly ev: DetailEvents, readOnly: boolean) {
    const tune = h('button', { class: 'primary', id: 'tune-button', onclick: () => ev.tune(guestId) }, 'Tune… (t)');
    if (readOnly) { tune.setAttribute('disabled', ''); tune.title = 'read-only engine: start with --write or attach to virtune serve'; }
    this.head.append(h('button', { onclick: () => ev.back() }, '← Guests (Esc)'), this.title, tune,
      h('button', { onclick: () => ev.advise(guestId) }, 'Advice (a)'),
      h('button', { onclick: () => ev.mark(guestId) }, 'Mark for compare (x)'));
    this.el.append(this.head, this.facts, this.grid);
  }

  /** seed the CPU chart's series from history (guest total and each vCPU) */
  async seed(engine: EngineApi, g: GuestSnap): Promise<void> {
    const metrics = ['cpu.usagePct', ...g.vcpus.map((v) => `vcpus.${v.index}.usagePct`)];
    try {
      const series = await Promise.all(metrics.map((metric) => engine.history({ guest: g.id, metric, windowSec: 300 })));
      const chart = this.charts.get('cpu');
      const first = series[0];
      if (!chart || !first || chart.labels.length !== metrics.length) return;
      const byT = series.map((s) => new Map(s.points));
      const cutoff = Date.now() - 2000;
      for (const [t] of first.points) {
        if (t > cutoff) continue;
        chart.push(t / 1000, byT.map((m) => m.get(t) ?? null), undefined, false);
      }
      chart.redraw();
    } catch { /* history is a convenience: the live chart goes on without it */ }
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
    for (const spec of specs) {
      keep.add(spec.id);
      const chart = this.chartFor(spec);
      chart.push(t, spec.series.map((x) => x.value), spec.limits);
    }
    for (const [id, c] of this.charts) if (!keep.has(id)) { c.destroy(); this.charts.delete(id); }
    return g;
  }

  private chartFor(spec: ChartSpec): LiveChart {
    const labels = spec.series.map((x) => x.label);
    let c = this.charts.get(spec.id);
    if (c && c.labels.join('\u0000') === labels.join('\u0000')) return c;
    const at = c?.el ?? null;
    c?.destroy();
    c = new LiveChart({ title: spec.title, unit: spec.unit, labels, width: chartWidth() });
    c.el.dataset.chart = spec.id;
    this.grid.insertBefore(c.el, at && at.parentNode === this.grid ? at : null);
    this.charts.set(spec.id, c);
    return c;
  }

  destroy(): void { for (const c of this.charts.values()) c.destroy(); this.charts.clear(); this.el.remove(); }
}

export function chartWidth(): number {
  const w = Math.max(360, Math.min(window.innerWidth - 48, 1800));
  return w > 1100 ? Math.floor((w - 48) / 2) : w - 16;
}
