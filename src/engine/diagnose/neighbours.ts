// Owns the noisy neighbours of the diagnosis: the other guests that took the contended resource where
// it hurt, each with its share of it and the evidence.
//   cpu     guests whose vCPUs may run on host CPUs this guest may run on: their CPU use (times the
//           part of their CPUs shared) during the samples this guest waited, over everything the
//           others ran on those CPUs then (host busy minus this guest; the neighbours' sum when the
//           host's per-CPU figures are unknown). Only the 8 heaviest by window mean are measured per
//           sample, so a pass over a 1000-guest host stays linear.
//   disk    guests doing I/O on the same block device (every guest doing I/O when this guest's
//           devices are unknown: io pressure is host-wide): their share of the operations
//   memory  guests with resident memory on the nodes this guest's memory (or vCPUs) live on: their
//           share of the memory used there
// At most MAX_PER_RESOURCE per resource; shares under 1 % are left out.

import { formatCpuList } from '../model/cpulist.js';
import type { DiagnosisResource, Neighbour } from '../model/diagnosis.js';
import type { DiagnoseContext, GuestFacts } from './context.js';
import { clamp01, maskedMean, round } from './stats.js';

const MAX_PER_RESOURCE = 5;
const CPU_CANDIDATES = 8;
const MIN_SHARE = 0.01;

function top(list: Neighbour[]): Neighbour[] {
  return list.filter((n) => n.share >= MIN_SHARE).sort((a, b) => b.share - a.share || a.guest.localeCompare(b.guest)).slice(0, MAX_PER_RESOURCE);
}

export function cpuNeighbours(ctx: DiagnoseContext, f: GuestFacts, waited: Uint8Array): Neighbour[] {
  const mine = new Set(f.cpus);
  const overlapByKey = new Map<string, number[]>();
  const means = ctx.usageMeans();
  const cand: Array<{ h: GuestFacts; shared: number[]; score: number }> = [];
  for (const h of ctx.guests()) {
    if (h.g.id === f.g.id) continue;
    let shared = overlapByKey.get(h.cpuKey);
    if (shared === undefined) {
      shared = h.cpus.filter((c) => mine.has(c));
      overlapByKey.set(h.cpuKey, shared);
    }
    if (shared.length === 0) continue;
    const m = means.get(h.g.id);
    if (m === undefined || m <= 0) continue;
    cand.push({ h, shared, score: (m * shared.length) / h.cpus.length });
  }
  cand.sort((a, b) => b.score - a.score);
  const picked = cand.slice(0, CPU_CANDIDATES);
  const took = picked.map(({ h, shared }) => {
    const u = maskedMean(ctx.series(h.g.id, 'cpu.usagePct'), waited);
    return { h, shared, pct: u === null ? 0 : (u * shared.length) / h.cpus.length };
  });
  const busy = ctx.setBusy(f.cpus, f.cpuKey);
  const busyW = busy === null ? null : maskedMean(busy, waited);
  const ownW = maskedMean(ctx.series(f.g.id, 'cpu.usagePct'), waited);
  const sumTook = took.reduce((a, t) => a + t.pct, 0);
  const others = Math.max(sumTook, busyW !== null && ownW !== null ? busyW - ownW : 0);
  if (others <= 0) return [];
  return top(took.map((t) => ({
    guest: t.h.g.id, name: t.h.g.name, resource: 'cpu' as DiagnosisResource, share: round(clamp01(t.pct / others), 3) as number,
    evidence: { sharedCpus: formatCpuList(t.shared), usagePct: round(t.pct) },
  })));
}

export function diskNeighbours(ctx: DiagnoseContext, f: GuestFacts): Neighbour[] {
  const iops = ctx.iopsMeans();
  const mine = new Set(f.devices);
  const cand: Array<{ h: GuestFacts; ops: number; dev: string | null }> = [];
  let total = iops.get(f.g.id) ?? 0;
  for (const h of ctx.guests()) {
    if (h.g.id === f.g.id) continue;
    const ops = iops.get(h.g.id);
    if (ops === undefined || ops <= 0) continue;
    let dev: string | null = null;
    if (mine.size > 0) {
      dev = h.devices.find((d) => mine.has(d)) ?? null;
      if (dev === null) continue;
    }
    cand.push({ h, ops, dev });
    total += ops;
  }
  if (total <= 0) return [];
  return top(cand.map((c) => ({
    guest: c.h.g.id, name: c.h.g.name, resource: 'disk' as DiagnosisResource, share: round(clamp01(c.ops / total), 3) as number,
    evidence: { iops: round(c.ops), sharedDevice: c.dev },
  })));
}

export function memoryNeighbours(ctx: DiagnoseContext, f: GuestFacts, nodes: ReadonlySet<number>): Neighbour[] {
  if (nodes.size === 0) return [];
  let used = 0;
  for (const n of ctx.snapshot.host.numaNodes) {
    if (nodes.has(n.node) && n.memTotalBytes !== null && n.memFreeBytes !== null) used += n.memTotalBytes - n.memFreeBytes;
  }
  const out: Neighbour[] = [];
  const cand: Array<{ h: GuestFacts; bytes: number }> = [];
  let sum = 0;
  for (const h of ctx.guests()) {
    if (h.g.id === f.g.id || h.g.memory.perNodeBytes === null) continue;
    let bytes = 0;
    for (const [k, b] of Object.entries(h.g.memory.perNodeBytes)) if (nodes.has(Number(k))) bytes += b;
    if (bytes <= 0) continue;
    cand.push({ h, bytes });
    sum += bytes;
  }
  const denom = Math.max(used, sum);
  if (denom <= 0) return [];
  for (const c of cand) {
    out.push({
      guest: c.h.g.id, name: c.h.g.name, resource: 'memory', share: round(clamp01(c.bytes / denom), 3) as number,
      evidence: { nodes: [...nodes].sort((a, b) => a - b).join(','), residentBytes: c.bytes },
    });
  }
  return top(out);
}
