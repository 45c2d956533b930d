// Owns the guest table: sortable (click a header, or s / S), filterable (/), one row per guest with
// its configured limits as badges. Only the rows in (or near) the viewport are in the DOM (fixed row
// height, spacer rows above and below) and they never move: each screen slot's row gets the text of
// whichever guest is at that place now, so an update costs the same for 20 or 2000 guests and a
// re-sort rewrites text instead of moving elements. Each slot remembers what it shows: only cells
// whose text changed are written (as the data of the cell's one text node), and only classes that
// changed are toggled, so the browser re-lays out just those cells. Selection moves with j/k; Enter
// opens the guest; space marks it for comparison.

import type { Snapshot } from '../../../engine/model/snapshot.js';
import {
  columnDef, defaultDescending, filterRows, guestRowVM, sortRows, type ColumnKey, type GuestRowVM,
} from '../../../engine/present/guest-table.js';
import { limitBadges } from '../../../engine/present/limit-badges.js';
import { clear, h, setText } from '../dom.js';

export interface TableEvents {
  open(id: string): void;
  select(id: string): void;
  mark(id: string): void;
}

/** the guest-table.ts columns the browser shows (it has the room for all but the duplicates) */
const COLUMNS: ColumnKey[] = ['name', 'vcpus', 'cpu', 'runq', 'throttle', 'suffer', 'mem', 'nodes', 'iops', 'disk', 'rx', 'tx'];
const SORTABLE: ColumnKey[] = ['name', 'cpu', 'runq', 'throttle', 'suffer', 'mem', 'iops', 'disk', 'rx', 'tx', 'vcpus'];

interface Row { vm: GuestRowVM; badges: string[] }

/** row height in px (app.css .guest-table tbody tr: at least this; measured once rows are drawn) and rows kept beyond the viewport */
const ROW_PX = 27;
const OVERSCAN = 10;

interface RowEls {
  tr: HTMLTableRowElement;
  /** each cell's one text node and the text it holds */
  texts: Text[];
  shown: string[];
  limits: HTMLTableCellElement;
  mark: HTMLInputElement;
  limitsText: string;
  id: string;
  /** the row's classes as last set: limited, throttled, delayed, selected */
  flags: number;
}

const LIMITED = 1;
const THROTTLED = 2;
const DELAYED = 4;
const SELECTED = 8;

