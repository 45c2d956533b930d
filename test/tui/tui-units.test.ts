// TUI pieces without a terminal: the render scheduler coalesces, the view state transitions, key
// names, NO_COLOR, the tuning panel text (read-only, compact preview), and the session's drop /
// stall detection and reconnect against a stand-in EngineApi (the real daemon path is in
// connect.real.test.ts).

import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { EngineApi } from '../../src/engine/protocol/api.js';
import { guestRowVM } from '../../src/engine/present/guest-table.js';
import { TuiApp } from '../../src/tui/app.js';
import { RenderScheduler, type TimerPort } from '../../src/tui/scheduler.js';
import { EngineSession } from '../../src/tui/session.js';
import { initialState, moveSelection, scrollFor, sortBy, sortReverse, sortStep } from '../../src/tui/state.js';
import { esc, makeTheme } from '../../src/tui/theme.js';
import { newTuning, tuningLines } from '../../src/tui/views/tuning.js';
import { knobRequest, TUNING_KNOBS } from '../../src/engine/present/tuning-form.js';
import { guest, snapshot } from '../present/builders.js';

class FakeTimers implements TimerPort {
  t = 0;
  queue: Array<{ at: number; fn: () => void }> = [];
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => { const e = { at: this.t + ms, fn }; this.queue.push(e); return e; };
  clearTimeout = (h: unknown): void => { this.queue = this.queue.filter((e) => e !== h); };
  advance(ms: number): void {
    this.t += ms;
    for (const e of this.queue.filter((x) => x.at <= this.t)) { this.queue = this.queue.filter((x) => x !== e); e.fn(); }
  }
}

describe('render scheduler', () => {
  it('draws once for many invalidations, and at most once per frame interval', () => {
    const timers = new FakeTimers();
    let draws = 0;
    const s = new RenderScheduler(() => { draws++; }, timers, 40);
    for (let i = 0; i < 50; i++) s.invalidate();
    timers.advance(0);
    expect(draws).toBe(1);
    s.invalidate();
    s.invalidate();
    timers.advance(10);
    expect(draws).toBe(1);
    timers.advance(30);
    expect(draws).toBe(2);
    timers.advance(1000);
    expect(draws).toBe(2); // nothing changed: no frame
    s.dispose();
    s.invalidate();
    timers.advance(1000);
    expect(draws).toBe(2);
  });
});

describe('view state', () => {
  const rows = [guest('a', 10), guest('b', 20), guest('c', 30)].map(guestRowVM);
  it('sorts by a column, reverses, steps through columns', () => {
    let s = sortBy(initialState(), 'name');
    expect(s.sort).toEqual({ key: 'name', descending: false });
    s = sortReverse(s);
    expect(s.sort.descending).toBe(true);
    expect(sortStep(sortBy(initialState(), 'cpu'), 1).sort.key).toBe('runq');
    expect(sortStep(sortBy(initialState(), 'name'), -1).sort.key).toBe('tx');
  });
  it('keeps the selection by id, clamps movement and scrolls it into view', () => {
    let s = moveSelection(initialState(), rows, 1);
    expect(s.selectedId).toBe('qemu:b');
    s = moveSelection(s, rows, 10);
    expect(s.selectedId).toBe('qemu:c');
    expect(scrollFor(s, rows, 2)).toBe(1);
    s = moveSelection(s, rows, -10);
    expect(scrollFor({ ...s, scroll: 1 }, rows, 2)).toBe(0);
  });
});

describe('keys and colour', () => {
  const k = (full: string, extra: Record<string, unknown> = {}): any => ({ full, name: full, ctrl: false, meta: false, shift: false, sequence: '', ...extra });
  it('names printable keys as typed and the rest by blessed name', () => {
    expect(TuiApp.keyName('K', k('S-k', { shift: true }))).toBe('K');
    expect(TuiApp.keyName('?', k('?'))).toBe('?');
    expect(TuiApp.keyName(' ', k('space'))).toBe('space');
    expect(TuiApp.keyName('\r', k('enter'))).toBe('enter');
    expect(TuiApp.keyName(undefined, k('escape'))).toBe('escape');
    expect(TuiApp.keyName('\x03', k('C-c', { ctrl: true }))).toBe('C-c');
  });
  it('NO_COLOR removes colour tags but keeps attributes; names cannot inject tags', () => {
    expect(makeTheme({ NO_COLOR: '1' }).fg('x', 'red')).toBe('x');
    expect(makeTheme({ NO_COLOR: '1' }).inverse('x')).toBe('{inverse}x{/inverse}');
    expect(makeTheme({ NO_COLOR: '' }).fg('x', 'red')).toBe('{red-fg}x{/red-fg}');
    expect(makeTheme({}).fg('x', 'red')).toBe('{red-fg}x{/red-fg}');
    expect(esc('{bold}evil{/bold}')).toBe('{open}bold{close}evil{open}/bold{close}');
  });
});

