// Owns the tuning dialog: the knobs of present/tuning-form.ts (the TUI's tuning panel) validated as you
// type through the `virtune tune` grammar (knobRequest / parseTuneOptions, the CLI's own parser), a plan preview with old and new values, confirm and
// apply, the auto-revert countdown with Keep, and Undo. Nothing is sent before the form is valid.
// A list knob (--vcpu-pin, --io, --disk-throttle, --net, repeatable on the command line) is a text area
// taking one spec per line, each checked on its own (checkSpecs) with its error shown under the field.

import type { GuestSnap } from '../../../engine/model/snapshot.js';
import type { Plan, TuningRequest } from '../../../engine/model/tuning.js';
import { parseTuneOptions, type TuneOptions } from '../../../engine/model/tuning-parse.js';
import { planPreview } from '../../../engine/present/plan-preview.js';
import { checkSpecs, knobRequest, revertCountdown, splitSpecs, TUNING_KNOBS, type KnobDef } from '../../../engine/present/tuning-form.js';
import type { EngineApi } from '../../../engine/protocol/api.js';
import { clear, h, setText } from '../dom.js';

type FieldKey = KnobDef['id'] | 'revertAfter';
type Field = HTMLInputElement | HTMLTextAreaElement;

/** the knobs of present/tuning-form.ts (the TUI's tuning panel) plus the auto-revert timer */
const REVERT: KnobDef = { id: 'revertAfter' as KnobDef['id'], label: 'auto-revert after', flag: '--revert-after', example: 'seconds, e.g. 60; empty = keep', current: () => '-' };
const FIELDS: readonly KnobDef[] = [...TUNING_KNOBS, REVERT];

export interface TuneEvents { close(): void; changed(plan: Plan): void }

