// Owns the CPU causes of the diagnosis. The guest's vCPU demand over the window is what its vCPUs ran
// plus what they waited runnable (schedstat run delay, which includes time throttled by a CFS quota);
// the wait is the lost time, split in this order:
//   cpu-quota        the group is throttled (≥ 5 % of its periods) and wants more than its quota:
//                    min(wait, guest use + wait − quota)
//   cpuset-too-small more busy vCPUs (use + wait ≥ 50 %) than host CPUs they may run on:
//                    min(wait left, demand − allowed CPUs × 100)
//   cpu-contention   the wait that is left: runnable, but others held the CPUs
// Each share is its lost time over the demand (so the CPU shares add up to at most 1).
// The samples where the guest waited (for its CPU neighbours) are marked only when they are asked for
// (markWaits: a cpu-contention cause that matters), the rest reads window means.

import { formatCpuList } from '../model/cpulist.js';
import type { CauseFinding } from '../model/diagnosis.js';
import type { DiagnoseContext, GuestFacts } from './context.js';
import { clamp01, mean, round } from './stats.js';

export interface CpuFindings {
  causes: CauseFinding[];
  /** the part of the wait left to contention, percent of one CPU */
  contentionPct: number;
}

const BUSY_VCPU_PCT = 50;
const THROTTLED_MIN_PCT = 5;

/** CPUs outside `mine` whose window-mean busy is lowest (for a cpuset fix), up to n. */
function idlest(ctx: DiagnoseContext, exclude: ReadonlySet<number>, n: number): number[] {
  const all = ctx.memo('cpu-idlest', () => {
    const cand: Array<[number, number]> = [];
    for (const c of ctx.hostCpus) {
      const m = ctx.mean(null, `host.perCpuUsagePct.${c}`);
      if (m !== null) cand.push([c, m]);
    }
    return cand.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  });
  const out: number[] = [];
  for (const [c, m] of all) {
    if (out.length >= n || m >= 50) break;
    if (!exclude.has(c)) out.push(c);
  }
  return out;
}

const pctArg = (pct: number): string => `${Math.max(10, Math.ceil(pct / 10) * 10)}%`;

/** Whether the vCPUs' own series are read: more vCPUs than CPUs they may run on (could be too small a cpuset). */
const perVcpu = (f: GuestFacts): boolean => f.g.vcpus.length > f.cpus.length;

/**
 * The guest's CPU use (what: usagePct) or its vCPUs' summed run delay (what: runDelayPct, the group's
 * cpu.stealPct) per sample: the group's series, else the sum of the vCPUs' (into work buffer `slot`).
 */
function perSample(ctx: DiagnoseContext, f: GuestFacts, what: 'usagePct' | 'runDelayPct', slot: 0 | 1): ArrayLike<number> | null {
  const g = f.g;
  const own = ctx.series(g.id, what === 'usagePct' ? 'cpu.usagePct' : 'cpu.stealPct');
  if (own !== null || g.vcpus.length === 0) return own;
  return ctx.sum(g.vcpus.map((v) => ctx.series(g.id, `vcpus.${v.index}.${what}`)), slot);
}

/** Window mean of perSample() without walking it when the group's series exists. */
function windowMean(ctx: DiagnoseContext, f: GuestFacts, what: 'usagePct' | 'runDelayPct', slot: 0 | 1): number | null {
  const st = ctx.stat(f.g.id, what === 'usagePct' ? 'cpu.usagePct' : 'cpu.stealPct');
  if (st !== null) return st.known === 0 ? null : st.sum / st.known;
  return mean(perSample(ctx, f, what, slot));
}

/**
 * Mark the samples where the guest waited noticeably (run delay ≥ 10 % of its demand; every sample
 * when there is none) in ctx.waitMask and its stretches in ctx.waitRuns; false without the series.
 */
export function markWaits(ctx: DiagnoseContext, f: GuestFacts): boolean {
  const use = perSample(ctx, f, 'usagePct', 0);
  const wait = perSample(ctx, f, 'runDelayPct', 1);
  if (use === null || wait === null) return false;
  const len = ctx.window.length;
  const mask = ctx.waitMask;
  const runs = ctx.waitRuns;
  let n = 0;
  let open = false;
  for (let i = 0; i < len; i++) {
    const w = wait[i] as number;
    const u = use[i] as number;
    const on = w === w && u === u && w + u > 0 && w / (w + u) >= 0.1;
    mask[i] = on ? 1 : 0;
    if (on !== open) { runs[n++] = i; open = on; }
  }
  if (open) runs[n++] = len;
  if (n === 0) { mask.fill(1); runs[0] = 0; runs[1] = len; n = 2; }
  ctx.waitRunCount = n / 2;
  return true;
}

