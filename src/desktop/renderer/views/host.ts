// Owns the host overview strip: the shared host header view-model (present/host-header.ts, the same
// the TUI draws): title (with the host's uptime) and badges, host CPU and memory bars, one line per NUMA
// node, KSM, hugepage pools per size and node, PSI, and the engine's own sample cost. Built once and
// updated in place every snapshot (only changed text and bar widths are written), so the strip does not
// make the browser lay out the whole page again each second.

import type { Snapshot } from '../../../engine/model/snapshot.js';
import { hostHeader, type Bar, type HeaderContext, type HeaderStatus } from '../../../engine/present/host-header.js';
import { h, setText, syncChildren } from '../dom.js';

class BarEl {
  readonly fill = h('div', { class: 'bar-fill' });
  readonly el = h('div', { class: 'bar' }, this.fill);
  private width = '';

  set(b: Bar): void {
    if (this.el.title !== b.label) this.el.title = b.label;
    const w = b.frac === null ? '0' : `${(b.frac * 100).toFixed(1)}%`;
    if (w !== this.width) { this.width = w; this.fill.style.width = w; }
    this.el.classList.toggle('unknown', b.frac === null);
  }
}

/** one host cell: label, value and bar */
class Cell {
  readonly value = h('div', { class: 'cell-value' });
  readonly bar = new BarEl();
  readonly el: HTMLElement;
  constructor(label: string) { this.el = h('div', { class: 'cell' }, h('div', { class: 'cell-label' }, label), this.value, this.bar.el); }
  set(b: Bar): void { setText(this.value, b.text); this.bar.set(b); }
}

/** one NUMA node row: node, CPUs, CPU text and bar, memory text and bar */
interface NodeRow { tr: HTMLTableRowElement; node: HTMLElement; cpus: HTMLElement; cpuText: HTMLElement; cpu: BarEl; memText: HTMLElement; mem: BarEl }

export class HostView {
  readonly el = h('section', { class: 'host', id: 'host' });
  private readonly titleText = document.createTextNode('');
  private readonly badges = h('span', { class: 'host-badges' });
  private readonly title = h('h1', { class: 'host-title' }, this.titleText);
  private readonly cpu = new Cell('CPU (100% = one CPU)');
  private readonly mem = new Cell('Memory used');
  private readonly cells = h('div', { class: 'host-cells' }, this.cpu.el, this.mem.el);
  private readonly nodeRows = h('tbody');
  private readonly nodes = h('table', { class: 'nodes' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'CPUs'), h('th', {}, 'CPU'), h('th', {}, ''), h('th', {}, 'Memory used'), h('th', {}, ''))),
    this.nodeRows);
  private readonly rows: NodeRow[] = [];
  private readonly lines = h('div', { class: 'host-lines' });
  private readonly errors = h('div', { class: 'host-errors' });

  constructor() {
    this.el.append(this.title, this.cells, this.nodes, this.lines, this.errors);
  }

  private nodeRow(i: number): NodeRow {
    let r = this.rows[i];
    if (r) return r;
    const cpu = new BarEl();
    const mem = new BarEl();
    const node = h('td');
    const cpus = h('td');
    const cpuText = h('td', { class: 'num' });
    const memText = h('td', { class: 'num' });
    r = { tr: h('tr', {}, node, cpus, cpuText, h('td', {}, cpu.el), memText, h('td', {}, mem.el)), node, cpus, cpuText, cpu, memText, mem };
    this.rows[i] = r;
    return r;
  }

  update(s: Snapshot, status: HeaderStatus | null, ctx: HeaderContext = {}): void {
    const vm = hostHeader(s, status, ctx);
    if (this.titleText.data !== vm.title) this.titleText.data = vm.title;
    syncChildren(this.badges, vm.badges.length, () => h('span', { class: 'badge' })).forEach((b, i) => setText(b, vm.badges[i]!));
    if (vm.badges.length > 0 && !this.badges.isConnected) this.title.append(this.badges);
    else if (vm.badges.length === 0 && this.badges.isConnected) this.badges.remove();
    this.title.classList.toggle('demo', s.demo);
    this.cpu.set(vm.cpu);
    this.mem.set(vm.mem);
    vm.nodes.forEach((n, i) => {
      const r = this.nodeRow(i);
      setText(r.node, String(n.node));
      setText(r.cpus, n.cpus);
      setText(r.cpuText, n.cpu.text);
      r.cpu.set(n.cpu);
      setText(r.memText, n.mem.text);
      r.mem.set(n.mem);
      if (r.tr.parentNode !== this.nodeRows || this.nodeRows.children[i] !== r.tr) this.nodeRows.insertBefore(r.tr, this.nodeRows.children[i] ?? null);
    });
    while (this.nodeRows.children.length > vm.nodes.length) this.nodeRows.lastElementChild!.remove();
    const lines = [vm.ksm, ...vm.hugepages, vm.psi, vm.cost, s.timestamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z')];
    syncChildren(this.lines, lines.length, () => h('span')).forEach((el, i) => setText(el, lines[i]!));
    const errs = s.errors.map((e) => `${e.source}${e.guest ? ` ${e.guest}` : ''}: ${e.message}`);
    const shown = errs.slice(0, 3).map((e) => `! ${e}`);
    if (errs.length > 3) shown.push(`… ${errs.length - 3} more`);
    syncChildren(this.errors, shown.length, () => h('div')).forEach((el, i) => setText(el, shown[i]!));
  }
}
