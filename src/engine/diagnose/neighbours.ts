// Owns the noisy neighbours of the diagnosis: the other guests that took the contended resource where
// it hurt, each with its share of it and the evidence.
//   cpu     guests whose vCPUs may run on host CPUs this guest may run on: their CPU use during the
//           samples this guest waited, times the part of them on those CPUs (the share of their vCPUs
//           last seen there when known, else the share of their allowed CPUs that is shared), over
//           everything the others ran on those CPUs then (host busy minus this guest; the neighbours'
//           sum when the host's per-CPU figures are unknown). Only the 8 heaviest by window mean are
//           measured per sample.
//   disk    guests doing I/O on the same block device (every guest doing I/O when this guest's
//           devices are unknown: io pressure is host-wide): their share of all those operations
//   memory  guests with resident memory on the nodes this guest's memory (or vCPUs) live on: their
//           share of the memory used there
// The candidate rankings depend only on the CPU set / device set / node set, so they are made once
// per DiagnoseContext and set (a pass over a 1000-guest host stays near linear). At most
// MAX_PER_RESOURCE per resource; shares under 1 % are left out.

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

interface CpuCandidate { h: GuestFacts; label: string; part: number; score: number }

/** Every guest that may run on these CPUs, heaviest (window mean × part there) first. */
function cpuRanking(ctx: DiagnoseContext, f: GuestFacts): CpuCandidate[] {
  return ctx.memo(`cpu\u0000${f.cpuKey}`, () => {
    const mine = new Set(f.cpus);
    const sharedByKey = new Map<string, { shared: number[]; label: string }>();
    const means = ctx.usageMeans();
    const out: CpuCandidate[] = [];
    for (const h of ctx.guests()) {
      let sh = sharedByKey.get(h.cpuKey);
      if (sh === undefined) {
        const list = h.cpus.filter((c) => mine.has(c));
        sh = { shared: list, label: formatCpuList(list) };
        sharedByKey.set(h.cpuKey, sh);
      }
      const { shared, label } = sh;
      if (shared.length === 0) continue;
      const m = means.get(h.g.id);
      if (m === undefined || m <= 0) continue;
      let part = shared.length / h.cpus.length;
      const vs = h.g.vcpus;
      if (vs.length > 0 && vs.every((v) => v.lastCpu !== null)) {
        let on = 0;
        for (const v of vs) if (mine.has(v.lastCpu as number)) on++;
        part = on / vs.length;
      }
      if (part > 0) out.push({ h, label, part, score: m * part });
    }
    return out.sort((a, b) => b.score - a.score);
  });
}

/** The CPU neighbours over the samples marked in ctx.waitMask (cpu.ts markWaits). */
export function cpuNeighbours(ctx: DiagnoseContext, f: GuestFacts): Neighbour[] {
  const picked: CpuCandidate[] = [];
  for (const c of cpuRanking(ctx, f)) {
    if (c.h.g.id === f.g.id) continue;
    picked.push(c);
    if (picked.length === CPU_CANDIDATES) break;
  }
  const took = picked.map(({ h, label, part }) => {
    const u = ctx.maskedMean(h.g.id, 'cpu.usagePct');
    return { h, label, pct: u === null ? 0 : u * part };
  });
  const busy = ctx.setBusy(f.cpus, f.cpuKey);
  const whole = ctx.waitRunCount === 1 && ctx.waitRuns[0] === 0 && ctx.waitRuns[1] === ctx.window.length;
  const busyW = busy === null ? null : whole ? ctx.setBusyMean(f.cpus, f.cpuKey) : maskedMean(busy, ctx.waitMask);
  const ownW = ctx.maskedMean(f.g.id, 'cpu.usagePct');
  const sumTook = took.reduce((a, t) => a + t.pct, 0);
  const others = Math.max(sumTook, busyW !== null && ownW !== null ? busyW - ownW : 0);
  if (others <= 0) return [];
  return top(took.map((t) => ({
    guest: t.h.g.id, name: t.h.g.name, resource: 'cpu' as DiagnosisResource, share: round(clamp01(t.pct / others), 3) as number,
    evidence: { sharedCpus: t.label, usagePct: round(t.pct) },
  })));
}

