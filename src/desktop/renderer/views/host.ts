// Owns the host overview strip: host CPU and memory, KSM, hugepages, PSI and one line per NUMA node,
// drawn from the hostOverview view-model (bars where the model gives a fill).

import type { Snapshot } from '../../../engine/model/snapshot.js';
import { hostOverview, type OverviewCell } from '../../../engine/present/host-overview.js';
import { clear, h, setText } from '../dom.js';

function bar(fill: number | null): HTMLElement {
  const b = h('div', { class: 'bar' }, h('div', { class: 'bar-fill' }));
  (b.firstChild as HTMLElement).style.width = fill === null ? '0' : `${(fill * 100).toFixed(1)}%`;
  if (fill === null) b.classList.add('unknown');
  return b;
}

export class HostView {
  readonly el = h('section', { class: 'host', id: 'host' });
  private readonly title = h('h1', { class: 'host-title' });
  private readonly cells = h('div', { class: 'host-cells' });
  private readonly nodes = h('table', { class: 'nodes' });
  private readonly errors = h('div', { class: 'host-errors' });

  constructor() {
    this.el.append(this.title, this.cells, this.nodes, this.errors);
  }

  update(s: Snapshot): void {
    const o = hostOverview(s);
    setText(this.title, `${o.title} · ${o.guests} guests · ${o.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`);
    this.title.classList.toggle('demo', o.demo);
    clear(this.cells);
    for (const c of o.cells) this.cells.append(this.cell(c));
    clear(this.nodes);
    this.nodes.append(h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'CPUs'), h('th', {}, 'CPU'), h('th', {}, ''), h('th', {}, 'Memory used'), h('th', {}, ''), h('th', {}, 'Hugepages')));
    for (const n of o.nodes) {
      this.nodes.append(h('tr', {}, h('td', {}, String(n.node)), h('td', {}, n.cpus), h('td', { class: 'num' }, n.cpu), h('td', {}, bar(n.cpuFill)),
        h('td', { class: 'num' }, n.mem), h('td', {}, bar(n.memFill)), h('td', {}, n.hugepages)));
    }
    clear(this.errors);
    for (const e of o.errors.slice(0, 3)) this.errors.append(h('div', {}, `! ${e}`));
    if (o.errors.length > 3) this.errors.append(h('div', {}, `… ${o.errors.length - 3} more`));
  }

  private cell(c: OverviewCell): HTMLElement {
    return h('div', { class: 'cell' }, h('div', { class: 'cell-label' }, c.label), h('div', { class: 'cell-value' }, c.text), c.fill === null ? null : bar(c.fill));
  }
}
