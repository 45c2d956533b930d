// Owns the terminal UI application: the blessed widgets (header, banner, guest table or guest detail,
// footer, overlays for help / tuning / panels), the key handling (engine/present/keymap.ts), the one
// render scheduler and the one 1 s tick (status, stall/reconnect, chart history, live panels, revert
// countdown). It reaches the engine only through EngineApi (session.ts) and draws view-models from
// engine/present only.

import blessed from 'blessed';
import type { GuestSnap, Snapshot } from '../engine/model/snapshot.js';
import type { TuningRequest } from '../engine/model/tuning.js';
import { chartData, chartHistory, chartMetrics, guestCharts, type ChartData, type HistorySeries } from '../engine/present/guest-charts.js';
import { guestDetail } from '../engine/present/guest-detail.js';
import { filterRows, guestRowVM, sortRows, tableLayout, type GuestRowVM } from '../engine/present/guest-table.js';
import { hostHeader } from '../engine/present/host-header.js';
import { actionFor, BASE_KEYMAP, extendKeyMap, helpLines, type KeyBinding, type KeyContext } from '../engine/present/keymap.js';
import { knobRequest, revertCountdown, TUNING_KNOBS } from '../engine/present/tuning-form.js';
import type { EngineApi } from '../engine/protocol/api.js';
import { BASE_PANELS, panelBindings, type PanelDef } from './panels.js';
import { REPLAY_KEYMAP, replayBadge, replayCommandFor } from '../engine/present/replay.js';
import { RenderScheduler, type TimerPort } from './scheduler.js';
import { EngineSession } from './session.js';
import {
  initialState, moveSelection, nextWindow, scrollFor, scrollSection, selectedIndex, sortBy, sortReverse, sortStep, stepSection, type UiState,
} from './state.js';
import { esc, makeTheme, type Theme } from './theme.js';
import { DetailView, layoutDetail, type DetailLayout } from './views/detail.js';
import { headerLines } from './views/header.js';
import { tableLines } from './views/table.js';
import { newTuning, tuningLines, type TuningState } from './views/tuning.js';

export interface TuiOptions {
  open(): Promise<EngineApi>;
  /** where the engine lives, for the badge (`unix:/run/virtune.sock`); null in-process */
  connectedTo: string | null;
  /** the demo was chosen because this host has no guests */
  implicitDemo: boolean;
  env: Record<string, string | undefined>;
  panels?: readonly PanelDef[];
  timers?: TimerPort;
  /** the engine replays a recording: bind the replay keys (engine/present/replay.ts) */
  replay?: boolean;
}