export class GuestTable {
  readonly el = h('section', { class: 'guests', id: 'guests' });
  readonly filterInput = h('input', { type: 'search', placeholder: 'filter: name, id, "limited"  (/)', class: 'filter', id: 'filter' });
  private readonly thead = h('thead');
  private readonly tbody = h('tbody');
  private readonly count = h('span', { class: 'count' });
  private readonly padTop = h('tr', { class: 'spacer' }, h('td', { colspan: COLUMNS.length + 2 }));
  private readonly padBottom = h('tr', { class: 'spacer' }, h('td', { colspan: COLUMNS.length + 2 }));
  private list: Row[] = [];
  private tableTop = 0;
  /** a drawn row's real height (its content may make it taller than ROW_PX): the spacers must match it */
  private rowPx = ROW_PX;
  private readonly slots: RowEls[] = [];
  sortKey: ColumnKey = 'cpu';
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
    this.tbody.append(this.padTop, this.padBottom);
    const onView = (): void => { this.measureTop(); this.renderRows(); };
    window.addEventListener('scroll', onView, { passive: true });
    window.addEventListener('resize', onView, { passive: true });
  }

  /** where the table starts and how tall a row really is (on the first update, scroll and resize: never per frame) */
  private measureTop(): void {
    if (!this.tbody.isConnected) return;
    this.tableTop = this.tbody.getBoundingClientRect().top + window.scrollY;
    const row = this.slots[0]?.tr;
    const px = row?.isConnected ? row.getBoundingClientRect().height : 0;
    if (px > 0) this.rowPx = px;
  }

  private header(): void {
    clear(this.thead);
    const tr = h('tr', {}, h('th', { title: 'mark for comparison (x)' }, '⊕'));
    for (const k of COLUMNS) {
      const c = columnDef(k);
      const arrow = k === this.sortKey ? (this.descending ? ' ▼' : ' ▲') : '';
      const title = c.title;
      tr.append(h('th', { class: `${c.right ? 'num ' : ''}sortable`, 'data-key': k, title: c.description, onclick: () => this.sortBy(k) }, title + arrow));
    }
    tr.append(h('th', { title: columnDef('limits').description }, 'LIMITS'));
    this.thead.append(tr);
  }

  sortBy(key: ColumnKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else { this.sortKey = key; this.descending = defaultDescending(key); }
    this.header();
    if (this.last) this.update(this.last);
  }

  sortStep(delta: number): void {
    const i = SORTABLE.indexOf(this.sortKey);
    const next = SORTABLE[(i + delta + SORTABLE.length) % SORTABLE.length]!;
    this.sortKey = next;
    this.descending = defaultDescending(next);
    this.header();
    if (this.last) this.update(this.last);
  }

  sortOn(key: ColumnKey): void {
    this.sortKey = key;
    this.descending = defaultDescending(key);
    this.header();
    if (this.last) this.update(this.last);
  }

  reverse(): void { this.sortBy(this.sortKey); }

  /** the row element of screen slot i (slots are reused: rows never move, their content changes) */
  private slot(i: number): RowEls {
    let e = this.slots[i];
    if (e) return e;
    const mark = h('input', { type: 'checkbox', title: 'compare' });
    const texts = COLUMNS.map(() => document.createTextNode(''));
    const cells = COLUMNS.map((k, j) => h('td', { class: columnDef(k).right ? 'num' : '' }, texts[j]));
    const limits = h('td', { class: 'limits' });
    const tr = h('tr', {}, h('td', {}, mark), ...cells, limits);
    const id = (): string => tr.dataset.id ?? '';
    mark.addEventListener('click', (ev) => { ev.stopPropagation(); this.ev.mark(id()); });
    tr.addEventListener('click', () => this.ev.select(id()));
    tr.addEventListener('dblclick', () => this.ev.open(id()));
    e = { tr, texts, shown: COLUMNS.map(() => ''), limits, mark, limitsText: '', id: '', flags: 0 };
    this.slots[i] = e;
    return e;
  }

  update(s: Snapshot): void {
    const first = this.last === null;
    this.last = s;
    const byId = new Map(s.guests.map((g) => [g.id, g]));
    const vms = sortRows(filterRows(s.guests.map(guestRowVM), this.filterInput.value), { key: this.sortKey, descending: this.descending });
    this.list = vms.map((vm) => ({ vm, badges: limitBadges(byId.get(vm.id)!) }));
    this.order = this.list.map((r) => r.vm.id);
    if (this.selected === null || !this.order.includes(this.selected)) this.selected = this.order[0] ?? null;
    if (first) this.measureTop();
    this.renderRows();
    if (first) { this.measureTop(); this.renderRows(); }
    setText(this.count, `${this.list.length} of ${s.guests.length} guests`);
  }

  /** put the rows of the visible window in place, between the two spacers */
  private renderRows(): void {
    const n = this.list.length;
    // the rows between the top and the bottom of the window, OVERSCAN more on each side
    const from = Math.max(0, Math.min(n, Math.floor((window.scrollY - this.tableTop) / this.rowPx) - OVERSCAN));
    const to = Math.max(from, Math.min(n, Math.ceil((window.scrollY + window.innerHeight - this.tableTop) / this.rowPx) + OVERSCAN));
    const top = `${from * this.rowPx}px`;
    const bottom = `${(n - to) * this.rowPx}px`;
    if (this.padTop.style.height !== top) this.padTop.style.height = top;
    if (this.padBottom.style.height !== bottom) this.padBottom.style.height = bottom;
    for (let i = from; i < to; i++) {
      const { vm, badges } = this.list[i]!;
      const e = this.slot(i - from);
      if (e.id !== vm.id) { e.id = vm.id; e.tr.dataset.id = vm.id; }
      for (let j = 0; j < COLUMNS.length; j++) {
        const t = vm.text[COLUMNS[j]!];
        if (e.shown[j] !== t) { e.shown[j] = t; e.texts[j]!.data = t; }
      }
      const lt = badges.join(' · ');
      if (lt !== e.limitsText) {
        e.limitsText = lt;
        e.limits.title = lt;
        clear(e.limits);
        for (const l of badges) e.limits.append(h('span', { class: 'badge' }, l));
      }
      const flags = (badges.length > 0 ? LIMITED : 0) | (vm.hitLimit ? THROTTLED : 0) | (vm.highDelay ? DELAYED : 0) | (vm.id === this.selected ? SELECTED : 0);
      if (flags !== e.flags) {
        e.flags = flags;
        e.tr.classList.toggle('limited', (flags & LIMITED) !== 0);
        e.tr.classList.toggle('throttled', (flags & THROTTLED) !== 0);
        e.tr.classList.toggle('delayed', (flags & DELAYED) !== 0);
        e.tr.classList.toggle('selected', (flags & SELECTED) !== 0);
      }
      const checked = this.marked.has(vm.id);
      if (e.mark.checked !== checked) e.mark.checked = checked;
      if (!e.tr.isConnected) this.tbody.insertBefore(e.tr, this.padBottom);
    }
    // slots beyond the window leave the DOM (kept for reuse)
    for (let i = to - from; i < this.slots.length; i++) this.slots[i]!.tr.remove();
  }

  move(delta: number): void {
    if (this.order.length === 0) return;
    const i = Math.max(0, this.order.indexOf(this.selected ?? ''));
    const next = this.order[Math.min(this.order.length - 1, Math.max(0, i + delta))]!;
    this.ev.select(next);
    const y = this.tableTop + this.order.indexOf(next) * this.rowPx;
    if (y < window.scrollY + 80 || y > window.scrollY + window.innerHeight - 2 * this.rowPx) window.scrollTo(0, y - window.innerHeight / 2);
  }
}
