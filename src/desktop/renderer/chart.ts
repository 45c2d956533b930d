// Owns the live line chart of the renderer: a uPlot canvas over a fixed time window (ring of the last
// `points` values per series, not a growing array), one y-axis formatted by the present/ unit
// formatter, and configured limits drawn as dashed horizontal lines with their label. seed() puts
// history (EngineApi.history, aligned by present/guest-charts chartHistory) before the live points so
// far; the element says how many points came from history (data-history, set once) and carries the
// number it draws as a property (virtunePoints: no DOM write per frame). A chart whose series set changes (a vCPU or disk appeared) is rebuilt by its owner.

import uPlot from 'uplot';
import { formatUnit, type ChartLimit, type ChartUnit } from '../../engine/present/guest-charts.js';
import { h } from './dom.js';

/** axis text: a mid grey readable on the light and the dark theme (a canvas cannot use CSS variables) */
const AXIS = '#8a93a3';
const PALETTE = ['#2f7ed8', '#e4572e', '#29a36a', '#c9a227', '#8e5bd8', '#e07bb0', '#3fb6c6', '#8a8a8a', '#b5651d', '#4c6ef5'];

export interface LiveChartOptions {
  title: string;
  unit: ChartUnit;
  labels: string[];
  points?: number;
  width?: number;
  height?: number;
}

export class LiveChart {
  readonly el: HTMLElement;
  readonly labels: string[];
  private readonly plot: uPlot;
  private readonly t: Float64Array;
  private readonly ys: Float64Array[];
  private n = 0;
  private limits: ChartLimit[] = [];
  private readonly cap: number;

  constructor(private readonly o: LiveChartOptions) {
    this.labels = o.labels;
    this.cap = o.points ?? 300;
    this.t = new Float64Array(this.cap);
    this.ys = o.labels.map(() => new Float64Array(this.cap));
    this.el = h('div', { class: 'chart', 'data-title': o.title }, h('div', { class: 'chart-title' }, o.title));
    const fmt = (v: number | null): string => formatUnit(o.unit, v);
    const opts: uPlot.Options = {
      width: o.width ?? 520,
      height: o.height ?? 200,
      scales: {
        x: { time: true },
        y: { range: (_u, min, max) => this.yRange(min, max) },
      },
      axes: [
        { stroke: AXIS, grid: { stroke: 'rgba(128,128,128,0.15)' } },
        { stroke: AXIS, size: 80, grid: { stroke: 'rgba(128,128,128,0.15)' }, values: (_u, vals) => vals.map((v) => fmt(v)) },
      ],
      series: [{}, ...o.labels.map((label, i) => ({
        label, stroke: PALETTE[i % PALETTE.length], width: i === 0 ? 2 : 1.25, spanGaps: false,
        value: (_u: uPlot, v: number | null) => fmt(v),
      }))],
      hooks: { draw: [(u: uPlot) => this.drawLimits(u)] },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    this.plot = new uPlot(opts, this.data(), this.el);
  }

  private yRange(min: number | null, max: number | null): uPlot.Range.MinMax {
    let top = Math.max(max ?? 0, ...this.limits.map((l) => l.value));
    if (!(top > 0)) top = 1;
    return [Math.min(0, min ?? 0), top * 1.1];
  }

  private drawLimits(u: uPlot): void {
    if (this.limits.length === 0) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.strokeStyle = '#d0342c';
    ctx.fillStyle = '#d0342c';
    ctx.font = `${11 * devicePixelRatio}px sans-serif`;
    for (const l of this.limits) {
      const y = Math.round(u.valToPos(l.value, 'y', true));
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
      ctx.fillText(`${l.label} ${formatUnit(this.o.unit, l.value)}`, u.bbox.left + 4, y - 4);
    }
    ctx.restore();
  }

  /** uPlot data in time order: the ring unrolled (views over copies, null for unknown) */
  private data(): uPlot.AlignedData {
    const n = this.n;
    const len = Math.min(n, this.cap);
    const start = n > this.cap ? n % this.cap : 0;
    const xs = new Array<number>(len);
    const cols = this.ys.map(() => new Array<number | null>(len));
    for (let i = 0; i < len; i++) {
      const j = (start + i) % this.cap;
      xs[i] = this.t[j] as number;
      for (let k = 0; k < this.ys.length; k++) {
        const v = (this.ys[k] as Float64Array)[j] as number;
        (cols[k] as Array<number | null>)[i] = Number.isNaN(v) ? null : v;
      }
    }
    return [xs, ...cols] as uPlot.AlignedData;
  }

  /**
   * History before the live points: ts (seconds since the epoch, ascending) and one column per series.
   * Points not older than the first live point are left out (the live ones are newer or the same).
   */
  seed(ts: readonly number[], cols: ReadonlyArray<ReadonlyArray<number | null>>): void {
    const [liveT, ...liveYs] = this.data() as [number[], ...Array<Array<number | null>>];
    const firstLive = liveT.length > 0 ? (liveT[0] as number) : Infinity;
    this.n = 0;
    let used = 0;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i] as number;
      if (!(t < firstLive)) break;
      this.write(t, cols.map((c) => c[i] ?? null));
      used++;
    }
    for (let i = 0; i < liveT.length; i++) this.write(liveT[i] as number, liveYs.map((c) => c[i] ?? null));
    this.el.dataset.history = String(used);
    this.redraw();
  }

  private write(tSec: number, values: ReadonlyArray<number | null>): void {
    const j = this.n % this.cap;
    this.t[j] = tSec;
    for (let k = 0; k < this.ys.length; k++) (this.ys[k] as Float64Array)[j] = values[k] ?? NaN;
    this.n++;
  }

  /** append one point per series (seconds since the epoch); null = unknown (a gap, never 0) */
  push(tSec: number, values: ReadonlyArray<number | null>, limits: ChartLimit[] = this.limits, redraw = true): void {
    this.write(tSec, values);
    this.limits = limits;
    if (redraw) this.redraw();
  }

  redraw(): void {
    this.plot.setData(this.data());
    (this.el as HTMLElement & { virtunePoints?: number }).virtunePoints = Math.min(this.n, this.cap);
  }

  resize(width: number): void { this.plot.setSize({ width, height: this.o.height ?? 200 }); }

  destroy(): void { this.plot.destroy(); this.el.remove(); }
}
