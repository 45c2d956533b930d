// Owns the disk and network causes of the diagnosis:
//   disk-limit       a configured limit (QEMU throttle or cgroup io) is ≥ 90 % used: share = the
//                    fraction of the window at the limit (the throughput the limit held back)
//   disk-contention  outside those samples, the disk is slow without a limit: per sample the larger of
//                    the guest's io pressure (or the host's, when the guest's is unknown and it does I/O)
//                    and, when the mean latency is over 20 ms, 1 − 20 ms / latency; share = its mean
//   network-limit    a tap at ≥ 90 % of its tc shaping rate (share = fraction of the window there),
//                    or dropping packets (half the fraction of samples with drops)
// Fixes double the binding limit (`--disk-throttle`, `--io`, `--net`); contention has no knob (null).

import type { CauseFinding } from '../model/diagnosis.js';
import type { DiskLimitsSnap, DiskSnap, GuestSnap, NicSnap } from '../model/snapshot.js';
import { allDisks } from '../model/disk-io.js';
import type { DiagnoseContext } from './context.js';
import { clamp01, fractionAtLeast, mean, round } from './stats.js';

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

export function diskCauses(ctx: DiagnoseContext, g: GuestSnap): { causes: CauseFinding[]; slow: number } {
  const causes: CauseFinding[] = [];
  const use = ctx.series(g.id, 'disks.limitUsePct');
  const atLimit = fractionAtLeast(use, AT_LIMIT_PCT);
  const b = bindingLimit(g);
  if (atLimit !== null && atLimit > 0 && b !== null) {
    causes.push({
      cause: 'disk-limit', share: clamp01(atLimit),
      evidence: {
        disk: b.disk.name, limit: b.key, limitValue: b.limit, rate: round(b.rate),
        limitUsePct: round(mean(use)), atLimitPct: round(atLimit * 100),
      },
      fix: diskFix(g, b),
    });
  }
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
  const slow = n === 0 ? 0 : s / n;
  if (slow >= 0.005) {
    const mr = mean(r);
    const mw = mean(w);
    causes.push({
      cause: 'disk-contention', share: clamp01(slow),
      evidence: {
        latencyMs: round(mean(lat), 2), ioSomePct: round(mean(psi)), hostIoSomePct: round(ctx.hostMean('host.psi.ioSomePct')),
        iops: round(mr !== null && mw !== null ? mr + mw : null),
      },
      fix: null,
    });
  }
  return { causes, slow };
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
  const use = ctx.series(g.id, 'nics.shapingUsePct');
  const drops = ctx.series(g.id, 'nics.droppedPerSec');
  const atLimit = fractionAtLeast(use, AT_LIMIT_PCT) ?? 0;
  const dropping = fractionAtLeast(drops, 1e-9) ?? 0;
  const share = clamp01(Math.max(atLimit, dropping / 2));
  if (share <= 0) return [];
  const b = bindingNic(g);
  return [{
    cause: 'network-limit', share,
    evidence: {
      nic: b?.nic.ifname ?? null, direction: b?.dir ?? null, shapingKbitPerSec: b?.kbit ?? null, rateKbitPerSec: round(b?.rateKbit ?? null),
      atLimitPct: round(atLimit * 100), droppedPerSec: round(mean(drops), 2),
    },
    fix: b ? `virtune tune ${g.id} --net ${b.nic.ifname}:${b.dir}=${Math.ceil(b.kbit * 2)}kbit` : null,
  }];
}
