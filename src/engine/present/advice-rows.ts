// Owns the advisor view-model for table faces: placement advice as a title, a one-line summary and
// one row per NUMA node; host-wide moves and lint findings as rows. Pure.

import type { Advice, HostMove, LintFinding } from '../model/advice.js';
import { formatBytes, formatPct } from './format.js';

const MiB = 1024 * 1024;

export interface AdviceTable { title: string; summary: string; fits: boolean; nodes: string[][] }

export function adviceRows(a: Advice): AdviceTable {
  const who = a.guest ? `Placement for ${a.guest}` : `Placement for ${a.need.vcpus} vCPUs, ${formatBytes(a.need.memMiB * MiB)}`;
  const where = a.nodeset === null ? 'no node can hold the memory' : `nodeset ${a.nodeset}, cpus ${a.cpus ?? '-'}`;
  const move = a.migrateBytes === null ? '' : ` · moves ${formatBytes(a.migrateBytes)}`;
  return {
    title: who,
    summary: `${a.fits ? 'fits' : 'does not fit'}: ${where}${move} — ${a.reason}`,
    fits: a.fits,
    nodes: a.nodes.map((n) => [String(n.node), formatBytes(n.freeMemMiB * MiB), formatPct(n.freeCpuPct, 0), String(Math.round(n.score)), n.chosen ? 'yes' : '']),
  };
}

export function hostMoveRows(ms: readonly HostMove[]): string[][] {
  return ms.map((m) => [m.guest, m.fromNodes ?? '-', m.toNodes, formatBytes(m.migrateBytes), String(Math.round(m.gain)), m.reason ?? '']);
}

export function lintRows(fs: readonly LintFinding[]): string[][] {
  return fs.map((f) => [f.severity, f.guest ?? 'host', f.rule, f.message, f.suggestion ?? '']);
}
