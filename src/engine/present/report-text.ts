// Owns the capacity report as terminal text: the summary lines, then each table with aligned columns.

import type { CapacityReport } from '../model/report.js';
import { alignColumns } from './format.js';
import { reportSummary, reportTables } from './report-view.js';

export function reportText(r: CapacityReport): string[] {
  const out = reportSummary(r);
  for (const t of reportTables(r)) {
    out.push('', t.title);
    out.push(...alignColumns(t.head, t.rows, (i) => i >= 2));
    if (t.rows.length === 0) out.push('(nothing recorded)');
  }
  return out;
}
