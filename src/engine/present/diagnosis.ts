// Owns the diagnosis panel's view-model (what every face draws for "why is this guest slow": verdict,
// ranked causes with share bars, evidence and fix, noisy neighbours) and its plain-text rendering
// (the CLI's `virtune why`), plus the host-wide "who suffers most" score the guest table sorts by.
// Pure: Diagnosis / Snapshot in, strings and numbers out.

import type { CauseFinding, Diagnosis, DiagnosisCause, Evidence, Neighbour } from '../model/diagnosis.js';
import type { GuestSnap } from '../model/snapshot.js';
import { allDisks } from '../model/disk-io.js';

export const CAUSE_LABELS: Record<DiagnosisCause, string> = {
  'cpu-contention': 'waiting for host CPUs other guests hold',
  'cpu-quota': 'throttled by its own CPU quota',
  'cpuset-too-small': 'more busy vCPUs than host CPUs allowed',
  'disk-limit': 'at a configured disk limit',
  'disk-contention': 'slow disk without a limit (latency / io pressure)',
  'memory-limit': 'at its memory limit',
  'memory-pressure': 'host memory pressure',
  'remote-numa': 'memory on NUMA nodes remote from its vCPUs',
  'network-limit': 'at a network shaping rate / dropping packets',
  paused: 'not running (paused or stopped)',
  none: 'nothing explains 10 % or more of its lost performance',
};

export type Severity = 'ok' | 'warn' | 'bad';

export interface CauseRow {
  cause: DiagnosisCause;
  label: string;
  share: number;
  sharePct: string;
  /** 0..1, for a bar */
  bar: number;
  evidence: string;
  fix: string | null;
}

export interface NeighbourRow {
  guest: string;
  name: string;
  resource: string;
  share: number;
  sharePct: string;
  evidence: string;
}

export interface DiagnosisPanel {
  guest: string;
  title: string;
  verdict: DiagnosisCause;
  verdictLabel: string;
  severity: Severity;
  window: string;
  causes: CauseRow[];
  neighbours: NeighbourRow[];
}

const pct = (share: number): string => `${Math.round(share * 100)}%`;

function fmtValue(k: string, v: number | string | null): string {
  if (v === null) return '-';
  if (typeof v === 'string') return v;
  if (/Bytes$/.test(k)) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let x = v;
    let i = 0;
    while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
    return `${i === 0 ? x.toFixed(0) : x.toFixed(1)} ${units[i]}`;
  }
  if (/Pct$/.test(k)) return `${v}%`;
  if (/Ms$/.test(k)) return `${v} ms`;
  return String(v);
}

/** `runDelayPct=48.2% usagePct=51%` — evidence as one line, unknown shown as '-'. */
export function evidenceText(e: Evidence): string {
  return Object.entries(e).map(([k, v]) => `${k}=${fmtValue(k, v)}`).join(' ');
}

function causeRow(c: CauseFinding): CauseRow {
  return { cause: c.cause, label: CAUSE_LABELS[c.cause], share: c.share, sharePct: pct(c.share), bar: Math.max(0, Math.min(1, c.share)), evidence: evidenceText(c.evidence), fix: c.fix };
}

function neighbourRow(n: Neighbour): NeighbourRow {
  return { guest: n.guest, name: n.name, resource: n.resource, share: n.share, sharePct: pct(n.share), evidence: evidenceText(n.evidence) };
}

export function diagnosisPanel(d: Diagnosis): DiagnosisPanel {
  const top = d.causes[0]?.share ?? 0;
  const severity: Severity = d.verdict === 'none' ? 'ok' : top >= 0.3 || d.verdict === 'paused' ? 'bad' : 'warn';
  return {
    guest: d.guest,
    title: `${d.name} (${d.guest}): ${d.verdict}`,
    verdict: d.verdict,
    verdictLabel: CAUSE_LABELS[d.verdict],
    severity,
    window: `last ${d.windowSec} s (${d.samples} samples over ${d.coveredSec.toFixed(1)} s)`,
    causes: d.causes.map(causeRow),
    neighbours: d.neighbours.map(neighbourRow),
  };
}

/** The panel as plain text lines (CLI `virtune why`, text faces). */
export function diagnosisLines(d: Diagnosis, barWidth = 20): string[] {
  const p = diagnosisPanel(d);
  const out = [`${p.title} — ${p.verdictLabel}`, `  window: ${p.window}`];
  if (p.causes.length === 0) out.push('  causes: none found');
  else out.push('  causes:');
  for (const c of p.causes) {
    const n = Math.round(c.bar * barWidth);
    out.push(`    ${c.sharePct.padStart(4)} ${'#'.repeat(n)}${'.'.repeat(barWidth - n)} ${c.cause}: ${c.label}`);
    out.push(`         ${c.evidence}`);
    if (c.fix) out.push(`         fix: ${c.fix}`);
  }
  if (p.neighbours.length > 0) {
    out.push('  noisy neighbours:');
    for (const n of p.neighbours) out.push(`    ${n.sharePct.padStart(4)} ${n.name} (${n.guest}) ${n.resource}: ${n.evidence}`);
  }
  return out;
}

/**
 * "Who suffers most" right now, 0..1 (null when nothing is known), from one snapshot — the guest
 * table sorts by it, largest first; `virtune why` explains it over a window. The largest of: the part
 * of its vCPU demand spent waiting (run delay / (use + run delay)), 1 when not running, the part of
 * its periods throttled, and 1 for a disk or tap at ≥ 90 % of its limit.
 */
export function sufferingScore(g: GuestSnap): number | null {
  let s: number | null = null;
  const up = (v: number): void => { s = s === null ? v : Math.max(s, v); };
  if (g.state !== null) up(g.state === 'running' ? 0 : 1);
  let use = 0;
  let wait = 0;
  let known = g.vcpus.length > 0;
  for (const v of g.vcpus) {
    if (v.usagePct === null || v.runDelayPct === null) { known = false; break; }
    use += v.usagePct;
    wait += v.runDelayPct;
  }
  if (known) up(use + wait > 0 ? wait / (use + wait) : 0);
  if (g.cpu.throttledPct !== null) up(g.cpu.throttledPct / 100);
  for (const d of allDisks(g)) {
    const l = d.limits;
    const pairs: Array<[number | null, number | null]> = [[d.readIops, l.readIops], [d.writeIops, l.writeIops], [d.readBytesPerSec, l.readBytesPerSec], [d.writeBytesPerSec, l.writeBytesPerSec]];
    for (const [v, lim] of pairs) if (v !== null && lim !== null && lim > 0) up(v / lim >= 0.9 ? 1 : 0);
  }
  for (const n of g.nics) {
    const pairs: Array<[number | null, number | null]> = [[n.rxBytesPerSec, n.shaping.inKbitPerSec], [n.txBytesPerSec, n.shaping.outKbitPerSec]];
    for (const [bps, kbit] of pairs) if (bps !== null && kbit !== null && kbit > 0) up((bps * 8) / 1000 / kbit >= 0.9 ? 1 : 0);
  }
  return s === null ? null : Math.min(1, s);
}

/** Guests ordered by sufferingScore, largest first (unknown last; ties by name). */
export function bySuffering<T extends GuestSnap>(guests: readonly T[]): T[] {
  const scored = guests.map((g) => ({ g, s: sufferingScore(g) }));
  scored.sort((a, b) => (b.s ?? -1) - (a.s ?? -1) || a.g.name.localeCompare(b.g.name));
  return scored.map((x) => x.g);
}
