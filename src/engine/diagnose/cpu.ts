// Owns the CPU causes of the diagnosis. The guest's vCPU demand over the window is what its vCPUs ran
// plus what they waited runnable (schedstat run delay, which includes time throttled by a CFS quota);
// the wait is the lost time, split in this order:
//   cpu-quota        the group is throttled (≥ 5 % of its periods) and wants more than its quota:
//                    min(wait, guest use + wait − quota)
//   cpuset-too-small more busy vCPUs (use + wait ≥ 50 %) than host CPUs they may run on:
//                    min(wait left, demand − allowed CPUs × 100)
//   cpu-contention   the wait that is left: runnable, but others held the CPUs
// Each share is its lost time over the demand (so the CPU shares add up to at most 1).

import { formatCpuList } from '../model/cpulist.js';
import type { CauseFinding } from '../model/diagnosis.js';
import type { DiagnoseContext, GuestFacts } from './context.js';
import { clamp01, mean, round } from './stats.js';

export interface CpuFindings {
  causes: CauseFinding[];
  /** per sample: 1 where the guest waited noticeably (run delay ≥ 10 % of its demand) */
  waited: Uint8Array | null;
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
      const m = mean(ctx.series(null, `host.perCpuUsagePct.${c}`));
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

export function cpuCauses(ctx: DiagnoseContext, f: GuestFacts): CpuFindings {
  const g = f.g;
  const len = ctx.window.length;
  const none: CpuFindings = { causes: [], waited: null, contentionPct: 0 };
  // the guest's CPU use and its vCPUs' summed run delay (cpu.stealPct), per sample; the vCPUs' own
  // series only where those are missing, or where more vCPUs than allowed CPUs could be busy
  const perVcpu = g.vcpus.length > f.cpus.length;
  const vcpuSeries = (what: string): Array<ArrayLike<number> | null> => g.vcpus.map((v) => ctx.series(g.id, `vcpus.${v.index}.${what}`));
  const useParts = perVcpu ? vcpuSeries('usagePct') : [];
  const waitParts = perVcpu ? vcpuSeries('runDelayPct') : [];
  const use = ctx.series(g.id, 'cpu.usagePct') ?? (g.vcpus.length > 0 ? ctx.sum(useParts.length ? useParts : vcpuSeries('usagePct'), 0) : null);
  const wait = ctx.series(g.id, 'cpu.stealPct') ?? (g.vcpus.length > 0 ? ctx.sum(waitParts.length ? waitParts : vcpuSeries('runDelayPct'), 1) : null);
  const U = mean(use);
  const D = mean(wait);
  if (U === null || D === null) return none;
  const demand = U + D;
  if (demand < 1 || D <= 0) return none;
  const guestUse = U;
  const throttled = mean(ctx.series(g.id, 'cpu.throttledPct'));
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
  const busyVcpus = perVcpu ? g.vcpus.filter((_, i) => {
    const u = mean(useParts[i] ?? null);
    const w = mean(waitParts[i] ?? null);
    return u !== null && w !== null && u + w >= BUSY_VCPU_PCT;
  }).length : 0;
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
  let waited: Uint8Array | null = null;
  if (left > 0 && wait !== null && use !== null) {
    waited = ctx.waitMask;
    waited.fill(0);
    let any = false;
    for (let i = 0; i < len; i++) {
      const w = wait[i] as number;
      const u = use[i] as number;
      if (w === w && u === u && w + u > 0 && w / (w + u) >= 0.1) { waited[i] = 1; any = true; }
    }
    if (!any) waited.fill(1);
    const busy = ctx.setBusy(f.cpus, f.cpuKey);
    const busyPct = busy === null ? null : mean(busy);
    const hostCpusBusyPct = busyPct === null ? null : busyPct / Math.max(1, f.cpus.length);
    const share = clamp01(left / demand);
    if (share >= 0.005) {
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
  return { causes, waited, contentionPct: left };
}
