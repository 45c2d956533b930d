// Owns the text of the guest table box: the header line (sorted column marked) and the visible slice of
// rows, the selected row in inverse, rows hitting a limit in red and rows with high run delay in
// yellow (bold / underline without colour). Draws GuestTableVM rows only.

import { headerLine, rowLine, type GuestRowVM, type SortSpec, type TableLayout } from '../../engine/present/guest-table.js';
import { esc, type Theme } from '../theme.js';

export interface TableFrame {
  layout: TableLayout;
  rows: readonly GuestRowVM[];
  sort: SortSpec;
  selected: number;
  scroll: number;
  visible: number;
  width: number;
}

export function tableLines(t: Theme, f: TableFrame): string[] {
  const head = headerLine(f.layout, f.sort);
  const out = [t.bold(t.fg(esc(head.padEnd(f.width)), 'cyan'))];
  const end = Math.min(f.rows.length, f.scroll + f.visible);
  for (let i = f.scroll; i < end; i++) {
    const r = f.rows[i] as GuestRowVM;
    let line = esc(rowLine(f.layout, r).padEnd(f.width));
    if (r.hitLimit) line = t.color ? t.fg(line, 'red') : `{bold}${line}{/bold}`;
    else if (r.highDelay) line = t.color ? t.fg(line, 'yellow') : `{underline}${line}{/underline}`;
    out.push(i === f.selected ? t.inverse(line) : line);
  }
  if (f.rows.length === 0) out.push('  (no guest matches)');
  return out;
}
