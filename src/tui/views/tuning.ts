// Owns the tuning panel's state and text: the knob list with the guest's current values, the line
// editor, inline validation errors, the plan preview (old -> new per step) with its confirm prompt,
// the optional revert timer, and the read-only explanation. Validation is the command line's
// (engine/present/tuning-form.ts); the app calls the engine.

import type { GuestSnap } from '../../engine/model/snapshot.js';
import type { TuningRequest } from '../../engine/model/tuning.js';
import { TUNING_KNOBS } from '../../engine/present/tuning-form.js';
import { esc, type Theme } from '../theme.js';

export interface TuningState {
  guestId: string;
  knob: number;
  /** what the line editor is typing into, null when closed */
  editing: 'knob' | 'revert' | null;
  buffer: string;
  /** seconds for --revert-after, '' = none */
  revertAfter: string;
  error: string | null;
  preview: { request: TuningRequest; lines: string[] } | null;
  busy: boolean;
}

export function newTuning(guestId: string): TuningState {
  return { guestId, knob: 0, editing: null, buffer: '', revertAfter: '', error: null, preview: null, busy: false };
}

export function tuningLines(t: Theme, st: TuningState, g: GuestSnap | null, readOnly: boolean, width: number): string[] {
  const lines: string[] = [t.bold(`tune ${esc(g?.name ?? st.guestId)}`) + `  (${esc(st.guestId)})`];
  if (readOnly) {
    lines.push('', t.fg('tuning is unavailable: this engine is read-only.', 'yellow'),
      'Start virtune with --write (root), or --connect to the read-write socket of `virtune serve`.', '', 'escape closes this panel');
    return lines;
  }
  lines.push('');
  TUNING_KNOBS.forEach((k, i) => {
    const cur = g ? k.current(g) : '-';
    const text = `${k.label.padEnd(22)} ${k.flag.padEnd(16)} now ${cur}`;
    lines.push(i === st.knob ? t.inverse(esc(`> ${text}`.padEnd(Math.min(width, 70)))) : esc(`  ${text}`));
  });
  const k = TUNING_KNOBS[st.knob];
  lines.push('', `revert after: ${st.revertAfter === '' ? 'off' : `${esc(st.revertAfter)} s`}  (T sets it)`);
  if (st.editing) {
    const what = st.editing === 'revert' ? 'revert after (seconds, empty = off)' : `${k?.flag ?? ''} (e.g. ${k?.example ?? ''})`;
    lines.push('', `${esc(what)}: ${t.inverse(esc(st.buffer) + ' ')}`, 'enter previews, escape cancels');
  }
  if (st.error) lines.push('', t.fg(esc(st.error), 'red'));
  if (st.busy) lines.push('', 'asking the engine…');
  if (st.preview) {
    lines.push('', t.bold('preview:'), ...st.preview.lines.map(esc), '', t.bold('y applies, escape cancels'));
  } else if (!st.editing) {
    lines.push('', 'up/down choose, enter types a value and previews the plan, escape closes');
  }
  return lines;
}
