// Owns the text of the host header box: title and badges, host CPU/memory bars, per-NUMA-node bars
// (two nodes per line when there is room), then KSM, hugepage pools, PSI and the engine's sample cost,
// wrapped to the width. Draws the HostHeaderVM only.

import type { Bar, HostHeaderVM } from '../../engine/present/host-header.js';
import { textBar } from '../../engine/present/host-header.js';
import { esc, type Theme } from '../theme.js';

const BAR = 10;

function bar(t: Theme, b: Bar, labelW: number): string {
  const col = b.frac === null ? 'white' : b.frac >= 0.9 ? 'red' : b.frac >= 0.7 ? 'yellow' : 'green';
  return `${b.label.padEnd(labelW)}${t.fg(textBar(b.frac, BAR), col)} ${b.text}`;
}

/** visible length of a tagged string */
export function visibleLength(s: string): number {
  return s.replace(/\{\/?[a-z-]+\}/g, '').replace(/\{open\}|\{close\}/g, ' ').length;
}

function pack(items: readonly string[], width: number, gap = 2): string[] {
  const lines: string[] = [];
  let cur = '';
  let curLen = 0;
  for (const it of items) {
    const len = visibleLength(it);
    if (cur !== '' && curLen + gap + len > width) { lines.push(cur); cur = it; curLen = len; continue; }
    cur = cur === '' ? it : `${cur}${' '.repeat(gap)}${it}`;
    curLen = cur === it ? len : curLen + gap + len;
  }
  if (cur !== '') lines.push(cur);
  return lines;
}

export function headerLines(t: Theme, vm: HostHeaderVM, width: number): string[] {
  const badges = vm.badges.map((b) => t.inverse(t.fg(` ${esc(b)} `, b.startsWith('STALE') ? 'red' : 'yellow')));
  const lines = pack([t.bold(esc(vm.title)), ...badges], width, 1);
  lines.push(...pack([bar(t, vm.cpu, 4), bar(t, vm.mem, 4)], width, 3));
  const nodes = vm.nodes.flatMap((n) => [bar(t, n.cpu, 7), bar(t, n.mem, 7)]);
  lines.push(...pack(nodes, width, 3));
  lines.push(...pack([vm.ksm, ...vm.hugepages, vm.psi, vm.cost].map(esc), width, 3));
  return lines;
}
