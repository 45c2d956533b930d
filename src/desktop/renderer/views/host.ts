// Owns the host overview strip: the shared host header view-model (present/host-header.ts, the same
// the TUI draws): title and badges, host CPU and memory bars, one line per NUMA node, KSM, hugepage
// pools per size and node, PSI, and the engine's own sample cost.

import type { Snapshot } from '../../../engine/model/snapshot.js';
import { hostHeader, type Bar, type HeaderContext, type HeaderStatus } from '../../../engine/present/host-header.js';
import { clear, h } from '../dom.js';

function bar(b: Bar): HTMLElement {
  const el = h('div', { class: 'bar', title: b.label }, h('div', { class: 'bar-fill' }));
  (el.firstChild as HTMLElement).style.width = b.frac === null ? '0' : `${(b.frac * 100).toFixed(1)}%`;
  if (b.frac === null) el.classList.add('unknown');
  return el;
}

export class HostView {
  readonly el = h('section', { class: 'host', id: 'host' });
  private readonly title = h('h1', { class: 'host-title' });
  private readonly cells = h('div', { class: 'host-cells' });
  private readonly nodes = h('table', { class: 'nodes' });
  private readonly lines = h('div', { class: 'host-lines' });
  private readonly errors = h('div', { class: 'host-errors' });

  constructor() {
    this.el.append(this.title, this.cells, this.nodes, this.lines, this.errors);
  }

  update(s: Snapshot, status: HeaderStatus | null, ctx: HeaderContext = {}): void {
    const vm = hostHeader(s, status, ctx);
    clear(this.title);
    this.title.append(vm.title, ...(vm.badges.length ? [h('span', { class: 'host-badges' }, ...vm.badges.map((b) => h('span', { class: 'badge' }, b)))] : []));
    this.title.classList.toggle('demo', s.demo);
    clear(this.cells);
    for (const b of [vm.cpu, vm.mem]) {
      this.cells.append(h('div', { class: 'cell' }, h('div', { class: 'cell-label' }, b.label === 'cpu' ? 'CPU (100% = one CPU)' : 'Memory used'), h('div', { class: 'cell-value' }, b.text), bar(b)));
    }
    clear(this.nodes);
    this.nodes.append(h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'CPUs'), h('th', {}, 'CPU'), h('th', {}, ''), h('th', {}, 'Memory used'), h('th', {}, '')));
    for (const n of vm.nodes) {
      this.nodes.append(h('tr', {}, h('td', {}, String(n.node)), h('td', {}, n.cpus), h('td', { class: 'num' }, n.cpu.text), h('td', {}, bar(n.cpu)),
        h('td', { class: 'num' }, n.mem.text), h('td', {}, bar(n.mem))));
    }
    clear(this.lines);
    for (const t of [vm.ksm, ...vm.hugepages, vm.psi, vm.cost, s.timestamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z')]) this.lines.append(h('span', {}, t));
    clear(this.errors);
    const errs = s.errors.map((e) => `${e.source}${e.guest ? ` ${e.guest}` : ''}: ${e.message}`);
    for (const e of errs.slice(0, 3)) this.errors.append(h('div', {}, `! ${e}`));
    if (errs.length > 3) this.errors.append(h('div', {}, `… ${errs.length - 3} more`));
  }
}
