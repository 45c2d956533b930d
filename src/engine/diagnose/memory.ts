// Owns the memory causes of the diagnosis:
//   memory-limit     resident memory ≥ 95 % of the group's limit: share = fraction of the window there ×
//                    the guest's memory pressure (psi some; 0.3 when the host gives no per-group PSI, as
//                    on cgroup v1 — the limit is known to bite, how hard is not)
//   memory-pressure  the guest's (else the host's) memory psi some, when no limit explains it
//   remote-numa      resident memory on nodes other than those its vCPUs last ran on: share = remote
//                    fraction × (1 − 10 / NUMA distance), the extra cost of a remote access
// Fixes: `--mem-max` 1.25× for a limit, `virtune advise GUEST --apply` for remote memory.

import type { CauseFinding } from '../model/diagnosis.js';
import type { GuestSnap } from '../model/snapshot.js';
import type { DiagnoseContext, GuestFacts } from './context.js';
import { clamp01, round } from './stats.js';

const NEAR_LIMIT = 0.95;
const MIB = 1024 * 1024;

/** Nodes the guest's vCPUs last ran on (else the nodes of the CPUs it may run on). */
export function vcpuNodes(ctx: DiagnoseContext, f: GuestFacts): Set<number> {
  const nodes = new Set<number>();
  for (const v of f.g.vcpus) {
    const n = v.lastCpu === null ? undefined : ctx.nodeOfCpu.get(v.lastCpu);
    if (n !== undefined) nodes.add(n);
  }
  if (nodes.size === 0) for (const c of f.cpus) { const n = ctx.nodeOfCpu.get(c); if (n !== undefined) nodes.add(n); }
  return nodes;
}

function memoryLimit(ctx: DiagnoseContext, g: GuestSnap): CauseFinding | null {
  const max = g.memory.maxBytes;
  if (max === null || max <= 0) return null;
  const near = ctx.fractionAtLeast(g.id, 'memory.currentBytes', max * NEAR_LIMIT);
  if (near === null || near === 0) return null;
  const psi = ctx.mean(g.id, 'psi.memSomePct');
  const share = clamp01(near * (psi === null ? 0.3 : Math.max(0.1, psi / 100)));
  return {
    cause: 'memory-limit', share,
    evidence: { currentBytes: g.memory.currentBytes, maxBytes: max, nearLimitPct: round(near * 100), memSomePct: round(psi) },
    fix: `virtune tune ${g.id} --mem-max ${Math.ceil((max * 1.25) / MIB)}M`,
  };
}

function memoryPressure(ctx: DiagnoseContext, g: GuestSnap): CauseFinding | null {
  const own = ctx.mean(g.id, 'psi.memSomePct');
  const host = ctx.hostMean('host.psi.memSomePct');
  const p = own ?? host;
  if (p === null || p < 0.5) return null;
  return {
    cause: 'memory-pressure', share: clamp01(p / 100),
    evidence: { memSomePct: round(own), hostMemSomePct: round(host), hostMemAvailableBytes: ctx.snapshot.host.memAvailableBytes },
    fix: null,
  };
}

function remoteNuma(ctx: DiagnoseContext, f: GuestFacts): CauseFinding | null {
  const per = f.g.memory.perNodeBytes;
  if (per === null || ctx.snapshot.host.numaNodes.length < 2) return null;
  const nodes = vcpuNodes(ctx, f);
  if (nodes.size === 0) return null;
  let total = 0;
  let remote = 0;
  let dist = 0;
  for (const [k, b] of Object.entries(per)) {
    total += b;
    const node = Number(k);
    if (nodes.has(node)) continue;
    remote += b;
    if (b > 0) {
      for (const local of nodes) {
        const d = ctx.snapshot.host.numaNodes.find((n) => n.node === local)?.distances?.[node];
        if (d !== undefined && d > dist) dist = d;
      }
    }
  }
  if (total <= 0 || remote / total < 0.1) return null;
  const distance = dist > 10 ? dist : 20; // unknown distance: the common 2-socket figure (20-21)
  const frac = remote / total;
  return {
    cause: 'remote-numa', share: clamp01(frac * (1 - 10 / distance)),
    evidence: {
      vcpuNodes: [...nodes].sort((a, b) => a - b).join(','), remotePct: round(frac * 100), remoteBytes: remote,
      distance: dist > 10 ? dist : null,
    },
    fix: `virtune advise ${f.g.id} --apply`,
  };
}

export function memoryCauses(ctx: DiagnoseContext, f: GuestFacts): CauseFinding[] {
  const out: CauseFinding[] = [];
  const lim = memoryLimit(ctx, f.g);
  if (lim) out.push(lim);
  else { const p = memoryPressure(ctx, f.g); if (p) out.push(p); }
  const r = remoteNuma(ctx, f);
  if (r) out.push(r);
  return out;
}
