// Owns the TUI's view state and its pure transitions: which view and overlay are open, sort, filter,
// selection (by guest id, so it survives re-sorting), scroll, pause, chart window and the footer
// message. The app applies these to key presses; tests call them directly.

import { defaultDescending, DEFAULT_SORT, GUEST_COLUMNS, type ColumnKey, type GuestRowVM, type SortSpec } from '../engine/present/guest-table.js';

export type View = 'table' | 'detail';
export type Overlay = 'none' | 'help' | 'tuning' | 'panel';

export interface UiState {
  view: View;
  overlay: Overlay;
  /** id of the open panel (overlay 'panel') */
  panelId: string | null;
  sort: SortSpec;
  filter: string;
  /** the `/` line editor is open */
  filterEditing: boolean;
  selectedId: string | null;
  scroll: number;
  paused: boolean;
  windowSec: number;
  /** the detail view's section (views/detail.ts DETAIL_PAGES id; a guest opens on its CPU charts) and its scroll (first item shown) */
  detailPage: string;
  detailScroll: number;
  message: { text: string; error: boolean } | null;
}

export function initialState(): UiState {
  return {
    view: 'table', overlay: 'none', panelId: null, sort: DEFAULT_SORT, filter: '', filterEditing: false,
    selectedId: null, scroll: 0, paused: false, windowSec: 60, detailPage: 'cpu', detailScroll: 0, message: null,
  };
}

export const SORT_ORDER: readonly ColumnKey[] = GUEST_COLUMNS.map((c) => c.key).filter((k) => k !== 'id' && k !== 'limits');

export function sortBy(s: UiState, key: ColumnKey): UiState {
  const descending = s.sort.key === key ? s.sort.descending : defaultDescending(key);
  return { ...s, sort: { key, descending } };
}

export function sortStep(s: UiState, delta: 1 | -1): UiState {
  const i = SORT_ORDER.indexOf(s.sort.key);
  const n = SORT_ORDER.length;
  return sortBy(s, SORT_ORDER[(((i < 0 ? 0 : i) + delta) % n + n) % n] as ColumnKey);
}

export function sortReverse(s: UiState): UiState {
  return { ...s, sort: { ...s.sort, descending: !s.sort.descending } };
}

/** Selected row index in `rows` (the first row when the selection is gone or unset; -1 when empty). */
export function selectedIndex(s: UiState, rows: readonly GuestRowVM[]): number {
  if (rows.length === 0) return -1;
  const i = s.selectedId === null ? -1 : rows.findIndex((r) => r.id === s.selectedId);
  return i < 0 ? 0 : i;
}

export function moveSelection(s: UiState, rows: readonly GuestRowVM[], delta: number): UiState {
  if (rows.length === 0) return s;
  const i = Math.min(rows.length - 1, Math.max(0, selectedIndex(s, rows) + delta));
  return { ...s, selectedId: (rows[i] as GuestRowVM).id };
}

/** Scroll so the selected row is inside a window of `visible` rows. */
export function scrollFor(s: UiState, rows: readonly GuestRowVM[], visible: number): number {
  const i = selectedIndex(s, rows);
  if (i < 0 || visible <= 0) return 0;
  let top = Math.min(s.scroll, Math.max(0, rows.length - visible));
  if (i < top) top = i;
  if (i >= top + visible) top = i - visible + 1;
  return Math.max(0, top);
}

export const WINDOWS_SEC = [60, 300, 900] as const;
export function nextWindow(s: UiState): UiState {
  const i = WINDOWS_SEC.indexOf(s.windowSec as (typeof WINDOWS_SEC)[number]);
  return { ...s, windowSec: WINDOWS_SEC[(i + 1) % WINDOWS_SEC.length] as number };
}

/** The next (delta 1) or previous (-1) section of the detail view, among the pages it has now; scroll to its top. */
export function stepSection(s: UiState, pages: readonly string[], delta: 1 | -1): UiState {
  if (pages.length === 0) return s;
  const i = pages.indexOf(s.detailPage);
  const n = pages.length;
  return { ...s, detailPage: pages[(((i < 0 ? 0 : i) + delta) % n + n) % n] as string, detailScroll: 0 };
}

/** Scroll the detail section by `delta` items, within 0..max. */
export function scrollSection(s: UiState, delta: number, max: number): UiState {
  return { ...s, detailScroll: Math.max(0, Math.min(max, s.detailScroll + delta)) };
}
