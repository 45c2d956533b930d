// Owns the thin cgroup readers: each reads one file of a guest's cgroup through ReadCtx (cached fds on
// the hot path) and parses it with cgroup/parse.ts; plus the per-guest compositions for CPU, memory,
// disks and PSI across v1 and v2 (the nested libvirt/ group's limits are taken when they are tighter).

import type { Limit, RawCpuGroup, RawDisk, RawPsiTotals } from '../../engine/model/sample.js';
import type { ReadCtx } from '../read-ctx.js';
import type { GuestCgroupDirs } from '../discovery/types.js';
import {
  hugetlbLabel, numaStatBytes, parseBlkioRwstat, parseBlkioThrottleDevice, parseCfsQuota, parseCgroupInt,
  parseCpuacctUsage, parseCpuMax, parseCpusetList, parseCpuStat, parseHugetlbNumaStat, parseIoMax, parseIoStat,
  parseMemoryLimitV1, parseMemoryMax, parseMemoryNumaStat, parseMemoryStat, parsePsiTotals, type CpuStat,
} from './parse.js';

const S = 'cgroup';

export const readCpuStat = (ctx: ReadCtx, dir: string): CpuStat | null => ctx.get(ctx.file(dir, 'cpu.stat'), S, parseCpuStat);
export const readCpuMax = (ctx: ReadCtx, dir: string): { quotaUsec: Limit; periodUsec: number } | null =>
  ctx.carried(ctx.file(dir, 'cpu.max'), S, parseCpuMax);
export const readCpuWeight = (ctx: ReadCtx, dir: string): number | null => ctx.carried(ctx.file(dir, 'cpu.weight'), S, (t) => parseCgroupInt(t, 'cpu.weight'));
export const readCpuShares = (ctx: ReadCtx, dir: string): number | null => ctx.carried(ctx.file(dir, 'cpu.shares'), S, (t) => parseCgroupInt(t, 'cpu.shares'));
export const readCfsQuota = (ctx: ReadCtx, dir: string): Limit | null => ctx.carried(ctx.file(dir, 'cpu.cfs_quota_us'), S, parseCfsQuota);
export const readCfsPeriod = (ctx: ReadCtx, dir: string): number | null =>
  ctx.carried(ctx.file(dir, 'cpu.cfs_period_us'), S, (t) => parseCgroupInt(t, 'cpu.cfs_period_us'));
export const readCpuacctUsage = (ctx: ReadCtx, dir: string, file = 'cpuacct.usage'): number | null =>
  ctx.get(ctx.file(dir, file), S, parseCpuacctUsage);
export const readCpuset = (ctx: ReadCtx, dir: string, file: string): string | null => ctx.carried(ctx.file(dir, file), S, parseCpusetList);
export const readMemoryCurrent = (ctx: ReadCtx, dir: string, file = 'memory.current'): number | null =>
  ctx.get(ctx.file(dir, file), S, (t) => parseCgroupInt(t, file));
export const readMemoryMax = (ctx: ReadCtx, dir: string): Limit | null => ctx.carried(ctx.file(dir, 'memory.max'), S, parseMemoryMax);
export const readMemoryLimitV1 = (ctx: ReadCtx, dir: string): Limit | null => ctx.carried(ctx.file(dir, 'memory.limit_in_bytes'), S, parseMemoryLimitV1);
export const readMemoryStat = (ctx: ReadCtx, dir: string): Map<string, number> | null => ctx.get(ctx.file(dir, 'memory.stat'), S, parseMemoryStat);

/**
 * CFS limit and throttling of a CPU sub-group (libvirt's vcpuN / emulator): v1 cpu.cfs_quota_us,
 * cpu.cfs_period_us and cpu.stat; v2 cpu.max and cpu.stat. null when the group has none of them.
 * A group without a quota of its own ('max') has frozen throttling counters (the kernel counts periods
 * and throttling only for a group with a quota; a parent's limit is counted in the parent): while the
 * quota stays 'max' between settings ticks, `prev` (the last reading, same quota) is returned as it is,
 * without reading cpu.stat; a settings tick (every few ticks, and right after a tuning) reads it again,
 * so a quota set meanwhile is seen with its counters at once.
 */
export function readCpuGroup(ctx: ReadCtx, dir: string, version: 1 | 2, prev: RawCpuGroup | null = null): RawCpuGroup | null {
  let q: Limit | null;
  let p: number | null;
  if (version === 2) {
    const mx = readCpuMax(ctx, dir);
    q = mx?.quotaUsec ?? null;
    p = mx?.periodUsec ?? null;
  } else {
    q = readCfsQuota(ctx, dir);
    p = readCfsPeriod(ctx, dir);
  }
  if (!ctx.settingsDue && q === 'max' && prev !== null && prev.quotaUsec === 'max' && prev.periodUsec === p) return prev;
  const st = readCpuStat(ctx, dir);
  if (st === null && q === null && p === null) return null;
  return { quotaUsec: q, periodUsec: p, nrPeriods: st?.nrPeriods ?? null, nrThrottled: st?.nrThrottled ?? null, throttledUsec: st?.throttledUsec ?? null };
}

