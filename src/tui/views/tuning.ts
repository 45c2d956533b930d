// Owns the tuning panel's state and text: the knob list with the guest's current values, the line
// editor, inline validation errors, the plan preview (old -> new per step) with its confirm prompt,
// the optional revert timer, and the read-only explanation. A list knob (--io, --net, ...) takes several
// specs on its one line, separated by ';'. Validation is the command line's
// (engine/present/tuning-form.ts); the app calls the engine.

import type { GuestSnap } from '../../engine/model/snapshot.js';
import type { Plan, TuningRequest } from '../../engine/model/tuning.js';
import { planPreview } from '../../engine/present/plan-preview.js';
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
  preview: { request: TuningRequest; plan: Plan } | null;
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
  // with a preview or the editor open, only the chosen knob is listed (the panel fits 80x24)
  const compact = st.preview !== null || st.editing !== null;
  TUNING_KNOBS.forEach((k, i) => {
    if (compact && i !== st.knob) return;
    const cur = g ? k.current(g) : '-';
    const text = `${k.label.padEnd(22)} ${k.flag.padEnd(16)} now ${cur}`;
    lines.push(i === st.knob ? t.inverse(esc(`> ${text}`.slice(0, width).padEnd(Math.min(width, 70)))) : esc(`  ${text}`.slice(0, width)));
  });
  const k = TUNING_KNOBS[st.knob];
  lines.push(`revert after: ${st.revertAfter === '' ? 'off' : `${esc(st.revertAfter)} s`}  (T sets it)`);
  if (st.editing) {
    const what = st.editing === 'revert' ? 'revert after (seconds, empty = off)'
      : `${k?.flag ?? ''} (e.g. ${k?.example ?? ''}${k?.list ? '; several specs separated by ;' : ''})`;
    lines.push('', `${esc(what)}:`, `${t.inverse(esc(st.buffer) + ' ')}`, 'enter previews, escape cancels');
  }
  if (st.error) lines.push('', ...wrapLine(st.error, width, 2).map((l) => t.fg(esc(l), 'red')));
  if (st.busy) lines.push('', 'asking the engine…');
  if (st.preview) {
    lines.push('', ...previewLines(t, st.preview.plan, width), t.bold('y applies, escape cancels'));
  } else if (!st.editing) {
    lines.push('', 'up/down choose, enter types a value and previews the plan, escape closes');
  }
  return lines;
}

/** Cut a line into pieces of at most `width` characters, continuation lines indented. */
export function wrapLine(text: string, width: number, indent = 6): string[] {
  const w = Math.max(10, width);
  if (text.length <= w) return [text];
  const out = [text.slice(0, w)];
  for (let i = w; i < text.length; i += w - indent) out.push(' '.repeat(indent) + text.slice(i, i + w - indent));
  return out;
}

/** The plan preview: per step the file (or command) with old -> new, then where it is, wrapped. */
export function previewLines(t: Theme, plan: Plan, width: number): string[] {
  const vm = planPreview(plan);
  const lines = [esc(vm.title)];
  vm.steps.forEach((s, i) => {
    if (s.kind === 'exec') { lines.push(...wrapLine(`  ${i + 1}. ${s.where}`, width).map(esc)); return; }
    lines.push(...wrapLine(`  ${i + 1}. ${s.target}: ${s.from} -> ${s.to}`, width).map((l) => t.bold(esc(l))));
    lines.push(...wrapLine(`      ${s.where}`, width).map(esc));
  });
  if (vm.empty) lines.push('  (nothing to change)');
  for (const w of vm.warnings) lines.push(...wrapLine(`  warning: ${w}`, width).map((l) => t.fg(esc(l), 'yellow')));
  return lines;
}
