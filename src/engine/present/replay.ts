// Owns the replay controls of the interactive faces as data and view-model: the key bindings
// (action `replay:<what>`), the ReplayCommand each action sends for the current replay state, and
// the replay panel's lines (position on a timeline with the recorded events marked, speed, the events).

import type { ReplayCommand, ReplayStatus } from '../model/recording.js';
import type { KeyBinding } from './keymap.js';

export const REPLAY_KEYMAP: readonly KeyBinding[] = [
  { action: 'replay:toggle', keys: ['p'], context: 'global', help: 'replay: play / pause' },
  { action: 'replay:faster', keys: ['+', '='], context: 'global', help: 'replay: twice as fast (up to 100x)' },
  { action: 'replay:slower', keys: ['-'], context: 'global', help: 'replay: half as fast (down to 0.1x)' },
  { action: 'replay:back', keys: [','], context: 'global', help: 'replay: back 10 s' },
  { action: 'replay:forward', keys: ['.'], context: 'global', help: 'replay: forward 10 s' },
  { action: 'replay:backMore', keys: ['['], context: 'global', help: 'replay: back 1 min' },
  { action: 'replay:forwardMore', keys: [']'], context: 'global', help: 'replay: forward 1 min' },
  { action: 'replay:start', keys: ['0'], context: 'global', help: 'replay: to the start' },
  { action: 'replay:nextEvent', keys: ['e'], context: 'global', help: 'replay: jump to the next tuning event' },
];

const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 100];

/** The command for a `replay:*` action in the current state; null when the action is not a replay one. */
export function replayCommandFor(action: string, st: ReplayStatus): ReplayCommand | null {
  const seek = (deltaMs: number): ReplayCommand => ({ action: 'seek', wallMs: Math.max(st.startWallMs, Math.min(st.endWallMs, st.positionWallMs + deltaMs)) });
  switch (action) {
    case 'replay:toggle': return { action: st.playing ? 'pause' : 'play' };
    case 'replay:faster': return { action: 'speed', speed: SPEEDS.find((s) => s > st.speed) ?? SPEEDS[SPEEDS.length - 1]! };
    case 'replay:slower': return { action: 'speed', speed: [...SPEEDS].reverse().find((s) => s < st.speed) ?? SPEEDS[0]! };
    case 'replay:back': return seek(-10_000);
    case 'replay:forward': return seek(10_000);
    case 'replay:backMore': return seek(-60_000);
    case 'replay:forwardMore': return seek(60_000);
    case 'replay:start': return { action: 'seek', wallMs: st.startWallMs };
    case 'replay:nextEvent': return { action: 'nextEvent' };
    default: return null;
  }
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function span(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** The one-line state shown in a face's header or footer: `REPLAY 17:02:11 (2m10s of 1h00m) 4x playing`. */
export function replayBadge(st: ReplayStatus): string {
  const state = st.atEnd ? 'at the end' : st.playing ? 'playing' : 'paused';
  const res = st.downsampled ? ' per-minute (downsampled)' : '';
  return `REPLAY ${clock(st.positionWallMs)} (${span(st.positionWallMs - st.startWallMs)} of ${span(st.endWallMs - st.startWallMs)}) ${st.speed}x ${state}${res}`;
}

/** The replay panel: a timeline `[----|--*-----|---]` (| = event, * = position), then the events. */
export function replayLines(st: ReplayStatus, width = 60): string[] {
  const w = Math.max(10, width);
  const total = Math.max(1, st.endWallMs - st.startWallMs);
  const at = (t: number): number => Math.min(w - 1, Math.max(0, Math.round(((t - st.startWallMs) / total) * (w - 1))));
  const bar = new Array<string>(w).fill('-');
  // the downsampled stretch (one snapshot per minute) is drawn with '='
  const fullFrom = st.fullFromWallMs ?? null; // absent from an older daemon
  if (fullFrom !== null) for (let i = 0; i < at(fullFrom); i++) bar[i] = '=';
  for (const e of st.events) bar[at(e.wallMs)] = '|';
  bar[at(st.positionWallMs)] = '*';
  const lines = [
    replayBadge(st),
    `${clock(st.startWallMs)} [${bar.join('')}] ${clock(st.endWallMs)}`,
    `sample ${st.index + 1} of ${st.count}   file ${st.file}`,
    ...(fullFrom !== null ? [`= downsampled until ${clock(fullFrom)}: one snapshot per minute (rates are minute averages)`] : []),
    '',
    st.events.length === 0 ? 'no tuning events were recorded' : `${st.events.length} recorded event(s) (e jumps to the next):`,
  ];
  for (const e of st.events) lines.push(`${e.wallMs <= st.positionWallMs ? ' ' : '>'} ${clock(e.wallMs)} ${e.summary}`);
  return lines;
}