interface Ranked<T> { list: Array<T & { h: GuestFacts }>; total: number }

/** Guests doing I/O on these devices (all guests doing I/O when none is known), most operations first. */
function diskRanking(ctx: DiagnoseContext, devices: readonly string[]): Ranked<{ ops: number; dev: string | null }> {
  return ctx.memo(`disk\u0000${devices.join(',')}`, () => {
    const iops = ctx.iopsMeans();
    const mine = new Set(devices);
    const list: Array<{ h: GuestFacts; ops: number; dev: string | null }> = [];
    let total = 0;
    for (const h of ctx.guests()) {
      const ops = iops.get(h.g.id);
      if (ops === undefined || ops <= 0) continue;
      let dev: string | null = null;
      if (mine.size > 0) {
        dev = h.devices.find((d) => mine.has(d)) ?? null;
        if (dev === null) continue;
      }
      list.push({ h, ops, dev });
      total += ops;
    }
    return { list: list.sort((a, b) => b.ops - a.ops), total };
  });
}

export function diskNeighbours(ctx: DiagnoseContext, f: GuestFacts): Neighbour[] {
  const r = diskRanking(ctx, f.devices);
  const own = ctx.iopsMeans().get(f.g.id) ?? 0;
  // a guest whose own operations are not in the ranking (no figure on those devices) still counts them
  const total = r.total + (r.list.some((c) => c.h.g.id === f.g.id) ? 0 : own);
  if (total <= 0) return [];
  const out: Neighbour[] = [];
  for (const c of r.list) {
    if (c.h.g.id === f.g.id) continue;
    out.push({
      guest: c.h.g.id, name: c.h.g.name, resource: 'disk', share: round(clamp01(c.ops / total), 3) as number,
      evidence: { iops: round(c.ops), sharedDevice: c.dev },
    });
    if (out.length > MAX_PER_RESOURCE) break;
  }
  return top(out);
}

/** Resident memory of every guest on these nodes, largest first, and the memory used there. */
function memoryRanking(ctx: DiagnoseContext, nodes: readonly number[]): Ranked<{ bytes: number }> {
  return ctx.memo(`mem\u0000${nodes.join(',')}`, () => {
    const set = new Set(nodes);
    let used = 0;
    for (const n of ctx.snapshot.host.numaNodes) {
      if (set.has(n.node) && n.memTotalBytes !== null && n.memFreeBytes !== null) used += n.memTotalBytes - n.memFreeBytes;
    }
    const list: Array<{ h: GuestFacts; bytes: number }> = [];
    let sum = 0;
    for (const h of ctx.guests()) {
      const per = h.g.memory.perNodeBytes;
      if (per === null) continue;
      let bytes = 0;
      for (const k in per) if (set.has(Number(k))) bytes += per[k] as number;
      if (bytes <= 0) continue;
      list.push({ h, bytes });
      sum += bytes;
    }
    return { list: list.sort((a, b) => b.bytes - a.bytes), total: Math.max(used, sum) };
  });
}

export function memoryNeighbours(ctx: DiagnoseContext, f: GuestFacts, nodes: ReadonlySet<number>): Neighbour[] {
  if (nodes.size === 0) return [];
  const sorted = [...nodes].sort((a, b) => a - b);
  const r = memoryRanking(ctx, sorted);
  if (r.total <= 0) return [];
  const label = sorted.join(',');
  const out: Neighbour[] = [];
  for (const c of r.list) {
    if (c.h.g.id === f.g.id) continue;
    out.push({
      guest: c.h.g.id, name: c.h.g.name, resource: 'memory', share: round(clamp01(c.bytes / r.total), 3) as number,
      evidence: { nodes: label, residentBytes: c.bytes },
    });
    if (out.length > MAX_PER_RESOURCE) break;
  }
  return top(out);
}
