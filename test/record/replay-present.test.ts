// The replay controls' view-model: each key's command for the current state (speed steps, seeks
// clamped to the recording, toggle), the badge and the timeline panel.

import { describe, expect, it } from 'vitest';
import { statusBadges } from '../../src/engine/present/host-header.js';
import type { ReplayStatus } from '../../src/engine/model/recording.js';
import { REPLAY_KEYMAP, replayBadge, replayCommandFor, replayLines } from '../../src/engine/present/replay.js';
import { BASE_KEYMAP } from '../../src/engine/present/keymap.js';

const T0 = Date.UTC(2026, 10, 25, 17);
const st: ReplayStatus = {
  file: 'r.vtr', positionWallMs: T0 + 5000, index: 5, count: 61, startWallMs: T0, endWallMs: T0 + 60_000, speed: 1,
  playing: true, atEnd: false, downsampled: false, fullFromWallMs: null,
  events: [{ wallMs: T0 + 30_000, kind: 'change', guest: 'qemu:a', summary: 'applied c1 qemu:a: cpu.max max 100000 -> 50000 100000' }],
};

describe('replay controls view-model', () => {
  it('maps each key to the command for the current state', () => {
    expect(replayCommandFor('replay:toggle', st)).toEqual({ action: 'pause' });
    expect(replayCommandFor('replay:toggle', { ...st, playing: false })).toEqual({ action: 'play' });
    expect(replayCommandFor('replay:faster', st)).toEqual({ action: 'speed', speed: 2 });
    expect(replayCommandFor('replay:faster', { ...st, speed: 100 })).toEqual({ action: 'speed', speed: 100 });
    expect(replayCommandFor('replay:slower', st)).toEqual({ action: 'speed', speed: 0.5 });
    expect(replayCommandFor('replay:slower', { ...st, speed: 0.1 })).toEqual({ action: 'speed', speed: 0.1 });
    expect(replayCommandFor('replay:back', st)).toEqual({ action: 'seek', wallMs: T0 }); // clamped to the start
    expect(replayCommandFor('replay:forward', st)).toEqual({ action: 'seek', wallMs: T0 + 15_000 });
    expect(replayCommandFor('replay:forwardMore', st)).toEqual({ action: 'seek', wallMs: T0 + 60_000 }); // clamped to the end
    expect(replayCommandFor('replay:start', st)).toEqual({ action: 'seek', wallMs: T0 });
    expect(replayCommandFor('replay:nextEvent', st)).toEqual({ action: 'nextEvent' });
    expect(replayCommandFor('quit', st)).toBeNull();
  });

  it('uses keys no other binding has', () => {
    const taken = new Set(BASE_KEYMAP.flatMap((b) => b.keys));
    for (const b of REPLAY_KEYMAP) for (const k of b.keys) expect(taken.has(k), k).toBe(false);
  });

  it('shows the position on a timeline with the events', () => {
    expect(replayBadge(st)).toBe('REPLAY 17:00:05 (0m05s of 1m00s) 1x playing');
    const lines = replayLines(st, 61);
    expect(lines[1]).toBe(`17:00:00 [-----*------------------------|------------------------------] 17:01:00`);
    expect(lines[4]).toContain('1 recorded event(s)');
    expect(lines[5]).toBe('> 17:00:30 applied c1 qemu:a: cpu.max max 100000 -> 50000 100000');
  });

  it('marks a downsampled stretch in the badge, the header and the timeline', () => {
    const ds: ReplayStatus = { ...st, downsampled: true, fullFromWallMs: T0 + 20_000 };
    expect(replayBadge(ds)).toBe('REPLAY 17:00:05 (0m05s of 1m00s) 1x playing per-minute (downsampled)');
    const lines = replayLines(ds, 61);
    expect(lines[1]).toBe(`17:00:00 [=====*==============----------|------------------------------] 17:01:00`);
    expect(lines[3]).toBe('= downsampled until 17:00:20: one snapshot per minute (rates are minute averages)');
    expect(statusBadges({ demo: false, readOnly: true, startedAt: '', lastSampleCostUsec: null, lastDeriveCostUsec: null, replay: ds })).toEqual(['REPLAY per-minute', 'READ-ONLY']);
    expect(statusBadges({ demo: false, readOnly: true, startedAt: '', lastSampleCostUsec: null, lastDeriveCostUsec: null, replay: st })).toEqual(['REPLAY', 'READ-ONLY']);
    // a daemon of an older version sends neither field
    const { downsampled: _d, fullFromWallMs: _f, ...older } = st;
    expect(replayLines(older as ReplayStatus, 61)[1]).toBe(replayLines(st, 61)[1]);
  });
});
