// Owns the comparison view: the marked guests on one chart for one metric (CPU, steal, memory, disk
// IOPS / bandwidth, network), values from present/guest-charts COMPARE_METRICS.

import type { Snapshot } from '../../../engine/model/snapshot.js';
import { COMPARE_METRICS, compareValue, type CompareMetric } from '../../../engine/present/guest-charts.js';
import { LiveChart } from '../chart.js';
import { h } from '../dom.js';

export class CompareView {
  readonly el = h('section', { class: 'compare', id: 'compare' });
  private chart: LiveChart | null = null;
  private metric: CompareMetric = COMPARE_METRICS[0]!;
  private readonly select = h('select', { id: 'compare-metric' });
  private readonly note = h('p', { class: 'muted' });
  private readonly holder = h('div', { class: 'charts' });
  private ids: string[] = [];

  constructor(private readonly marked: Set<string>) {
    for (const m of COMPARE_METRICS) this.select.append(h('option', { value: m.key }, m.title));
    this.select.addEventListener('change', () => {
      this.metric = COMPARE_METRICS.find((m) => m.key === this.select.value) ?? COMPARE_METRICS[0]!;
      this.rebuild([]);
    });
    this.el.append(h('div', { class: 'toolbar' }, h('label', {}, 'Metric ', this.select), this.note), this.holder);
  }

  private rebuild(names: string[]): void {
    this.chart?.destroy();
    this.chart = names.length ? new LiveChart({ title: this.metric.title, unit: this.metric.unit, labels: names, width: Math.max(360, window.innerWidth - 48), height: 320 }) : null;
    if (this.chart) this.holder.append(this.chart.el);
  }

  update(s: Snapshot): void {
    const guests = s.guests.filter((g) => this.marked.has(g.id));
    const ids = guests.map((g) => g.id);
    this.note.textContent = guests.length ? `${guests.length} guests compared (mark more with x in the table)` : 'Mark guests in the table (x or the ⊕ box) to compare them here.';
    if (ids.join('\u0000') !== this.ids.join('\u0000')) { this.ids = ids; this.rebuild(guests.map((g) => g.name)); }
    this.chart?.push(Date.parse(s.timestamp) / 1000, guests.map((g) => compareValue(g, this.metric)), []);
  }

  destroy(): void { this.chart?.destroy(); this.el.remove(); }
}