/** Guest CPU time, throttling and CPU settings of the guest's cgroup. */
export interface CgroupCpu {
  usageUsec: number | null; userUsec: number | null; systemUsec: number | null;
  nrPeriods: number | null; nrThrottled: number | null; throttledUsec: number | null;
  weight: number | null; shares: number | null; quotaUsec: Limit | null; periodUsec: number | null;
  cpuset: string | null; cpusetEffective: string | null; mems: string | null; memsEffective: string | null;
}

/** The tighter of two quota/period pairs (a quota in the nested libvirt/ group also caps the guest). */
function tighter(a: { q: Limit | null; p: number | null }, b: { q: Limit | null; p: number | null }): { q: Limit | null; p: number | null } {
  if (b.q === null || b.q === 'max') return a.q === null ? b : a;
  if (a.q === null || a.q === 'max') return b;
  return b.q / (b.p ?? 100000) < a.q / (a.p ?? 100000) ? b : a;
}

const CPUSET_FILES_V2 = { cpus: 'cpuset.cpus', ecpus: 'cpuset.cpus.effective', mems: 'cpuset.mems', emems: 'cpuset.mems.effective' } as const;
const CPUSET_FILES_V1 = { cpus: 'cpuset.cpus', ecpus: 'cpuset.effective_cpus', mems: 'cpuset.mems', emems: 'cpuset.effective_mems' } as const;

/**
 * A cpuset file of the guest: the nested group's (where libvirt writes cpuset) is the more specific one
 * when it has a value, else the guest's own; an empty value only when neither has one.
 */
function pickCpuset(ctx: ReadCtx, d: GuestCgroupDirs, file: string): string | null {
  let fallback: string | null = null;
  for (let i = 0; i < 2; i++) {
    const dir = i === 0 ? d.nested?.cpuset : d.cpuset;
    if (!dir) continue;
    const v = readCpuset(ctx, dir, file);
    if (v !== null && v !== '') return v;
    if (v !== null && fallback === null) fallback = v;
  }
  return fallback;
}

export function readGuestCpu(ctx: ReadCtx, d: GuestCgroupDirs, own: boolean): CgroupCpu {
  const out: CgroupCpu = {
    usageUsec: null, userUsec: null, systemUsec: null, nrPeriods: null, nrThrottled: null, throttledUsec: null,
    weight: null, shares: null, quotaUsec: null, periodUsec: null,
    cpuset: null, cpusetEffective: null, mems: null, memsEffective: null,
  };
  let quota: { q: Limit | null; p: number | null } = { q: null, p: null };
  if (d.version === 2) {
    if (d.cpu) {
      const st = readCpuStat(ctx, d.cpu);
      if (st && own) {
        out.usageUsec = st.usageUsec; out.userUsec = st.userUsec; out.systemUsec = st.systemUsec;
        out.nrPeriods = st.nrPeriods; out.nrThrottled = st.nrThrottled; out.throttledUsec = st.throttledUsec;
      }
      out.weight = readCpuWeight(ctx, d.cpu);
      const mx = readCpuMax(ctx, d.cpu);
      quota = { q: mx?.quotaUsec ?? null, p: mx?.periodUsec ?? null };
    }
    if (d.nested?.cpu) {
      const mx = readCpuMax(ctx, d.nested.cpu);
      quota = tighter(quota, { q: mx?.quotaUsec ?? null, p: mx?.periodUsec ?? null });
    }
  } else {
    if (d.cpuacct && own) {
      out.usageUsec = readCpuacctUsage(ctx, d.cpuacct);
      out.userUsec = readCpuacctUsage(ctx, d.cpuacct, 'cpuacct.usage_user');
      out.systemUsec = readCpuacctUsage(ctx, d.cpuacct, 'cpuacct.usage_sys');
    } else if (d.unified && own) {
      // hybrid: libvirt's v2 backend accounts CPU in the unified tree (cpu.stat exists without the controller)
      const st = readCpuStat(ctx, d.unified);
      if (st) { out.usageUsec = st.usageUsec; out.userUsec = st.userUsec; out.systemUsec = st.systemUsec; }
    }
    if (d.cpu) {
      if (own) {
        const st = readCpuStat(ctx, d.cpu);
        if (st) { out.nrPeriods = st.nrPeriods; out.nrThrottled = st.nrThrottled; out.throttledUsec = st.throttledUsec; }
      }
      out.shares = readCpuShares(ctx, d.cpu);
      quota = { q: readCfsQuota(ctx, d.cpu), p: readCfsPeriod(ctx, d.cpu) };
    }
    if (d.nested?.cpu) quota = tighter(quota, { q: readCfsQuota(ctx, d.nested.cpu), p: readCfsPeriod(ctx, d.nested.cpu) });
  }
  out.quotaUsec = quota.q;
  out.periodUsec = quota.p;
  const files = d.version === 2 ? CPUSET_FILES_V2 : CPUSET_FILES_V1;
  out.cpuset = pickCpuset(ctx, d, files.cpus);
  out.cpusetEffective = pickCpuset(ctx, d, files.ecpus);
  out.mems = pickCpuset(ctx, d, files.mems);
  out.memsEffective = pickCpuset(ctx, d, files.emems);
  return out;
}

