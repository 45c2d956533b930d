// Owns the advisor view: NUMA placement advice for the selected guest (or a need typed as
// VCPUS:MIB), host-wide moves, and the lint findings, as tables from present/advice-rows.

import type { EngineApi } from '../../../engine/protocol/api.js';
import { adviceRows, hostMoveRows, lintRows } from '../../../engine/present/advice-rows.js';
import { clear, h } from '../dom.js';

function table(id: string, head: string[], rows: string[][]): HTMLElement {
  const t = h('table', { id, class: 'list' }, h('tr', {}, ...head.map((x) => h('th', {}, x))));
  for (const r of rows) t.append(h('tr', {}, ...r.map((x) => h('td', {}, x))));
  if (rows.length === 0) t.append(h('tr', {}, h('td', { colspan: head.length, class: 'muted' }, 'none')));
  return t;
}

export class AdviceView {
  readonly el = h('section', { class: 'advice', id: 'advice' });
  private readonly body = h('div');
  private readonly need = h('input', { placeholder: 'or a need: VCPUS:MIB, e.g. 4:8192', id: 'advice-need' });

  constructor(private readonly engine: () => EngineApi | null, private guest: string | null) {
    this.need.addEventListener('keydown', (e) => { e.stopPropagation(); if (e.key === 'Enter') void this.load(); });
    this.el.append(h('div', { class: 'toolbar' }, h('button', { onclick: () => void this.load() }, 'Refresh'), this.need), this.body);
  }

  async load(): Promise<void> {
    const e = this.engine();
    if (!e) return;
    clear(this.body);
    const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+)\s*$/.exec(this.need.value);
    const req = m ? { need: { vcpus: Number(m[1]), memMiB: Number(m[2]) } } : this.guest ? { guest: this.guest } : null;
    const [advice, moves, lint] = await Promise.allSettled([req ? e.advise(req) : Promise.resolve(null), e.adviseHost(), e.lint()]);
    if (advice.status === 'fulfilled' && advice.value) {
      const a = adviceRows(advice.value);
      this.body.append(h('h3', {}, a.title), h('p', { class: a.fits ? 'ok' : 'warning' }, a.summary),
        table('advice-nodes', ['node', 'free memory', 'free CPU', 'score', 'chosen'], a.nodes));
    } else if (advice.status === 'rejected') this.body.append(h('p', { class: 'warning' }, `advice: ${(advice.reason as Error).message}`));
    else this.body.append(h('p', { class: 'muted' }, 'Select a guest (or type a need) for placement advice.'));
    this.body.append(h('h3', {}, 'Host-wide moves'));
    if (moves.status === 'fulfilled') this.body.append(table('advice-moves', ['guest', 'from nodes', 'to nodes', 'moves', 'gain', 'why'], hostMoveRows(moves.value)));
    else this.body.append(h('p', { class: 'warning' }, (moves.reason as Error).message));
    this.body.append(h('h3', {}, 'Lint'));
    if (lint.status === 'fulfilled') this.body.append(table('lint', ['severity', 'guest', 'rule', 'finding', 'suggestion'], lintRows(lint.value)));
    else this.body.append(h('p', { class: 'warning' }, (lint.reason as Error).message));
  }

  setGuest(id: string | null): void { this.guest = id; }
  destroy(): void { this.el.remove(); }
}
