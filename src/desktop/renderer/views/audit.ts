// Owns the audit view: the change journal (with revert countdowns, Keep and Undo per applied change)
// and the newest audit log entries, as rows from present/plan-steps.

import type { ChangeRecord } from '../../../engine/model/tuning.js';
import type { EngineApi } from '../../../engine/protocol/api.js';
import { auditRows, changeRows } from '../../../engine/present/plan-steps.js';
import { clear, h } from '../dom.js';

export class AuditView {
  readonly el = h('section', { class: 'audit', id: 'audit' });
  private readonly body = h('div');
  private changes: ChangeRecord[] = [];

  constructor(private readonly engine: () => EngineApi | null) {
    this.el.append(h('div', { class: 'toolbar' }, h('button', { onclick: () => void this.load() }, 'Refresh')), this.body);
  }

  async load(): Promise<void> {
    const e = this.engine();
    if (!e) return;
    const [changes, audit] = await Promise.allSettled([e.changes(), e.auditLog(200)]);
    clear(this.body);
    this.body.append(h('h3', {}, 'Changes'));
    if (changes.status === 'fulfilled') {
      this.changes = changes.value;
      const t = h('table', { class: 'list', id: 'changes' }, h('tr', {}, ...['change', 'guest', 'applied', 'state', 'steps', 'revert', ''].map((x) => h('th', {}, x))));
      for (const r of changeRows(this.changes, Date.now()).reverse()) {
        const act = h('td');
        if (r.state === 'applied') {
          act.append(h('button', { onclick: () => void e.undo(r.changeId).then(() => this.load(), (err: Error) => alertRow(act, err)) }, 'Undo'));
          if (r.revert) act.append(h('button', { onclick: () => void e.keep(r.changeId).then(() => this.load(), (err: Error) => alertRow(act, err)) }, 'Keep'));
        }
        t.append(h('tr', {}, h('td', {}, r.changeId), h('td', {}, r.guest), h('td', {}, r.appliedAt), h('td', {}, r.state), h('td', { class: 'num' }, String(r.steps)), h('td', {}, r.revert), act));
      }
      this.body.append(t);
    } else this.body.append(h('p', { class: 'warning' }, (changes.reason as Error).message));
    this.body.append(h('h3', {}, 'Audit log (newest last)'));
    if (audit.status === 'fulfilled') {
      const t = h('table', { class: 'list', id: 'audit-log' }, h('tr', {}, ...['time', 'who', 'guest', 'action', 'what', 'old → new', 'result'].map((x) => h('th', {}, x))));
      for (const r of auditRows(audit.value)) t.append(h('tr', {}, h('td', {}, r.time), h('td', {}, r.who), h('td', {}, r.guest), h('td', {}, r.action), h('td', {}, r.what), h('td', {}, r.change), h('td', {}, r.result)));
      this.body.append(t);
    } else this.body.append(h('p', { class: 'warning' }, (audit.reason as Error).message));
  }

  destroy(): void { this.el.remove(); }
}

function alertRow(td: HTMLElement, err: Error): void { td.append(h('span', { class: 'warning' }, ` ${err.message}`)); }
