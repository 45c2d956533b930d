// Owns the capacity report as terminal text: the summary lines, then each table with aligned columns.

import type { CapacityReport } from '../model/report.js';
import { reportSummary, reportTables } from './report-view.js';

export function reportText(r: CapacityReport): string[] {
  const out = reportSummary(r);
  for (const t of reportTables(r)) {
    out.push('', t.title);
    const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((row) => (row[i] ?? '').length)));
    const fmt = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
    out.push(fmt(t.head));
    for (const row of t.rows) out.push(fmt(row));
    if (t.rows.length === 0) out.push('(nothing recorded)');
  }
  return out;
}