describe('tuning panel text', () => {
  const t = makeTheme({ NO_COLOR: '1' });
  const g = guest('w', 100);
  it('explains why tuning is unavailable on a read-only engine', () => {
    const lines = tuningLines(t, newTuning(g.id), g, true, 80).join('\n');
    expect(lines).toMatch(/tuning is unavailable: this engine is read-only/);
    expect(lines).toMatch(/--write/);
    expect(lines).not.toMatch(/--cpu-quota/);
  });
  it('lists every knob with its current value, and only the chosen one with a preview', () => {
    const full = tuningLines(t, newTuning(g.id), g, false, 80).join('\n');
    expect(full).toMatch(/CPU quota\s+--cpu-quota\s+now max/);
    expect(full).toMatch(/--net/);
    const st = { ...newTuning(g.id), preview: { request: { guest: g.id, changes: [] }, plan: { guest: g.id, applied: false, changeId: null, warnings: [], steps: [{ kind: 'cgroup-write' as const, path: '/sys/fs/cgroup/x/cpu.max', from: 'max 100000', to: '50000 100000' }] } } };
    const lines = tuningLines(t, st, g, false, 80);
    expect(lines.join('\n')).toMatch(/1\. cpu\.max: max 100000 -> 50000 100000/);
    expect(lines.join('\n')).not.toMatch(/--net/);
    expect(lines.join('\n')).toMatch(/y applies/);
    for (const l of lines) expect(l.replace(/\{\/?[a-z-]+\}/g, '').length).toBeLessThanOrEqual(80);
  });
  it('a list knob (--io) says it takes several specs separated by ;', () => {
    const io = TUNING_KNOBS.findIndex((k) => k.id === 'io');
    const lines = tuningLines(t, { ...newTuning(g.id), knob: io, editing: 'knob' as const, buffer: 'vda:riops=500; vdb:wbps=1M' }, g, false, 80).join('\n');
    expect(lines).toMatch(/--io \(e\.g\. vda:riops=500,wbps=10M; several specs separated by ;\)/);
    const quota = tuningLines(t, { ...newTuning(g.id), knob: 0, editing: 'knob' as const }, g, false, 80).join('\n');
    expect(quota).not.toMatch(/several specs/);
    // what the panel sends on enter: the request `virtune tune --io vda:riops=500 --io vdb:wbps=1M` builds
    expect(knobRequest(TUNING_KNOBS[io]!, 'vda:riops=500; vdb:wbps=1M', g.id)).toMatchObject({ ok: true, request: { changes: [{ kind: 'io' }, { kind: 'io' }] } });
  });
});

describe('engine session', () => {
  function fakeApi(snap: Snapshot): EngineApi & { closed: boolean; emit(): void } {
    let listener: ((s: Snapshot) => void) | null = null;
    const api = {
      closed: false,
      emit: () => listener?.(snap),
      status: async () => ({ version: '0', protocolVersion: 1, demo: true, readOnly: false, root: '/', intervalSec: 1, startedAt: snap.timestamp, samples: 1, lastSampleCostUsec: null, lastDeriveCostUsec: null, guests: 1, clients: null, historyWindowSec: 60 }),
      latest: async () => snap,
      subscribe: async (l: (s: Snapshot) => void) => { listener = l; return { unsubscribe: async () => { listener = null; } }; },
      close: async () => { api.closed = true; },
    };
    return api as unknown as EngineApi & { closed: boolean; emit(): void };
  }

  it('goes live, notices a stall and a dropped connection, and reconnects', async () => {
    const snap = snapshot([guest('a', 1)]);
    let now = 0;
    let opens = 0;
    let failNext = false;
    let current = fakeApi(snap);
    const s = new EngineSession({
      open: async () => { opens++; if (failNext) throw new Error('ECONNREFUSED'); current = fakeApi(snap); return current; },
      now: () => now, onChange: () => undefined,
    });
    await s.start();
    expect(s.link).toBe('live');
    expect(s.latest).toBe(snap);
    expect(s.staleSec()).toBeNull();

    now = 5000; // no snapshot for 5 s at a 1 s interval
    await s.tick();
    expect(s.link).toBe('stalled');
    expect(s.staleSec()).toBe(5);
    current.emit();
    expect(s.link).toBe('live');

    current.closed = true; // the daemon went away
    failNext = true;
    now = 6000;
    await s.tick();
    expect(s.link).toBe('down');
    expect(s.lastError).toMatch(/ECONNREFUSED/);
    expect(s.latest).toBe(snap); // the last picture stays on screen

    failNext = false;
    await s.tick();
    expect(s.link).toBe('live');
    expect(s.reconnects).toBe(1);
    expect(opens).toBe(3);
    await s.close();
    expect(current.closed).toBe(true);
  });
});
