// Owns the guest table: sortable (click a header, or s / S), filterable (/), one row per guest with
// its configured limits as badges; rows are reused by guest id so an update only rewrites text.
// Selection moves with j/k; Enter opens the guest; space marks it for comparison.

import type { Snapshot } from '../../../engine/model/snapshot.js';
import { GUEST_COLUMNS, guestList, type GuestListRow, type GuestSortKey } from '../../../engine/present/guest-list.js';
import { clear, h, setText } from '../dom.js';

export interface TableEvents {
  open(id: string): void;
  select(id: string): void;
  mark(id: string): void;
}

interface RowEls { tr: HTMLTableRowElement; cells: HTMLTableCellElement[]; limits: HTMLTableCellElement; mark: HTMLInputElement; limitsText: string }

export class GuestTable {
  readonly el = h('section', { class: 'guests', id: 'guests' });
  readonly filterInput = h('input', { type: 'search', placeholder: 'filter: name, id, "limited"  (/)', class: 'filter', id: 'filter' });
  private readonly thead = h('thead');
  private readonly tbody = h('tbody');
  private readonly count = h('span', { class: 'count' });
  private readonly rows = new Map<string, RowEls>();
  sortKey: GuestSortKey = 'cpu';
  descending = true;
  selected: string | null = null;
  order: string[] = [];
  private last: Snapshot | null = null;

  constructor(private readonly ev: TableEvents, private readonly marked: Set<string>) {
    this.filterInput.addEventListener('input', () => { if (this.last) this.update(this.last); });
    this.filterInput.addEventListener('keydown', (e) => { if (e.key === 'Escape' || e.key === 'Enter') this.filterInput.blur(); e.stopPropagation(); });
    this.el.append(h('div', { class: 'toolbar' }, this.filterInput, this.count),
      h('table', { class: 'guest-table', id: 'guest-table' }, this.thead, this.tbody));
    this.header();
  }

  private header(): void {
    clear(this.thead);
    const tr = h('tr', {}, h('th', { title: 'mark for comparison (space)' }, '⊕'));
    for (const c of GUEST_COLUMNS) {
      const arrow = c.key === this.sortKey ? (this.descending ? ' ▼' : ' ▲') : '';
      tr.append(h('th', { class: c.numeric ? 'num sortable' : 'sortable', 'data-key': c.key, onclick: () => this.sortBy(c.key) }, c.title + arrow));
    }
    tr.append(h('th', {}, 'vCPUs'), h('th', {}, 'Limits'));
    this.thead.append(tr);
  }

  sortBy(key: GuestSortKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else { this.sortKey = key; this.descending = key !== 'name'; }
    this.header();
    if (this.last) this.update(this.last);
  }

  sortNext(): void {
    const i = GUEST_COLUMNS.findIndex((c) => c.key === this.sortKey);
    const next = GUEST_COLUMNS[(i + 1) % GUEST_COLUMNS.length]!.key;
    this.sortKey = next;
    this.descending = next !== 'name';
    this.header();
    if (this.last) this.update(this.last);
  }

  reverse(): void { this.sortBy(this.sortKey); }

  private rowEls(r: GuestListRow): RowEls {
    let e = this.rows.get(r.id);
    if (e) return e;
    const mark = h('input', { type: 'checkbox', title: 'compare' });
    mark.addEventListener('click', (ev) => { ev.stopPropagation(); this.ev.mark(r.id); });
    const cells = GUEST_COLUMNS.map((c) => h('td', { class: c.numeric ? 'num' : '' }));
    cells.push(h('td', { class: 'num' }));
    const limits = h('td', { class: 'limits' });
    const tr = h('tr', { 'data-id': r.id }, h('td', {}, mark), ...cells, limits);
    tr.addEventListener('click', () => this.ev.select(r.id));
    tr.addEventListener('dblclick', () => this.ev.open(r.id));
    e = { tr, cells, limits, mark, limitsText: '' };
    this.rows.set(r.id, e);
    return e;
  }

  update(s: Snapshot): void {
    this.last = s;
    const list = guestList(s, { sortKey: this.sortKey, descending: this.descending, filter: this.filterInput.value });
    const seen = new Set<string>();
    const frag = document.createDocumentFragment();
    for (const r of list) {
      seen.add(r.id);
      const e = this.rowEls(r);
      GUEST_COLUMNS.forEach((c, i) => setText(e.cells[i]!, c.key === 'name' ? r.name : r[c.key]));
      setText(e.cells[GUEST_COLUMNS.length]!, String(r.vcpus));
      const lt = r.limits.join('\n');
      if (lt !== e.limitsText) {
        e.limitsText = lt;
        clear(e.limits);
        for (const l of r.limits) e.limits.append(h('span', { class: 'badge' }, l));
      }
      e.tr.classList.toggle('limited', r.limits.length > 0);
      e.tr.classList.toggle('throttled', r.throttled);
      e.tr.classList.toggle('selected', r.id === this.selected);
      e.mark.checked = this.marked.has(r.id);
      frag.append(e.tr);
    }
    for (const [id, e] of this.rows) if (!seen.has(id)) { e.tr.remove(); if (!s.guests.some((g) => g.id === id)) this.rows.delete(id); }
    this.tbody.append(frag);
    this.order = list.map((r) => r.id);
    if (this.selected === null || !seen.has(this.selected)) this.selected = this.order[0] ?? null;
    this.rows.get(this.selected ?? '')?.tr.classList.add('selected');
    setText(this.count, `${list.length} of ${s.guests.length} guests`);
  }

  move(delta: number): void {
    if (this.order.length === 0) return;
    const i = Math.max(0, this.order.indexOf(this.selected ?? ''));
    const next = this.order[Math.min(this.order.length - 1, Math.max(0, i + delta))]!;
    this.ev.select(next);
    this.rows.get(next)?.tr.scrollIntoView({ block: 'nearest' });
  }
}
