// Owns the renderer application: the engine link (banner + reconnect), the snapshot subscription, the
// host overview strip, the view switcher (guests, guest detail, compare, advice, audit), the tuning
// dialog, the keyboard shortcuts of present/keys (same as the TUI) and the light/dark theme.
// Each snapshot renders once (table + charts); the time it takes is recorded as a performance
// measure 'virtune-frame' (read by the bench's rendererFrameMs200).
// Adding a view: a class with el/update/destroy, a tab in TABS, a key in DESKTOP_KEYMAP and a case in
// show().

import type { Snapshot } from '../../engine/model/snapshot.js';
import type { EngineStatus } from '../../engine/protocol/api.js';
import { actionFor, BASE_KEYMAP, extendKeyMap, helpLines, type KeyBinding, type KeyContext } from '../../engine/present/keymap.js';
import type { RemoteEngine } from '../../engine/rpc/client.js';
import { Link } from './connection.js';
import { h, setText } from './dom.js';
import { AdviceView } from './views/advice.js';
import { AuditView } from './views/audit.js';
import { CompareView } from './views/compare.js';
import { DetailView } from './views/detail.js';
import { DiagnosisView } from './views/diagnosis.js';
import { HostView } from './views/host.js';
import { GuestTable } from './views/table.js';
import { TuneDialog } from './views/tune-dialog.js';

type ViewName = 'guests' | 'detail' | 'compare' | 'advice' | 'audit' | 'why';
const TABS: Array<[ViewName, string]> = [['guests', 'Guests (Esc)'], ['compare', 'Compare (C)'], ['why', 'Why slow? (W)'], ['advice', 'Advice (a)'], ['audit', 'Audit (L)']];

/** the TUI's key map (present/keymap.ts), less what a mouse face does otherwise, plus the desktop's own */
// quit: a window is closed by its window manager (and Ctrl-C must stay copy in a browser)
// the detail view's sections and scrolling: the page shows every chart and scrolls like any page
const UNUSED_HERE = new Set(['quit', 'window', 'nextKnob', 'prevKnob', 'edit', 'apply', 'revertTimer',
  'nextSection', 'prevSection', 'scrollDown', 'scrollUp', 'pageDown', 'pageUp']);
const DESKTOP_KEYMAP: readonly KeyBinding[] = extendKeyMap(BASE_KEYMAP.filter((b) => !UNUSED_HERE.has(b.action)), [
  { action: 'mark', keys: ['x'], context: 'table', help: 'mark the guest for comparison' },
  { action: 'mark', keys: ['x'], context: 'detail', help: 'mark this guest for comparison' },
  { action: 'compare', keys: ['C'], context: 'global', help: 'compare the marked guests on one chart' },
  { action: 'theme', keys: ['D'], context: 'global', help: 'dark / light theme' },
  // the TUI's side panels (src/tui/panels.ts), same keys
  { action: 'why', keys: ['W'], context: 'global', help: 'diagnosis: why is the selected guest slow' },
  { action: 'advisor', keys: ['a'], context: 'global', help: 'advisor and lint' },
  { action: 'audit', keys: ['L'], context: 'global', help: 'audit log and change journal' },
]);

/** KeyboardEvent → the key name the key map uses (blessed's) */
function keyName(e: KeyboardEvent): string {
  const named: Record<string, string> = { Enter: 'enter', Escape: 'escape', ArrowUp: 'up', ArrowDown: 'down', Home: 'home', End: 'end', Tab: 'tab', ' ': 'space' };
  const k = named[e.key] ?? e.key;
  if (e.ctrlKey && k.length === 1) return `C-${k.toLowerCase()}`;
  if (e.shiftKey && k === 'tab') return 'S-tab';
  return k;
}

export class App {
  private readonly banner = h('div', { class: 'banner hidden', id: 'banner', role: 'alert' });
  private readonly mode = h('span', { class: 'mode', id: 'mode' });
  private readonly tabs = h('nav', { class: 'tabs' });
  private readonly main = h('main', { id: 'view' });
  private readonly host = new HostView();
  private readonly marked = new Set<string>();
  private readonly table: GuestTable;
  private view: ViewName = 'guests';
  private detail: DetailView | null = null;
  private compare: CompareView | null = null;
  private advice: AdviceView | null = null;
  private audit: AuditView | null = null;
  private why: DiagnosisView | null = null;
  private dialog: TuneDialog | null = null;
  private help: HTMLElement | null = null;
  snap: Snapshot | null = null;
  private status: EngineStatus | null = null;
  private lastChange: string | null = null;
  private paused = false;
  private readonly link: Link;
  frames = 0;

