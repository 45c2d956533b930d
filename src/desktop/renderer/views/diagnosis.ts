// Owns the diagnosis view ("why is this guest slow?"): EngineApi.diagnose over the engine's history for
// the selected guest, drawn from present/diagnosis.ts's panel (the same the CLI `why` and the TUI show):
// verdict, ranked causes with their share, evidence and fix, and the noisy neighbours.

import type { EngineApi } from '../../../engine/protocol/api.js';
import { diagnosisPanel } from '../../../engine/present/diagnosis.js';
import { clear, h } from '../dom.js';

const WINDOW_SEC = 30;

export class DiagnosisView {
  readonly el = h('section', { class: 'diagnosis', id: 'diagnosis' });
  private readonly body = h('div');

  constructor(private readonly engine: () => EngineApi | null, private guest: string | null) {
    this.el.append(h('div', { class: 'toolbar' }, h('button', { onclick: () => void this.load() }, 'Refresh'), h('span', { class: 'muted' }, `over the last ${WINDOW_SEC} s of history`)), this.body);
  }

  setGuest(id: string | null): void { this.guest = id; }

  async load(): Promise<void> {
    const e = this.engine();
    clear(this.body);
    if (!e) return;
    if (!this.guest) { this.body.append(h('p', { class: 'muted' }, 'Select a guest in the table first.')); return; }
    try {
      const p = diagnosisPanel(await e.diagnose(this.guest, WINDOW_SEC));
      this.body.append(h('h3', { class: `sev-${p.severity}` }, `${p.title} — ${p.verdictLabel}`), h('p', { class: 'muted' }, p.window));
      const causes = h('table', { class: 'list', id: 'diagnosis-causes' }, h('tr', {}, ...['cause', 'share', '', 'evidence', 'fix'].map((x) => h('th', {}, x))));
      for (const c of p.causes) {
        const bar = h('div', { class: 'bar' }, h('div', { class: 'bar-fill' }));
        (bar.firstChild as HTMLElement).style.width = `${(c.bar * 100).toFixed(0)}%`;
        causes.append(h('tr', {}, h('td', {}, c.label), h('td', { class: 'num' }, c.sharePct), h('td', {}, bar), h('td', {}, c.evidence), h('td', { class: 'mono' }, c.fix ?? '')));
      }
      if (p.causes.length === 0) causes.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'no cause explains 10 % or more')));
      this.body.append(causes, h('h3', {}, 'Noisy neighbours'));
      const nb = h('table', { class: 'list', id: 'diagnosis-neighbours' }, h('tr', {}, ...['guest', 'resource', 'share', 'evidence'].map((x) => h('th', {}, x))));
      for (const n of p.neighbours) nb.append(h('tr', {}, h('td', {}, `${n.name} (${n.guest})`), h('td', {}, n.resource), h('td', { class: 'num' }, n.sharePct), h('td', {}, n.evidence)));
      if (p.neighbours.length === 0) nb.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'none')));
      this.body.append(nb);
    } catch (err) {
      this.body.append(h('p', { class: 'warning' }, `diagnosis: ${(err as Error).message}`));
    }
  }

  destroy(): void { this.el.remove(); }
}