export function cpuCauses(ctx: DiagnoseContext, f: GuestFacts): CpuFindings {
  const g = f.g;
  const none: CpuFindings = { causes: [], contentionPct: 0 };
  // the guest's CPU use and its vCPUs' summed run delay (cpu.stealPct); the vCPUs' own series only
  // where those are missing (more vCPUs than allowed CPUs is busyVcpus' case)
  const U = windowMean(ctx, f, 'usagePct', 0);
  const D = windowMean(ctx, f, 'runDelayPct', 1);
  if (U === null || D === null) return none;
  const demand = U + D;
  if (demand < 1 || D <= 0) return none;
  const guestUse = U;
  const throttled = ctx.mean(g.id, 'cpu.throttledPct');
  const causes: CauseFinding[] = [];
  let left = D;

  // cpu-quota
  const quotaPct = g.cpu.quotaUsec !== null && g.cpu.periodUsec !== null && g.cpu.periodUsec > 0
    ? (g.cpu.quotaUsec / g.cpu.periodUsec) * 100 : null;
  if (quotaPct !== null && throttled !== null && throttled >= THROTTLED_MIN_PCT) {
    const lost = Math.min(left, Math.max(0, guestUse + D - quotaPct));
    if (lost > 0) {
      left -= lost;
      causes.push({
        cause: 'cpu-quota', share: clamp01(lost / demand),
        evidence: { quotaPct: round(quotaPct), usagePct: round(guestUse), throttledPct: round(throttled), runDelayPct: round(D) },
        fix: `virtune tune ${g.id} --cpu-quota ${pctArg(guestUse + D)}`,
      });
    }
  }

  // cpuset-too-small
  let busyVcpus = 0;
  if (perVcpu(f)) {
    for (const v of g.vcpus) {
      const u = ctx.mean(g.id, `vcpus.${v.index}.usagePct`);
      const w = ctx.mean(g.id, `vcpus.${v.index}.runDelayPct`);
      if (u !== null && w !== null && u + w >= BUSY_VCPU_PCT) busyVcpus++;
    }
  }
  const allowed = f.cpus.length;
  if (allowed > 0 && busyVcpus > allowed && left > 0) {
    const lost = Math.min(left, Math.max(0, demand - allowed * 100));
    if (lost > 0) {
      left -= lost;
      const more = idlest(ctx, new Set(f.cpus), busyVcpus - allowed);
      causes.push({
        cause: 'cpuset-too-small', share: clamp01(lost / demand),
        evidence: { busyVcpus, allowedCpus: f.cpuKey, allowedCpuCount: allowed, usagePct: round(U), runDelayPct: round(D) },
        fix: more.length > 0 ? `virtune tune ${g.id} --cpuset ${formatCpuList([...f.cpus, ...more])}` : null,
      });
    }
  }

  // cpu-contention
  if (left > 0) {
    const share = clamp01(left / demand);
    if (share >= 0.005) {
      const busyPct = ctx.setBusyMean(f.cpus, f.cpuKey);
      const hostCpusBusyPct = busyPct === null ? null : busyPct / Math.max(1, f.cpus.length);
      const free = idlest(ctx, new Set(f.cpus), Math.max(1, busyVcpus, Math.ceil(demand / 100)));
      const weightFlag = g.cpu.weight !== null ? '--cpu-weight' : g.cpu.shares !== null ? '--cpu-shares' : null;
      const weight = g.cpu.weight ?? g.cpu.shares;
      causes.push({
        cause: 'cpu-contention', share,
        evidence: { runDelayPct: round(D), usagePct: round(U), hostCpusBusyPct: round(hostCpusBusyPct), cpus: f.cpuKey },
        fix: free.length > 0
          ? `virtune tune ${g.id} --cpuset ${formatCpuList(free)}`
          : weightFlag !== null && weight !== null ? `virtune tune ${g.id} ${weightFlag} ${Math.min(weightFlag === '--cpu-weight' ? 10000 : 262144, weight * 2)}` : null,
      });
    }
  }
  return { causes, contentionPct: left };
}