const realTimers: TimerPort = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class TuiApp {
  readonly theme: Theme;
  readonly session: EngineSession;
  readonly scheduler: RenderScheduler;
  state: UiState = initialState();
  tuning: TuningState | null = null;
  private readonly keymap: KeyBinding[];
  private readonly panels: readonly PanelDef[];
  private readonly timers: TimerPort;
  private readonly header: blessed.Widgets.BoxElement;
  private readonly table: blessed.Widgets.BoxElement;
  private readonly footer: blessed.Widgets.BoxElement;
  private readonly overlay: blessed.Widgets.BoxElement;
  private readonly detail: DetailView;
  private frozen: Snapshot | null = null;
  private filterBuffer = '';
  private panelLines: string[] = [];
  private panelScroll = 0;
  private helpScroll = 0;
  private charts = new Map<string, ChartData>();
  private chartGuest: string | null = null;
  /** the detail view's last layout (its sections and scroll range, for the keys) */
  private detailLayout: DetailLayout | null = null;
  /** the charts the last history fetch was for (a new visible set fetches at once) */
  private fetchedFor = '';
  private lastChange: { id: string; revertAt: string | null } | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private ticking = false;
  private exit: ((code: number) => void) | null = null;
  /** rows of the last frame (what the keys move through) */
  private rows: GuestRowVM[] = [];

  constructor(readonly screen: blessed.Widgets.Screen, private readonly opts: TuiOptions) {
    this.theme = makeTheme(opts.env);
    this.timers = opts.timers ?? realTimers;
    this.panels = opts.panels ?? BASE_PANELS;
    this.keymap = extendKeyMap(BASE_KEYMAP, [...panelBindings(this.panels), ...(opts.replay ? REPLAY_KEYMAP : [])]);
    this.scheduler = new RenderScheduler(() => this.render(), this.timers);
    this.session = new EngineSession({ open: opts.open, now: this.timers.now, onChange: () => this.scheduler.invalidate() });
    this.header = blessed.box({ top: 0, left: 0, width: '100%', height: 1, tags: true, wrap: false });
    this.table = blessed.box({ left: 0, width: '100%', tags: true, wrap: false });
    // positions are set from the screen size on every frame (blessed's `bottom` can go stale on a resize)
    this.footer = blessed.box({ top: 0, left: 0, width: '100%', height: 1, tags: true, wrap: false });
    this.overlay = blessed.box({
      top: 'center', left: 'center', width: '90%', height: '80%', tags: true, hidden: true, wrap: false,
      border: { type: 'line' }, style: { border: this.theme.border },
    });
    screen.append(this.header);
    screen.append(this.table);
    screen.append(this.footer);
    this.detail = new DetailView(screen, this.theme);
    screen.append(this.overlay);
    screen.on('keypress', (ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg) => this.onKey(ch, key));
    screen.on('resize', () => this.scheduler.invalidate());
  }

  /** Connect, draw, and run until the operator quits; resolves with the exit code. */
  run(): Promise<number> {
    return new Promise((resolve) => {
      this.exit = resolve;
      this.scheduler.invalidate();
      void this.session.start().then(() => this.scheduler.invalidate());
      this.tickTimer = setInterval(() => { void this.tick(); }, 1000);
    });
  }

  async stop(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
    this.scheduler.dispose();
    await this.session.close();
  }

  private quit(code = 0): void {
    const done = this.exit;
    this.exit = null;
    done?.(code);
  }

  // ---- data --------------------------------------------------------------------------------------

  /** The snapshot on screen: frozen while paused. */
  shown(): Snapshot | null {
    return this.state.paused ? this.frozen : this.session.latest;
  }

  private guest(id: string | null): GuestSnap | null {
    const s = this.shown();
    return s && id !== null ? s.guests.find((g) => g.id === id) ?? null : null;
  }

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.session.tick();
      if (this.state.view === 'detail' && !this.state.paused) await this.fetchHistory();
      if (this.state.overlay === 'panel') {
        const p = this.panels.find((x) => x.id === this.state.panelId);
        if (p?.live) await this.loadPanel(p);
      }
      if (this.lastChange?.revertAt && revertCountdown(this.lastChange.revertAt, Date.now()) === null) {
        this.flash(`change ${this.lastChange.id} reached its revert time`, false);
        this.lastChange = { ...this.lastChange, revertAt: null };
      }
    } finally {
      this.ticking = false;
      this.scheduler.invalidate();
    }
  }

  /** History of the charts on screen (present/guest-charts.ts specs), each metric asked once. */
  private async fetchHistory(): Promise<void> {
    const api = this.session.api;
    const g = this.guest(this.state.selectedId);
    if (!api || !g) return;
    if (this.chartGuest !== g.id) { this.charts = new Map(); this.chartGuest = g.id; }
    const wanted = new Set(this.detail.drawnIds());
    this.fetchedFor = [...wanted].join();
    const specs = guestCharts(g).filter((c) => wanted.has(c.id));
    const now = Date.now();
    const series = await Promise.all(chartMetrics(specs).map(async (metric): Promise<HistorySeries> => {
      try {
        return await api.history({ guest: g.id, metric, windowSec: this.state.windowSec });
      } catch {
        return { metric, points: [] }; // not recorded (yet): that line is unknown
      }
    }));
    if (this.chartGuest !== g.id) return;
    // a braille line chart shows two points per column: no more than that is drawn
    const widths = this.detail.drawnWidths();
    for (const spec of specs) this.charts.set(spec.id, chartData(spec, chartHistory(spec, series), now, 2 * Math.max(10, (widths.get(spec.id) ?? 80) - 8)));
  }

  private async loadPanel(p: PanelDef): Promise<void> {
    const api = this.session.api;
    if (!api) { this.panelLines = ['(no connection to the engine)']; return; }
    try {
      this.panelLines = await p.load(api, { guestId: this.state.selectedId, windowSec: this.state.windowSec });
    } catch (e) {
      this.panelLines = [`${p.title}: ${errText(e)}`];
    }
  }

  private flash(text: string, error: boolean): void {
    this.state = { ...this.state, message: { text, error } };
    this.scheduler.invalidate();
  }

  // ---- drawing -----------------------------------------------------------------------------------

  render(): void {
    const t = this.theme;
    const width = Math.max(20, this.screen.width as number);
    const height = Math.max(5, this.screen.height as number);
    const snap = this.shown();
    const stale = this.session.staleSec();
    const head: string[] = [];
    if (this.session.link !== 'live') head.push(this.bannerLine(stale, width));
    if (snap) {
      const vm = hostHeader(snap, this.session.status, {
        connectedTo: this.opts.connectedTo, paused: this.state.paused, staleSec: stale, implicitDemo: this.opts.implicitDemo,
      });
      head.push(...headerLines(t, vm, width));
    } else if (this.session.link === 'live' || this.session.link === 'connecting') {
      head.push('virtune: waiting for the first samples…');
    }
    const headH = Math.min(head.length, Math.max(1, height - 4));
    this.header.height = Math.max(1, headH);
    this.header.setContent(head.slice(0, headH).join('\n'));
    const areaTop = headH;
    const areaH = Math.max(1, height - headH - 1);

    const all = snap ? snap.guests.map(guestRowVM) : [];
    this.rows = sortRows(filterRows(all, this.state.filterEditing ? this.filterBuffer : this.state.filter), this.state.sort);
    if (this.state.view === 'detail' && this.guest(this.state.selectedId)) {
      this.table.hide();
      const g = this.guest(this.state.selectedId) as GuestSnap;
      const area = { top: areaTop, left: 0, width, height: areaH };
      const layout = layoutDetail(t, guestDetail(g), guestCharts(g), area, { page: this.state.detailPage, scroll: this.state.detailScroll });
      this.detailLayout = layout;
      if (layout.page !== null && (layout.page !== this.state.detailPage || layout.scroll !== this.state.detailScroll)) {
        this.state = { ...this.state, detailPage: layout.page, detailScroll: layout.scroll };
      }
      this.detail.show(layout, area, this.chartGuest === g.id ? this.charts : new Map());
      // charts that came into view (a section, a scroll, a resize) get their history now, not at the next tick
      if (!this.state.paused && this.detail.drawnIds().join() !== this.fetchedFor) void this.fetchHistory().then(() => this.scheduler.invalidate());
    } else {
      if (this.state.view === 'detail') this.state = { ...this.state, view: 'table' };
      this.detail.hide();
      const visible = Math.max(1, areaH - 1);
      const scroll = scrollFor(this.state, this.rows, visible);
      const sel = selectedIndex(this.state, this.rows);
      this.state = { ...this.state, scroll, selectedId: sel >= 0 ? (this.rows[sel] as GuestRowVM).id : this.state.selectedId };
      const layout = tableLayout(all, width, { keep: this.state.sort.key });
      Object.assign(this.table.position, { top: areaTop, height: areaH });
      this.table.setContent(tableLines(t, { layout, rows: this.rows, sort: this.state.sort, selected: sel, scroll, visible, width }).join('\n'));
      this.table.show();
    }
    this.footer.top = height - 1;
    this.footer.width = width;
    this.header.width = width;
    this.table.width = width;
    this.footer.setContent(this.footerLine(width));
    this.drawOverlay(width, height);
    this.screen.render();
  }

  private bannerLine(stale: number | null, width: number): string {
    const t = this.theme;
    const ago = stale === null ? '' : ` (last data ${Math.round(stale)} s ago)`;
    const text = this.session.link === 'down'
      ? ` connection to the engine lost; reconnecting…${ago}: ${this.session.lastError ?? 'closed'} `
      : this.session.link === 'stalled' ? ` the engine stalled: no snapshot${ago}; waiting… ` : ' connecting to the engine… ';
    return t.inverse(t.fg(esc(text.slice(0, width).padEnd(width)), 'red'));
  }

  private footerLine(width: number): string {
    const t = this.theme;
    if (this.state.filterEditing) return esc(`/${this.filterBuffer}`) + t.inverse(' ') + '  enter keeps, escape clears';
    const parts: string[] = [];
    const cd = this.lastChange ? revertCountdown(this.lastChange.revertAt, Date.now()) : null;
    if (this.lastChange && cd) parts.push(t.fg(esc(`change ${this.lastChange.id} reverts in ${cd} (k keeps, u undoes)`), 'yellow'));
    if (this.state.message) parts.push(t.fg(esc(this.state.message.text), this.state.message.error ? 'red' : 'green'));
    if (this.state.filter) parts.push(esc(`filter: ${this.state.filter}`));
    const hints = this.opts.replay
      ? 'p play/pause  +/- speed  ,/. seek 10s  [/] 1min  e next event  R replay  ? help  q quit'
      : this.state.view === 'detail'
      ? `esc back  ${this.detailLayout?.pages.length ? 'tab section  ↑↓ scroll  ' : ''}t tune  w window  u undo  ? help  q quit`
      : '? help  / filter  s sort  enter detail  t tune  u undo  space pause  q quit';
    const shownHints = esc(hints);
    const used = parts.reduce((n, p) => n + p.replace(/\{\/?[a-z-]+\}/g, '').length + 2, 0);
    if (used + hints.length <= width || parts.length === 0) parts.push(t.fg(shownHints, 'cyan'));
    return parts.join('  ');
  }

  private drawOverlay(width: number, height: number): void {
    const o = this.overlay;
    const inner = (): number => Math.max(1, (o.height as number) - 2);
    if (this.state.overlay === 'none') { o.hide(); return; }
    o.width = Math.min(width, Math.max(60, Math.floor(width * 0.9)));
    o.height = height >= 30 ? Math.floor(height * 0.85) : Math.max(5, height - 2);
    let lines: string[];
    let scroll = 0;
    if (this.state.overlay === 'help') {
      lines = [this.theme.bold('virtune keys'), '', ...helpLines(this.keymap).map(esc), '', 'CPU% and RUNQ% are percent of ONE host CPU (a busy 4-vCPU guest shows 400).'];
      this.helpScroll = Math.max(0, Math.min(this.helpScroll, lines.length - inner()));
      scroll = this.helpScroll;
      o.setLabel(' help (up/down scroll, any other key closes) ');
    } else if (this.state.overlay === 'tuning' && this.tuning) {
      lines = tuningLines(this.theme, this.tuning, this.guest(this.tuning.guestId), this.session.status?.readOnly ?? true, (o.width as number) - 2);
      o.setLabel(' tuning ');
    } else {
      const p = this.panels.find((x) => x.id === this.state.panelId);
      lines = this.panelLines.map(esc);
      this.panelScroll = Math.max(0, Math.min(this.panelScroll, lines.length - inner()));
      scroll = this.panelScroll;
      o.setLabel(` ${p?.title ?? ''} (up/down scroll, escape closes) `);
    }
    o.setContent(lines.slice(scroll, scroll + inner()).join('\n'));
    o.show();
    o.setFront();
  }

  // ---- keys --------------------------------------------------------------------------------------

  private context(): KeyContext {
    if (this.state.overlay === 'tuning') return 'tuning';
    if (this.state.overlay === 'panel' || this.state.overlay === 'help') return 'panel';
    return this.state.view === 'detail' ? 'detail' : 'table';
  }

  /** blessed key → key-map name: printable characters as typed, the rest by blessed's full name. */
  static keyName(ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg): string {
    if (ch === ' ') return 'space';
    if (ch !== undefined && ch.length === 1 && ch > ' ' && ch !== '\x7f' && !key.ctrl && !key.meta) return ch;
    return key.full;
  }

  onKey(ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg): void {
    const name = TuiApp.keyName(ch, key);
    if (name === 'C-c') { this.quit(0); return; }
    if (this.state.filterEditing) { this.editFilter(ch, name); return; }
    if (this.tuning?.editing) { this.editTuning(ch, name); return; }
    if (this.state.overlay === 'help') {
      if (name === 'up' || name === 'down') this.helpScroll += name === 'up' ? -1 : 1;
      else if (name === 'q') { this.quit(0); return; } else this.state = { ...this.state, overlay: 'none' };
      this.scheduler.invalidate();
      return;
    }
    const ctx = this.context();
    if (ctx === 'panel' && (name === 'up' || name === 'down')) {
      this.panelScroll += name === 'up' ? -1 : 1;
      this.scheduler.invalidate();
      return;
    }
    const action = actionFor(this.keymap, ctx, name);
    if (action) this.act(action);
    this.scheduler.invalidate();
  }

  private act(action: string): void {
    const s = this.state;
    switch (action) {
      case 'quit': this.quit(0); return;
      case 'help': this.state = { ...s, overlay: 'help' }; this.helpScroll = 0; return;
      case 'pause':
        this.frozen = s.paused ? null : this.session.latest;
        this.state = { ...s, paused: !s.paused };
        return;
      case 'back':
        if (s.overlay === 'tuning' && this.tuning?.preview) { this.tuning = { ...this.tuning, preview: null, error: null }; return; }
        if (s.overlay !== 'none') { this.state = { ...s, overlay: 'none', panelId: null }; this.tuning = null; return; }
        if (s.view === 'detail') { this.state = { ...s, view: 'table' }; return; }
        if (s.filter) { this.state = { ...s, filter: '' }; return; }
        this.state = { ...s, message: null };
        return;
      case 'up': this.state = moveSelection(s, this.rows, -1); return;
      case 'down': this.state = moveSelection(s, this.rows, 1); return;
      case 'top': this.state = moveSelection(s, this.rows, -this.rows.length); return;
      case 'bottom': this.state = moveSelection(s, this.rows, this.rows.length); return;
      case 'open':
        if (selectedIndex(s, this.rows) < 0) return;
        this.state = { ...moveSelection(s, this.rows, 0), view: 'detail', detailPage: 'cpu', detailScroll: 0 };
        this.fetchedFor = '';
        return;
      case 'filter': this.filterBuffer = s.filter; this.state = { ...s, filterEditing: true }; return;
      case 'sortNext': this.state = sortStep(s, 1); return;
      case 'sortPrev': this.state = sortStep(s, -1); return;
      case 'sortReverse': this.state = sortReverse(s); return;
      case 'sortCpu': this.state = sortBy(s, 'cpu'); return;
      case 'sortMem': this.state = sortBy(s, 'mem'); return;
      case 'sortDisk': this.state = sortBy(s, 'disk'); return;
      case 'sortName': this.state = sortBy(s, 'name'); return;
      case 'sortSuffer': this.state = sortBy(s, 'suffer'); return;
      case 'window': this.state = nextWindow(s); this.charts = new Map(); void this.fetchHistory().then(() => this.scheduler.invalidate()); return;
      case 'nextSection': case 'prevSection':
        this.state = stepSection(s, this.detailLayout?.pages.map((p) => p.id) ?? [], action === 'nextSection' ? 1 : -1);
        return;
      case 'scrollDown': case 'scrollUp': case 'pageDown': case 'pageUp': {
        const screen = Math.max(1, (this.detailLayout?.shown ?? 2) - 1);
        const step = action === 'scrollDown' ? 1 : action === 'scrollUp' ? -1 : action === 'pageDown' ? screen : -screen;
        this.state = scrollSection(s, step, this.detailLayout?.maxScroll ?? 0);
        return;
      }
      case 'tune': {
        const sel = this.state.view === 'detail' ? s.selectedId : this.rows[selectedIndex(s, this.rows)]?.id ?? null;
        if (sel === null) return;
        this.tuning = newTuning(sel);
        this.state = { ...s, overlay: 'tuning', selectedId: sel };
        return;
      }
      case 'undo': void this.undo(); return;
      case 'keep': void this.keep(); return;
      case 'nextKnob': case 'prevKnob':
        if (this.tuning && !this.tuning.preview) {
          const n = TUNING_KNOBS.length;
          this.tuning = { ...this.tuning, knob: (this.tuning.knob + (action === 'nextKnob' ? 1 : -1) + n) % n, error: null };
        }
        return;
      case 'edit':
        if (this.tuning && !this.tuning.preview && !(this.session.status?.readOnly ?? true)) this.tuning = { ...this.tuning, editing: 'knob', buffer: '', error: null };
        return;
      case 'revertTimer':
        if (this.tuning && !this.tuning.preview) this.tuning = { ...this.tuning, editing: 'revert', buffer: this.tuning.revertAfter, error: null };
        return;
      case 'apply': void this.apply(); return;
      default:
        if (action.startsWith('replay:')) { void this.replayAction(action); return; }
        if (action.startsWith('panel:')) {
          const p = this.panels.find((x) => `panel:${x.id}` === action);
          if (!p) return;
          this.state = { ...s, overlay: 'panel', panelId: p.id };
          this.panelLines = ['loading…'];
          this.panelScroll = 0;
          void this.loadPanel(p).then(() => this.scheduler.invalidate());
        }
    }
  }

  /** A replay key: the command for the current replay state, then its new state in the footer. */
  private async replayAction(action: string): Promise<void> {
    const api = this.session.api;
    const st = this.session.status?.replay;
    if (!api || !st) return;
    const cmd = replayCommandFor(action, st);
    if (!cmd) return;
    try {
      const next = await api.replayControl(cmd);
      if (this.session.status) this.session.status = { ...this.session.status, replay: next };
      this.flash(replayBadge(next), false);
    } catch (e) {
      this.flash(errText(e), true);
    }
  }

  /** Line editor keys: printable characters, backspace, enter, escape. */
  private static edit(buffer: string, ch: string | undefined, name: string): { buffer: string; done: 'enter' | 'escape' | null } {
    if (name === 'enter') return { buffer, done: 'enter' };
    if (name === 'escape') return { buffer, done: 'escape' };
    if (name === 'backspace') return { buffer: buffer.slice(0, -1), done: null };
    if (ch !== undefined && ch.length === 1 && ch >= ' ' && ch !== '\x7f') return { buffer: buffer + ch, done: null };
    return { buffer, done: null };
  }

  private editFilter(ch: string | undefined, name: string): void {
    const r = TuiApp.edit(this.filterBuffer, ch, name);
    this.filterBuffer = r.buffer;
    if (r.done === 'enter') this.state = { ...this.state, filterEditing: false, filter: r.buffer.trim() };
    if (r.done === 'escape') this.state = { ...this.state, filterEditing: false, filter: '' };
    this.scheduler.invalidate();
  }

  private editTuning(ch: string | undefined, name: string): void {
    const st = this.tuning as TuningState;
    const r = TuiApp.edit(st.buffer, ch, name);
    if (r.done === 'escape') this.tuning = { ...st, editing: null, buffer: '' };
    else if (r.done === 'enter' && st.editing === 'revert') {
      const v = r.buffer.trim();
      const check = v === '' ? null : knobRequest(TUNING_KNOBS[0]!, 'max', st.guestId, v);
      this.tuning = check && !check.ok ? { ...st, buffer: r.buffer, error: check.message } : { ...st, editing: null, buffer: '', revertAfter: v, error: null };
    } else if (r.done === 'enter') {
      const knob = TUNING_KNOBS[st.knob]!;
      const res = knobRequest(knob, r.buffer, st.guestId, st.revertAfter === '' ? null : st.revertAfter);
      if (!res.ok) this.tuning = { ...st, buffer: r.buffer, error: res.message };
      else {
        this.tuning = { ...st, editing: null, buffer: '', error: null, busy: true };
        void this.preview(res.request);
      }
    } else this.tuning = { ...st, buffer: r.buffer };
    this.scheduler.invalidate();
  }

  private async preview(req: TuningRequest): Promise<void> {
    const api = this.session.api;
    if (!api || !this.tuning) return;
    try {
      const plan = await api.previewTuning(req);
      if (this.tuning) this.tuning = { ...this.tuning, busy: false, preview: { request: req, plan } };
    } catch (e) {
      if (this.tuning) this.tuning = { ...this.tuning, busy: false, error: errText(e) };
    }
    this.scheduler.invalidate();
  }

  private async apply(): Promise<void> {
    const api = this.session.api;
    const st = this.tuning;
    if (!api || !st?.preview || st.busy) return;
    this.tuning = { ...st, busy: true };
    try {
      const plan = await api.applyTuning(st.preview.request);
      this.lastChange = plan.changeId ? { id: plan.changeId, revertAt: plan.revertAt ?? null } : this.lastChange;
      this.tuning = null;
      this.state = { ...this.state, overlay: 'none', message: { text: `applied change ${plan.changeId ?? '-'} to ${plan.guest} (${plan.steps.length} steps)${plan.warnings.length ? `; ${plan.warnings.join('; ')}` : ''}`, error: false } };
    } catch (e) {
      this.tuning = { ...st, busy: false, error: errText(e) };
    }
    this.scheduler.invalidate();
  }

  private async undo(): Promise<void> {
    const api = this.session.api;
    if (!api) return;
    try {
      const plan = await api.undo(this.lastChange?.id ?? null);
      this.flash(`undone: change ${plan.changeId ?? this.lastChange?.id ?? ''} on ${plan.guest} (${plan.steps.length} steps)`, false);
      this.lastChange = null;
    } catch (e) {
      this.flash(`undo: ${errText(e)}`, true);
    }
  }

  private async keep(): Promise<void> {
    const api = this.session.api;
    if (!api || !this.lastChange) { this.flash('keep: no change with a revert timer', true); return; }
    try {
      await api.keep(this.lastChange.id);
      this.flash(`kept change ${this.lastChange.id}: it will not be reverted`, false);
      this.lastChange = { ...this.lastChange, revertAt: null };
    } catch (e) {
      this.flash(`keep: ${errText(e)}`, true);
    }
  }
}