export interface CgroupMemory {
  currentBytes: number | null;
  maxBytes: Limit | null;
  hugetlbBytes: number | null;
}

/** Anonymous THP bytes of the guest's cgroup: v2 `anon_thp`, v1 `total_rss_huge`/`rss_huge` (memory.stat is big: slow cadence). */
export function readGuestThp(ctx: ReadCtx, d: GuestCgroupDirs): number | null {
  if (!d.memory) return null;
  const st = readMemoryStat(ctx, d.memory);
  if (!st) return null;
  return d.version === 2 ? st.get('anon_thp') ?? null : st.get('total_rss_huge') ?? st.get('rss_huge') ?? null;
}

const minLimit = (a: Limit | null, b: Limit | null): Limit | null => {
  if (a === null || a === 'max') return b ?? a;
  if (b === null || b === 'max') return a;
  return Math.min(a, b);
};

/** Memory usage, limit, THP and hugetlb usage; `hugeSizesKb` are the host's hugepage sizes. */
export function readGuestMemory(ctx: ReadCtx, d: GuestCgroupDirs, own: boolean, hugeSizesKb: readonly number[]): CgroupMemory {
  const out: CgroupMemory = { currentBytes: null, maxBytes: null, hugetlbBytes: null };
  if (d.memory) {
    if (d.version === 2) {
      if (own) out.currentBytes = readMemoryCurrent(ctx, d.memory);
      out.maxBytes = readMemoryMax(ctx, d.memory);
      if (d.nested?.memory) out.maxBytes = minLimit(out.maxBytes, readMemoryMax(ctx, d.nested.memory));
    } else {
      if (own) out.currentBytes = readMemoryCurrent(ctx, d.memory, 'memory.usage_in_bytes');
      out.maxBytes = readMemoryLimitV1(ctx, d.memory);
      if (d.nested?.memory) out.maxBytes = minLimit(out.maxBytes, readMemoryLimitV1(ctx, d.nested.memory));
    }
  }
  if (d.hugetlb && own && hugeSizesKb.length > 0) {
    let sum: number | null = null;
    for (const kb of hugeSizesKb) {
      const file = d.version === 2 ? `hugetlb.${hugetlbLabel(kb)}.current` : `hugetlb.${hugetlbLabel(kb)}.usage_in_bytes`;
      const v = readMemoryCurrent(ctx, d.hugetlb, file);
      if (v !== null) sum = (sum ?? 0) + v;
    }
    out.hugetlbBytes = sum;
  }
  return out;
}

/** Per-node resident bytes from memory.numa_stat plus hugetlb.<size>.numa_stat; null when unavailable. */
export function readGuestNumaStat(ctx: ReadCtx, d: GuestCgroupDirs, hugeSizesKb: readonly number[], pageSize: number): Record<string, number> | null {
  if (!d.memory) return null;
  const st = ctx.get(ctx.file(d.memory, 'memory.numa_stat'), S, parseMemoryNumaStat);
  const out = st ? numaStatBytes(st, d.version, pageSize) : null;
  if (!out) return null;
  if (d.hugetlb) {
    for (const kb of hugeSizesKb) {
      const h = ctx.get(`${d.hugetlb}/hugetlb.${hugetlbLabel(kb)}.numa_stat`, S, parseHugetlbNumaStat);
      if (h) for (const [n, v] of Object.entries(h)) out[n] = (out[n] ?? 0) + v;
    }
  }
  return out;
}

/** `MAJ:MIN` in numeric order: what `localeCompare(…, 'en', { numeric: true })` gives, one collator made once. */
const DEVICE_ORDER = new Intl.Collator('en', { numeric: true });

