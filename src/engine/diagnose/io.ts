// Owns the disk and network causes of the diagnosis:
//   disk-limit       a configured limit (QEMU throttle or cgroup io) is ≥ 90 % used: share = the
//                    fraction of the window at the limit (the throughput the limit held back)
//   disk-contention  outside those samples, the disk is slow without a limit: per sample the larger of
//                    the guest's io pressure (or the host's, when the guest's is unknown and it does I/O)
//                    and, when the mean latency is over 20 ms, 1 − 20 ms / latency; share = its mean
//   network-limit    a tap at ≥ 90 % of its tc shaping rate (share = fraction of the window there),
//                    or dropping packets (half the fraction of samples with drops)
// Fixes double the binding limit (`--disk-throttle`, `--io`, `--net`); contention has no knob (null).

import type { CauseFinding, SeriesStats } from '../model/diagnosis.js';
import type { DiskLimitsSnap, DiskSnap, GuestSnap, NicSnap } from '../model/snapshot.js';
import { allDisks } from '../model/disk-io.js';
import type { DiagnoseContext } from './context.js';
import { clamp01, round } from './stats.js';

export const AT_LIMIT_PCT = 90;
const SLOW_MS = 20;

type LimitKey = keyof DiskLimitsSnap;
const QMP_KEY: Record<LimitKey, string> = {
  readIops: 'iops_rd', writeIops: 'iops_wr', readBytesPerSec: 'bps_rd', writeBytesPerSec: 'bps_wr', totalIops: 'iops', totalBytesPerSec: 'bps',
};
const CGROUP_KEY: Partial<Record<LimitKey, string>> = { readIops: 'riops', writeIops: 'wiops', readBytesPerSec: 'rbps', writeBytesPerSec: 'wbps' };

function rateFor(d: DiskSnap, k: LimitKey): number | null {
  const sum = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);
  switch (k) {
    case 'readIops': return d.readIops;
    case 'writeIops': return d.writeIops;
    case 'readBytesPerSec': return d.readBytesPerSec;
    case 'writeBytesPerSec': return d.writeBytesPerSec;
    case 'totalIops': return sum(d.readIops, d.writeIops);
    case 'totalBytesPerSec': return sum(d.readBytesPerSec, d.writeBytesPerSec);
  }
}

/** The disk and limit closest to being used up in the latest snapshot (the tightest configured one). */
function bindingLimit(g: GuestSnap): { disk: DiskSnap; key: LimitKey; limit: number; rate: number | null } | null {
  let best: { disk: DiskSnap; key: LimitKey; limit: number; rate: number | null; use: number } | null = null;
  for (const d of allDisks(g)) {
    for (const k of Object.keys(d.limits) as LimitKey[]) {
      const limit = d.limits[k];
      if (limit === null || limit <= 0) continue;
      const rate = rateFor(d, k);
      const use = rate === null ? -1 : rate / limit;
      if (best === null || use > best.use) best = { disk: d, key: k, limit, rate, use };
    }
  }
  return best;
}

function diskFix(g: GuestSnap, b: { disk: DiskSnap; key: LimitKey; limit: number }): string | null {
  const v = Math.ceil(b.limit * 2);
  if (b.disk.source === 'cgroup') {
    const k = CGROUP_KEY[b.key];
    return k && b.disk.device ? `virtune tune ${g.id} --io ${b.disk.device}:${k}=${v}` : null;
  }
  return `virtune tune ${g.id} --disk-throttle ${b.disk.name}:${QMP_KEY[b.key]}=${v}`;
}

const knownIn = (st: SeriesStats | null): number => (st === null ? 0 : st.known);

/**
 * The mean contention (the loop of slowness() below) read from window statistics when they settle it
 * without a walk; null otherwise. 0 when no sample has anything to weigh (no latency, no io pressure of
 * its own, and no operations or no host io pressure); with no sample at a limit, the guest's own io
 * pressure known in every sample and within 0..100 and latency never over SLOW_MS, every sample counts
 * its pressure alone.
 */
function quietDisk(ctx: DiagnoseContext, g: GuestSnap, atLimit: number | null): number | null {
  if (!ctx.window.stats) return null; // statistics would be a walk too: walk once, sample by sample
  const len = ctx.window.length;
  const lat = ctx.stat(g.id, 'disks.latencyMs');
  const latKnown = knownIn(lat);
  const latMax = latKnown > 0 ? (lat as SeriesStats).max : 0;
  const psi = ctx.stat(g.id, 'psi.ioSomePct');
  const psiKnown = knownIn(psi);
  const psiSum = psi === null ? 0 : psi.sum;
  const psiInRange = psi !== null && psi.min >= 0 && psi.max <= 100;
  if (latKnown === 0 && psiKnown === 0) {
    const noOps = knownIn(ctx.stat(g.id, 'disks.readIops')) === 0 || knownIn(ctx.stat(g.id, 'disks.writeIops')) === 0;
    if (noOps || knownIn(ctx.stat(null, 'host.psi.ioSomePct')) === 0) return 0;
    return null;
  }
  if (atLimit !== null && atLimit > 0) return null;
  if (latMax > SLOW_MS || len === 0 || psiKnown !== len || !psiInRange) return null;
  return psiSum / 100 / len;
}

