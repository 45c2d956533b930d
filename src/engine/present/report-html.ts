// Owns the capacity report as one self-contained HTML file: summary, tables (from report-view) and
// uPlot charts; uPlot's script and stylesheet are inlined (handed in by the caller), so the file
// opens offline and loads nothing. Each chart's container gets data-drawn="1" once uPlot drew it.

import type { CapacityReport } from '../model/report.js';
import { reportSummary, reportTables } from './report-view.js';

export interface ChartAssets {
  /** uPlot's IIFE build (defines the global uPlot) */
  js: string;
  css: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** text that is safe inside a <script> element */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
.chart { margin: 1em 0; }
`;

const DRAW = `
(function () {
  var charts = JSON.parse(document.getElementById('report-charts').textContent);
  var palette = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2','#7f7f7f','#bcbd22','#17becf'];
  charts.forEach(function (c, i) {
    var el = document.getElementById('chart-' + i);
    if (!el || c.x.length < 2 || c.series.length === 0) { if (el) el.textContent = '(too few samples to draw)'; return; }
    var data = [c.x.map(function (t) { return t / 1000; })].concat(c.series.map(function (s) { return s.values; }));
    var series = [{}].concat(c.series.map(function (s, k) { return { label: s.label, stroke: palette[k % palette.length], width: 1.5 }; }));
    var width = Math.max(400, Math.min(1100, document.body.clientWidth - 40));
    new uPlot({ title: c.title + ' (' + c.unit + ')', width: width, height: 260, series: series,
      hooks: { draw: [function () { el.setAttribute('data-drawn', '1'); }] } }, data, el);
  });
})();
`;

export function reportHtml(r: CapacityReport, assets: ChartAssets): string {
  const parts: string[] = [];
  parts.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
  parts.push(`<title>virtune capacity report — ${escapeHtml(r.hostname ?? (r.demo ? 'demo host' : r.file))}</title>`);
  parts.push(`<style>${assets.css}</style><style>${STYLE}</style></head><body>`);
  parts.push(`<h1>virtune capacity report${r.demo ? ' (demo host)' : ''}</h1>`);
  for (const l of reportSummary(r)) parts.push(`<p>${escapeHtml(l)}</p>`);
  parts.push('<h2>Charts</h2>');
  r.charts.forEach((_c, i) => parts.push(`<div class="chart" id="chart-${i}"></div>`));
  for (const t of reportTables(r)) {
    parts.push(`<h2>${escapeHtml(t.title)}</h2><table><thead><tr>`);
    for (const h of t.head) parts.push(`<th>${escapeHtml(h)}</th>`);
    parts.push('</tr></thead><tbody>');
    for (const row of t.rows) parts.push(`<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
    if (t.rows.length === 0) parts.push(`<tr><td colspan="${t.head.length}">(nothing recorded)</td></tr>`);
    parts.push('</tbody></table>');
  }
  parts.push(`<script id="report-charts" type="application/json">${scriptSafe(JSON.stringify(r.charts))}</script>`);
  parts.push(`<script>${scriptSafe(assets.js)}</script>`);
  parts.push(`<script>${DRAW}</script>`);
  parts.push('</body></html>\n');
  return parts.join('');
}