/** Disks per host block device from io.stat/io.max (v2) or blkio.throttle.* (v1). `devName` maps MAJ:MIN → name. */
export function readGuestDisks(ctx: ReadCtx, d: GuestCgroupDirs, own: boolean, devName: (majmin: string) => string | null): RawDisk[] {
  if (!d.io) return [];
  const disks = new Map<string, RawDisk>();
  const disk = (dev: string): RawDisk => {
    let x = disks.get(dev);
    if (!x) {
      x = {
        name: devName(dev) ?? dev, source: 'cgroup', device: dev, qdev: null,
        readOps: null, writeOps: null, flushOps: null, readBytes: null, writeBytes: null,
        readTimeUsec: null, writeTimeUsec: null, flushTimeUsec: null,
        limits: { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null },
      };
      disks.set(dev, x);
    }
    return x;
  };
  const lim = (v: Limit | null): number | null => (v === null || v === 'max' ? null : v);
  if (d.version === 2) {
    if (own) {
      const st = ctx.get(ctx.file(d.io, 'io.stat'), S, parseIoStat);
      for (const [dev, e] of st ?? []) {
        const x = disk(dev);
        x.readOps = e.rios; x.writeOps = e.wios; x.readBytes = e.rbytes; x.writeBytes = e.wbytes;
      }
    }
    for (const dir of [d.io, d.nested?.io]) {
      if (!dir) continue;
      for (const [dev, e] of ctx.carried(ctx.file(dir, 'io.max'), S, parseIoMax) ?? []) {
        const l = disk(dev).limits;
        const pickMin = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
        l.readBytesPerSec = pickMin(l.readBytesPerSec, lim(e.rbps));
        l.writeBytesPerSec = pickMin(l.writeBytesPerSec, lim(e.wbps));
        l.readIops = pickMin(l.readIops, lim(e.riops));
        l.writeIops = pickMin(l.writeIops, lim(e.wiops));
      }
    }
  } else {
    if (own) {
      // libvirt v1 puts QEMU's threads in child groups: the _recursive files include them
      const io = d.io;
      const rw = (base: string, recursive: string): ReturnType<typeof parseBlkioRwstat> | null =>
        ctx.get(ctx.file(io, recursive), S, parseBlkioRwstat) ?? ctx.get(ctx.file(io, base), S, parseBlkioRwstat);
      const bytes = rw('blkio.throttle.io_service_bytes', 'blkio.throttle.io_service_bytes_recursive');
      const ios = rw('blkio.throttle.io_serviced', 'blkio.throttle.io_serviced_recursive');
      for (const [dev, e] of bytes?.devices ?? []) { const x = disk(dev); x.readBytes = e.read; x.writeBytes = e.write; }
      for (const [dev, e] of ios?.devices ?? []) { const x = disk(dev); x.readOps = e.read; x.writeOps = e.write; }
    }
    const files: Array<[string, 'readBytesPerSec' | 'writeBytesPerSec' | 'readIops' | 'writeIops']> = [
      ['blkio.throttle.read_bps_device', 'readBytesPerSec'], ['blkio.throttle.write_bps_device', 'writeBytesPerSec'],
      ['blkio.throttle.read_iops_device', 'readIops'], ['blkio.throttle.write_iops_device', 'writeIops'],
    ];
    for (const dir of [d.io, d.nested?.io]) {
      if (!dir) continue;
      for (const [file, key] of files) {
        for (const [dev, v] of ctx.carried(ctx.file(dir, file), S, parseBlkioThrottleDevice) ?? []) {
          const l = disk(dev).limits;
          l[key] = l[key] === null ? v : Math.min(l[key] as number, v);
        }
      }
    }
  }
  return [...disks.values()].sort((a, b) => DEVICE_ORDER.compare(a.device ?? '', b.device ?? ''));
}

/** PSI totals of a directory (v2 cgroup or /proc/pressure); null when no pressure file exists. */
export function readPsiTotals(ctx: ReadCtx, dir: string, names: { cpu: string; io: string; mem: string }): RawPsiTotals | null {
  const cpu = ctx.get(ctx.file(dir, names.cpu), 'psi', parsePsiTotals);
  const io = ctx.get(ctx.file(dir, names.io), 'psi', parsePsiTotals);
  const mem = ctx.get(ctx.file(dir, names.mem), 'psi', parsePsiTotals);
  if (!cpu && !io && !mem) return null;
  return {
    cpuSomeUsec: cpu?.someUsec ?? null, cpuFullUsec: cpu?.fullUsec ?? null,
    ioSomeUsec: io?.someUsec ?? null, ioFullUsec: io?.fullUsec ?? null,
    memSomeUsec: mem?.someUsec ?? null, memFullUsec: mem?.fullUsec ?? null,
  };
}