export function diskCauses(ctx: DiagnoseContext, g: GuestSnap): { causes: CauseFinding[]; slow: number } {
  const causes: CauseFinding[] = [];
  const atLimit = ctx.fractionAtLeast(g.id, 'disks.limitUsePct', AT_LIMIT_PCT);
  const b = atLimit !== null && atLimit > 0 ? bindingLimit(g) : null;
  if (atLimit !== null && atLimit > 0 && b !== null) {
    causes.push({
      cause: 'disk-limit', share: clamp01(atLimit),
      evidence: {
        disk: b.disk.name, limit: b.key, limitValue: b.limit, rate: round(b.rate),
        limitUsePct: round(ctx.mean(g.id, 'disks.limitUsePct')), atLimitPct: round(atLimit * 100),
      },
      fix: diskFix(g, b),
    });
  }
  const slow = quietDisk(ctx, g, atLimit) ?? slowness(ctx, g);
  if (slow >= 0.005) {
    const mr = ctx.mean(g.id, 'disks.readIops');
    const mw = ctx.mean(g.id, 'disks.writeIops');
    causes.push({
      cause: 'disk-contention', share: clamp01(slow),
      evidence: {
        latencyMs: round(ctx.mean(g.id, 'disks.latencyMs'), 2), ioSomePct: round(ctx.mean(g.id, 'psi.ioSomePct')), hostIoSomePct: round(ctx.hostMean('host.psi.ioSomePct')),
        iops: round(mr !== null && mw !== null ? mr + mw : null),
      },
      fix: null,
    });
  }
  return { causes, slow };
}

/** The mean contention of the samples, walked (the rules in the header). */
function slowness(ctx: DiagnoseContext, g: GuestSnap): number {
  const use = ctx.series(g.id, 'disks.limitUsePct');
  const lat = ctx.series(g.id, 'disks.latencyMs');
  const psi = ctx.series(g.id, 'psi.ioSomePct');
  const hostPsi = ctx.series(null, 'host.psi.ioSomePct');
  const r = ctx.series(g.id, 'disks.readIops');
  const w = ctx.series(g.id, 'disks.writeIops');
  let s = 0;
  let n = 0;
  const len = ctx.window.length;
  for (let i = 0; i < len; i++) {
    const u = use === null ? NaN : (use[i] as number);
    if (u === u && u >= AT_LIMIT_PCT) { n++; continue; } // the limit explains this sample
    const l = lat === null ? NaN : (lat[i] as number);
    const p = psi === null ? NaN : (psi[i] as number);
    const ops = (r === null ? NaN : (r[i] as number)) + (w === null ? NaN : (w[i] as number));
    const hp = hostPsi === null ? NaN : (hostPsi[i] as number);
    let c = -1;
    if (p === p) c = p / 100;
    else if (hp === hp && ops === ops && ops > 0) c = hp / 100;
    if (l === l) c = Math.max(c, l > SLOW_MS ? 1 - SLOW_MS / l : 0);
    if (c < 0) continue; // nothing known in this sample
    s += clamp01(c);
    n++;
  }
  return n === 0 ? 0 : s / n;
}

function bindingNic(g: GuestSnap): { nic: NicSnap; dir: 'in' | 'out'; kbit: number; rateKbit: number | null } | null {
  let best: { nic: NicSnap; dir: 'in' | 'out'; kbit: number; rateKbit: number | null; use: number } | null = null;
  for (const n of g.nics) {
    for (const [dir, kbit, bps] of [['in', n.shaping.inKbitPerSec, n.rxBytesPerSec], ['out', n.shaping.outKbitPerSec, n.txBytesPerSec]] as const) {
      if (kbit === null || kbit <= 0) continue;
      const rateKbit = bps === null ? null : (bps * 8) / 1000;
      const use = rateKbit === null ? -1 : rateKbit / kbit;
      if (best === null || use > best.use) best = { nic: n, dir, kbit, rateKbit, use };
    }
  }
  return best;
}

export function networkCauses(ctx: DiagnoseContext, g: GuestSnap): CauseFinding[] {
  const atLimit = ctx.fractionAtLeast(g.id, 'nics.shapingUsePct', AT_LIMIT_PCT) ?? 0;
  const dropping = ctx.fractionAtLeast(g.id, 'nics.droppedPerSec', 1e-9) ?? 0;
  const share = clamp01(Math.max(atLimit, dropping / 2));
  if (share <= 0) return [];
  const b = bindingNic(g);
  return [{
    cause: 'network-limit', share,
    evidence: {
      nic: b?.nic.ifname ?? null, direction: b?.dir ?? null, shapingKbitPerSec: b?.kbit ?? null, rateKbitPerSec: round(b?.rateKbit ?? null),
      atLimitPct: round(atLimit * 100), droppedPerSec: round(ctx.mean(g.id, 'nics.droppedPerSec'), 2),
    },
    fix: b ? `virtune tune ${g.id} --net ${b.nic.ifname}:${b.dir}=${Math.ceil(b.kbit * 2)}kbit` : null,
  }];
}