  constructor(private readonly root: HTMLElement) {
    this.table = new GuestTable({
      open: (id) => this.openGuest(id),
      select: (id) => { this.table.selected = id; if (this.snap) this.table.update(this.snap); },
      mark: (id) => this.toggleMark(id),
    }, this.marked);
    for (const [v, label] of TABS) this.tabs.append(h('button', { 'data-view': v, onclick: () => this.show(v) }, label));
    const themeBtn = h('button', { id: 'theme', title: 'light / dark (T)', onclick: () => this.toggleTheme() }, '◐');
    const helpBtn = h('button', { title: 'keyboard shortcuts (?)', onclick: () => this.toggleHelp() }, '?');
    root.append(h('header', {}, h('span', { class: 'brand' }, 'virtune'), this.tabs, this.mode, themeBtn, helpBtn), this.banner, this.host.el, this.main);
    this.applyTheme(localStorage.getItem('virtune-theme') ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
    document.addEventListener('keydown', (e) => this.onKey(e));
    this.show('guests');
    this.link = new Link({ up: (e) => this.up(e), down: (why) => this.down(why) });
  }

  start(): void {
    this.showBanner('connecting to the engine…');
    this.link.start();
  }

  private engine = (): RemoteEngine | null => this.link.current;

  private async up(e: RemoteEngine): Promise<void> {
    this.status = await e.status();
    setText(this.mode, `${this.status.demo ? 'demo · ' : ''}${this.status.readOnly ? 'read-only' : 'read-write'} · every ${this.status.intervalSec} s`);
    const first = await e.latest();
    if (first) this.render(first);
    await e.subscribe((s) => this.render(s));
    this.hideBanner();
    if (this.view === 'advice') void this.advice?.load();
    if (this.view === 'audit') void this.audit?.load();
  }

  private down(why: string): void { this.showBanner(`Connection lost (${why}) — reconnecting…`); }

  private showBanner(text: string): void { setText(this.banner, text); this.banner.classList.remove('hidden'); }
  private hideBanner(): void { this.banner.classList.add('hidden'); }

  private render(s: Snapshot): void {
    const t0 = performance.now();
    if (this.paused) return;
    this.snap = s;
    this.host.update(s, this.status);
    if (this.view === 'guests') this.table.update(s);
    else if (this.view === 'detail') this.detail?.update(s);
    else if (this.view === 'compare') this.compare?.update(s);
    this.frames++;
    // after uPlot's own microtask has drawn the canvases; reading a size forces the style and layout
    // the browser would otherwise do before painting, so the measure is the whole update
    queueMicrotask(() => {
      void this.root.offsetHeight;
      performance.measure('virtune-frame', { start: t0, end: performance.now(), detail: this.view });
      if (performance.getEntriesByName('virtune-frame').length > 1000) performance.clearMeasures('virtune-frame');
    });
  }

  private show(v: ViewName): void {
    this.view = v;
    this.tabs.querySelectorAll('button').forEach((b) => b.classList.toggle('active', b.getAttribute('data-view') === v || (v === 'detail' && b.getAttribute('data-view') === 'guests')));
    this.main.replaceChildren();
    if (v !== 'detail') { this.detail?.destroy(); this.detail = null; }
    if (v !== 'compare') { this.compare?.destroy(); this.compare = null; }
    if (v === 'guests') { this.main.append(this.table.el); if (this.snap) this.table.update(this.snap); }
    else if (v === 'detail' && this.detail) { this.main.append(this.detail.el); }
    else if (v === 'compare') { this.compare = new CompareView(this.marked); this.main.append(this.compare.el); if (this.snap) this.compare.update(this.snap); }
    else if (v === 'advice') { this.advice ??= new AdviceView(this.engine, this.table.selected); this.advice.setGuest(this.detail?.guestId ?? this.table.selected); this.main.append(this.advice.el); void this.advice.load(); }
    else if (v === 'audit') { this.audit ??= new AuditView(this.engine); this.main.append(this.audit.el); void this.audit.load(); }
    else if (v === 'why') { this.why ??= new DiagnosisView(this.engine, null); this.why.setGuest(this.detail?.guestId ?? this.table.selected); this.main.append(this.why.el); void this.why.load(); }
  }

  private openGuest(id: string): void {
    this.table.selected = id;
    this.detail?.destroy();
    this.detail = new DetailView(id, {
      tune: (g) => this.openTune(g), advise: (g) => { this.table.selected = g; this.show('advice'); },
      back: () => this.show('guests'), mark: (g) => this.toggleMark(g),
    }, this.status?.readOnly ?? true, this.engine);
    this.show('detail');
    // the first update builds every chart and fills it from the engine's history
    if (this.snap) this.detail.update(this.snap);
  }

  private openTune(id: string): void {
    const g = this.snap?.guests.find((x) => x.id === id);
    if (!g || this.dialog) return;
    if (this.status?.readOnly) { this.showBanner('read-only engine: tuning needs --write or virtune serve'); setTimeout(() => this.hideBanner(), 3000); return; }
    this.dialog = new TuneDialog(this.engine, g, {
      close: () => { this.dialog?.destroy(); this.dialog = null; },
      changed: (p) => { this.lastChange = p.applied && p.changeId ? p.changeId : this.lastChange; },
    });
    this.root.append(this.dialog.el);
    this.dialog.focus();
  }

  private toggleMark(id: string): void {
    if (this.marked.has(id)) this.marked.delete(id); else this.marked.add(id);
    if (this.snap && this.view === 'guests') this.table.update(this.snap);
  }

  private applyTheme(t: string): void {
    document.documentElement.dataset.theme = t === 'dark' ? 'dark' : 'light';
    localStorage.setItem('virtune-theme', document.documentElement.dataset.theme);
  }
  private toggleTheme(): void { this.applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'); }

  private toggleHelp(): void {
    if (this.help) { this.help.remove(); this.help = null; return; }
    const text = h('pre', { class: 'help-text' }, helpLines(DESKTOP_KEYMAP).join('\n'));
    this.help = h('div', { class: 'modal', id: 'help', onclick: () => this.toggleHelp() }, h('div', { class: 'modal-box' }, h('h2', {}, 'Keyboard shortcuts (same as the terminal UI)'), text));
    this.root.append(this.help);
  }

  private async undoLast(): Promise<void> {
    const e = this.engine();
    if (!e) return;
    if (this.dialog?.appliedChange) { await this.dialog.undo(); return; }
    try {
      const p = await e.undo(this.lastChange);
      this.showBanner(`undone: change ${p.changeId ?? this.lastChange ?? '(last)'}`);
    } catch (err) { this.showBanner(`undo: ${(err as Error).message}`); }
    setTimeout(() => this.hideBanner(), 3000);
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    const typing = target !== null && (target.tagName === 'SELECT' || target.tagName === 'TEXTAREA'
      || (target instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(target.type)));
    if (typing && e.key !== 'Escape') return;
    if (e.metaKey || e.altKey) return;
    const context: KeyContext = this.dialog ? 'tuning' : this.view === 'guests' ? 'table' : this.view === 'detail' ? 'detail' : 'panel';
    const a = actionFor(DESKTOP_KEYMAP, context, keyName(e));
    if (!a) return;
    e.preventDefault();
    const sel = this.table.selected;
    const here = this.view === 'detail' && this.detail ? this.detail.guestId : sel;
    switch (a) {
      case 'help': this.toggleHelp(); break;
      case 'pause': this.paused = !this.paused; setText(this.mode, `${this.paused ? 'PAUSED · ' : ''}${this.mode.textContent?.replace(/^PAUSED · /, '') ?? ''}`); break;
      case 'back':
        if (this.help) this.toggleHelp();
        else if (this.dialog) { this.dialog.destroy(); this.dialog = null; }
        else if (this.view !== 'guests') this.show('guests');
        break;
      case 'filter': this.show('guests'); this.table.filterInput.focus(); break;
      case 'sortNext': this.table.sortStep(1); break;
      case 'sortPrev': this.table.sortStep(-1); break;
      case 'sortReverse': this.table.reverse(); break;
      case 'sortCpu': this.table.sortOn('cpu'); break;
      case 'sortMem': this.table.sortOn('mem'); break;
      case 'sortDisk': this.table.sortOn('disk'); break;
      case 'sortName': this.table.sortOn('name'); break;
      case 'sortSuffer': this.table.sortOn('suffer'); break;
      case 'down': this.table.move(1); break;
      case 'up': this.table.move(-1); break;
      case 'top': this.table.move(-Infinity); break;
      case 'bottom': this.table.move(Infinity); break;
      case 'open': if (sel) this.openGuest(sel); break;
      case 'tune': if (here) this.openTune(here); break;
      case 'undo': void this.undoLast(); break;
      case 'keep': void this.dialog?.keep(); break;
      case 'mark': if (here) this.toggleMark(here); break;
      case 'compare': this.show('compare'); break;
      case 'advisor': this.show('advice'); break;
      case 'audit': this.show('audit'); break;
      case 'theme': this.toggleTheme(); break;
      case 'why': this.show('why'); break;
    }
  }
}