export class TuneDialog {
  readonly el: HTMLElement;
  private readonly inputs = new Map<FieldKey, Field>();
  private readonly errors = new Map<FieldKey, HTMLElement>();
  private readonly preview = h('div', { class: 'plan', id: 'plan' });
  private readonly status = h('div', { class: 'status', id: 'tune-status' });
  private readonly previewBtn = h('button', { id: 'tune-preview', class: 'primary', disabled: true }, 'Preview');
  private readonly applyBtn = h('button', { id: 'tune-apply', class: 'danger', disabled: true }, 'Apply');
  private readonly actions = h('div', { class: 'applied-actions' });
  private request: TuningRequest | null = null;
  private previewed: string | null = null;
  private applied: Plan | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly engine: () => EngineApi | null, private readonly g: GuestSnap, private readonly ev: TuneEvents) {
    const form = h('div', { class: 'fields' });
    for (const f of FIELDS) {
      const key = f.id as FieldKey;
      const hint = f === REVERT ? f.example
        : f.list ? `${f.flag}: one spec per line, e.g. ${f.example} (now: ${f.current(g)})` : `${f.flag}: ${f.example} (now: ${f.current(g)})`;
      const attrs = { name: key, id: `field-${key}`, autocomplete: 'off', spellcheck: 'false', placeholder: hint };
      const input: Field = f.list ? h('textarea', { ...attrs, rows: 1, class: 'specs' }) : h('input', attrs);
      const err = h('div', { class: 'field-error', 'data-field': key });
      input.addEventListener('input', () => {
        if (input instanceof HTMLTextAreaElement) input.rows = Math.min(6, Math.max(1, input.value.split('\n').length));
        this.validate();
      });
      // Enter previews; in a list field Enter starts the next spec and Ctrl+Enter previews
      input.addEventListener('keydown', (e) => {
        const ev = e as KeyboardEvent;
        if (ev.key === 'Enter' && (!(input instanceof HTMLTextAreaElement) || ev.ctrlKey) && !this.previewBtn.disabled) { ev.preventDefault(); void this.doPreview(); }
      });
      this.inputs.set(key, input);
      this.errors.set(key, err);
      form.append(h('label', { for: `field-${key}` }, f.label), h('div', {}, input, err));
    }
    this.previewBtn.addEventListener('click', () => void this.doPreview());
    this.applyBtn.addEventListener('click', () => void this.doApply());
    this.el = h('div', { class: 'modal', id: 'tune-dialog', role: 'dialog', 'aria-label': `Tune ${g.name}` },
      h('div', { class: 'modal-box' },
        h('h2', {}, `Tune ${g.name} `, h('span', { class: 'muted' }, g.id)),
        form,
        h('div', { class: 'buttons' }, this.previewBtn, this.applyBtn, h('button', { onclick: () => ev.close() }, 'Close (Esc)')),
        this.preview, this.status, this.actions));
  }

  focus(): void { this.inputs.get('cpuQuota')?.focus(); }

  private options(): TuneOptions {
    const o: Record<string, unknown> = {};
    for (const [k, input] of this.inputs) {
      const v = input.value.trim();
      if (v === '') continue;
      o[k] = FIELDS.find((f) => f.id === k)?.list ? splitSpecs(v) : v;
    }
    return o as TuneOptions;
  }

  /** inline validation: each field alone through the shared grammar, then the whole request */
  validate(): void {
    this.request = null;
    let ok = true;
    let any = false;
    for (const [k, input] of this.inputs) {
      const v = input.value.trim();
      const err = this.errors.get(k)!;
      if (v === '') { setText(err, ''); input.classList.remove('invalid'); continue; }
      if (k !== 'revertAfter') any = true;
      const knob = FIELDS.find((f) => f.id === k)!;
      // each field alone through the CLI's grammar (the revert timer needs some change to go with);
      // a list field spec by spec, every bad one named
      let message: string | null;
      if (knob.list) {
        const specs = checkSpecs(knob, v, this.g.id);
        const bad = specs.filter((x) => x.message !== null);
        message = bad.length === 0 ? null : bad.map((x) => (specs.length > 1 ? `spec ${x.n}: ${x.message}` : x.message)).join('\n');
      } else {
        const r = knob === REVERT ? knobRequest(TUNING_KNOBS.find((x) => x.id === 'cpuPeriod')!, '100000', this.g.id, v) : knobRequest(knob, v, this.g.id);
        message = r.ok ? null : r.message;
      }
      if (message === null) {
        setText(err, '');
        input.classList.remove('invalid');
      } else {
        ok = false;
        setText(err, message);
        input.classList.add('invalid');
      }
    }
    if (ok && any) {
      try { this.request = parseTuneOptions(this.g.id, this.options()); } catch (e) { ok = false; setText(this.status, (e as Error).message); }
    }
    if (ok) setText(this.status, '');
    this.previewBtn.disabled = !(ok && any && this.request);
    const key = this.request ? JSON.stringify(this.request) : null;
    this.applyBtn.disabled = key === null || key !== this.previewed;
  }

  private async doPreview(): Promise<void> {
    const e = this.engine();
    const req = this.request;
    if (!e || !req) return;
    setText(this.status, 'planning…');
    try {
      const plan = await e.previewTuning(req);
      this.showPlan(plan, 'Plan (nothing changed yet)');
      this.previewed = JSON.stringify(req);
      setText(this.status, 'Check the plan, then Apply.');
    } catch (err) {
      clear(this.preview);
      this.previewed = null;
      setText(this.status, `refused: ${(err as Error).message}`);
    }
    this.validate();
  }

  private showPlan(plan: Plan, caption: string): void {
    clear(this.preview);
    const vm = planPreview(plan);
    const table = h('table', { id: 'plan-table' }, h('caption', {}, `${caption} — ${vm.title}`), h('tr', {}, h('th', {}, 'what'), h('th', {}, 'old'), h('th', {}, 'new')));
    for (const r of vm.steps) table.append(h('tr', { title: r.text }, h('td', {}, r.where), h('td', { class: 'old' }, r.from), h('td', { class: 'new' }, r.to)));
    if (vm.empty) table.append(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'nothing to change')));
    this.preview.append(table);
    for (const w of vm.warnings) this.preview.append(h('div', { class: 'warning' }, `⚠ ${w}`));
  }

  private async doApply(): Promise<void> {
    const e = this.engine();
    const req = this.request;
    if (!e || !req || JSON.stringify(req) !== this.previewed) return;
    this.applyBtn.disabled = true;
    setText(this.status, 'applying…');
    try {
      const plan = await e.applyTuning(req);
      this.applied = plan;
      this.showPlan(plan, `Applied: change ${plan.changeId ?? '-'}`);
      setText(this.status, `applied change ${plan.changeId ?? '-'}`);
      this.ev.changed(plan);
      this.showApplied();
    } catch (err) {
      setText(this.status, `failed: ${(err as Error).message}`);
    }
  }

  private showApplied(): void {
    clear(this.actions);
    const p = this.applied;
    if (!p?.changeId) return;
    const countdown = h('span', { class: 'countdown', id: 'revert-countdown' });
    const tick = (): void => { const left = revertCountdown(p.revertAt ?? null, Date.now()); setText(countdown, p.revertAt ? (left ? `reverts in ${left}` : 'reverting…') : ''); };
    tick();
    if (this.timer) clearInterval(this.timer);
    if (p.revertAt) this.timer = setInterval(tick, 500);
    const keep = h('button', { id: 'tune-keep', disabled: !p.revertAt }, 'Keep (K)');
    keep.addEventListener('click', () => void this.keep());
    const undo = h('button', { id: 'tune-undo', class: 'danger' }, 'Undo (u)');
    undo.addEventListener('click', () => void this.undo());
    this.actions.append(countdown, keep, undo);
  }

  async keep(): Promise<void> {
    const e = this.engine();
    const id = this.applied?.changeId;
    if (!e || !id) return;
    try {
      await e.keep(id);
      if (this.timer) clearInterval(this.timer);
      setText(this.status, `change ${id} kept (no auto-revert)`);
      const c = this.actions.querySelector('.countdown');
      if (c) c.textContent = 'kept';
    } catch (err) { setText(this.status, `keep failed: ${(err as Error).message}`); }
  }

  async undo(): Promise<void> {
    const e = this.engine();
    const id = this.applied?.changeId;
    if (!e || !id) return;
    try {
      const plan = await e.undo(id);
      if (this.timer) clearInterval(this.timer);
      this.showPlan(plan, `Undone: change ${id}`);
      clear(this.actions);
      setText(this.status, `change ${id} undone`);
      this.applied = null;
      this.ev.changed(plan);
    } catch (err) { setText(this.status, `undo failed: ${(err as Error).message}`); }
  }

  get appliedChange(): string | null { return this.applied?.changeId ?? null; }

  destroy(): void { if (this.timer) clearInterval(this.timer); this.el.remove(); }
}
