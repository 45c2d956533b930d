// Owns the pure parsers of cgroup v1 and v2 interface files: cpu.stat (both versions), cpu.max,
// cfs quota/period, weight/shares, cpuacct.usage (ns → µs via BigInt), cpuset lists, io.stat, io.max,
// blkio rwstat and *_device files, memory.current/max/limit_in_bytes/stat/numa_stat (v1 pages, v2
// bytes), hugetlb.*, PSI, cgroup.procs/threads/controllers. Text in, values out; no I/O.

import type { Limit } from '../../engine/model/sample.js';
import { parseCpuList } from '../../engine/model/cpulist.js';
import {
  digitsEnd, flatKeyedSpan, type KeyedSpan, nsTextToUsec, parseError, parseFlatKeyed, parseNestedKeyed, parseSingleInt, skipSpace, spanDigitsValue,
  spanIs, spanNsToUsec, spanToInt, toInt, tokenEnd, trimEnd,
} from '../parse-common.js';

export interface CpuStat {
  usageUsec: number | null;
  userUsec: number | null;
  systemUsec: number | null;
  nrPeriods: number | null;
  nrThrottled: number | null;
  /** v2 `throttled_usec`, or v1 `throttled_time` (ns) converted to µs */
  throttledUsec: number | null;
  nrBursts: number | null;
  burstUsec: number | null;
}

/** `cpu.stat` of either version: v2 keys are µs (`*_usec`), v1 `throttled_time`/`burst_time` are ns. */
export function parseCpuStat(text: string): CpuStat {
  // Read on every tick for every CPU group, so the lines are taken in place (no split, regex, map or
  // copy per line): the same lines as parseFlatKeyed accepts, the last of a repeated key wins.
  const out: CpuStat = {
    usageUsec: null, userUsec: null, systemUsec: null, nrPeriods: null, nrThrottled: null, throttledUsec: null, nrBursts: null, burstUsec: null,
  };
  let throttledIsUsec = false, burstIsUsec = false;
  const sp: KeyedSpan = { keyEnd: 0, valStart: 0, valEnd: 0 };
  const n = text.length;
  for (let ls = 0; ls <= n;) {
    let le = text.indexOf('\n', ls);
    if (le < 0) le = n;
    if (flatKeyedSpan(text, ls, le, sp)) {
      const ke = sp.keyEnd, vs = sp.valStart, ve = sp.valEnd;
      if (spanIs(text, ls, ke, 'usage_usec')) out.usageUsec = spanToInt(text, vs, ve);
      else if (spanIs(text, ls, ke, 'user_usec')) out.userUsec = spanToInt(text, vs, ve);
      else if (spanIs(text, ls, ke, 'system_usec')) out.systemUsec = spanToInt(text, vs, ve);
      else if (spanIs(text, ls, ke, 'nr_periods')) out.nrPeriods = spanToInt(text, vs, ve);
      else if (spanIs(text, ls, ke, 'nr_throttled')) out.nrThrottled = spanToInt(text, vs, ve);
      else if (spanIs(text, ls, ke, 'throttled_usec')) { out.throttledUsec = spanToInt(text, vs, ve); throttledIsUsec = true; }
      else if (spanIs(text, ls, ke, 'throttled_time')) { if (!throttledIsUsec) out.throttledUsec = spanNsToUsec(text, vs, ve); }
      else if (spanIs(text, ls, ke, 'nr_bursts')) out.nrBursts = spanToInt(text, vs, ve);
      else if (spanIs(text, ls, ke, 'burst_usec')) { out.burstUsec = spanToInt(text, vs, ve); burstIsUsec = true; }
      else if (spanIs(text, ls, ke, 'burst_time')) { if (!burstIsUsec) out.burstUsec = spanNsToUsec(text, vs, ve); }
    }
    ls = le + 1;
  }
  return out;
}

/** v2 `cpu.max`: `$MAX $PERIOD`, `$MAX` is µs or `max`. */
export function parseCpuMax(text: string): { quotaUsec: Limit; periodUsec: number } {
  const m = /^(max|\d+)\s+(\d+)$/.exec(text.trim());
  if (!m) throw parseError('cpu.max ("$MAX $PERIOD")', text);
  return { quotaUsec: m[1] === 'max' ? 'max' : Number(m[1]), periodUsec: Number(m[2]) };
}

/** v1 `cpu.cfs_quota_us`: µs, any negative value (normally -1) = unlimited. */
export function parseCfsQuota(text: string): Limit {
  const v = parseSingleInt(text, 'cpu.cfs_quota_us');
  return v < 0 ? 'max' : v;
}

/** v1 `cpu.cfs_period_us`, v1 `cpu.shares`, v2 `cpu.weight`: one integer. */
export function parseCgroupInt(text: string, what: string): number {
  return parseSingleInt(text, what);
}

/** v1 `cpuacct.usage`: nanoseconds (passes 2^53 on big hosts) → µs. */
export function parseCpuacctUsage(text: string): number {
  const v = nsTextToUsec(text);
  if (v === null) throw parseError('cpuacct.usage (ns)', text);
  return v;
}

/** A cpuset list file (`cpuset.cpus`, `cpuset.effective_mems`, …): validated, returned trimmed; '' is valid. */
export function parseCpusetList(text: string): string {
  const t = text.trim();
  try {
    parseCpuList(t);
  } catch {
    throw parseError('cpuset list', text);
  }
  return t;
}

export interface IoStatEntry {
  rbytes: number | null; wbytes: number | null; rios: number | null; wios: number | null;
  dbytes: number | null; dios: number | null;
}

/** Nested keyed lines keyed by device (`MAJ:MIN key=val …`); other lines are skipped. */
function parseDeviceKeyed(text: string): Array<[string, Map<string, string>]> {
  return [...parseNestedKeyed(text)].filter(([dev]) => /^\d+:\d+$/.test(dev));
}

/**
 * The io.stat key text[from, to) is (`rbytes`, `wbytes`, `dbytes`, `rios`, `wios`, `dios`), else null:
 * told apart by length and first letter, one comparison for the rest.
 */
function ioStatKey(text: string, from: number, to: number): keyof IoStatEntry | null {
  const c = text.charCodeAt(from);
  if (to - from === 6 && text.startsWith('bytes', from + 1)) return c === 114 ? 'rbytes' : c === 119 ? 'wbytes' : c === 100 ? 'dbytes' : null;
  if (to - from === 4 && text.startsWith('ios', from + 1)) return c === 114 ? 'rios' : c === 119 ? 'wios' : c === 100 ? 'dios' : null;
  return null;
}

/** True when text[from, to) is `MAJ:MIN` (`^\d+:\d+$`). */
function isDeviceKey(text: string, from: number, to: number): boolean {
  const c = digitsEnd(text, from, to);
  return c > from && c < to && text.charCodeAt(c) === 58 && c + 1 < to && digitsEnd(text, c + 1, to) === to;
}

/**
 * v2 `io.stat`: `MAJ:MIN key=val …` per device that saw I/O; unknown keys ignored. Read for every guest
 * every tick, so the lines are taken in place, with the nested-keyed reading it replaced: whitespace
 * separated tokens of the trimmed line, the first `=` of a token splits key and value, the last of a
 * repeated key wins, a repeated device takes the later line at the first one's place.
 */
export function parseIoStat(text: string): Map<string, IoStatEntry> {
  const out = new Map<string, IoStatEntry>();
  const n = text.length;
  for (let ls = 0; ls <= n;) {
    let le = text.indexOf('\n', ls);
    if (le < 0) le = n;
    const next = le + 1;
    const ks = skipSpace(text, ls, le);
    ls = next;
    const ke = tokenEnd(text, ks, le);
    if (!isDeviceKey(text, ks, ke)) continue;
    const e: IoStatEntry = { rbytes: null, wbytes: null, rios: null, wios: null, dbytes: null, dios: null };
    for (let ts = skipSpace(text, ke, le); ts < le;) {
      const te = tokenEnd(text, ts, le);
      const eq = text.indexOf('=', ts);
      if (eq > ts && eq < te) {
        const k = ioStatKey(text, ts, eq);
        if (k !== null) e[k] = spanToInt(text, eq + 1, te);
      }
      ts = skipSpace(text, te, le);
    }
    out.set(text.slice(ks, ke), e);
  }
  return out;
}

export interface IoMaxEntry { rbps: Limit | null; wbps: Limit | null; riops: Limit | null; wiops: Limit | null }

const limitOf = (s: string | undefined): Limit | null => (s === 'max' ? 'max' : toInt(s));

/** v2 `io.max`: `MAJ:MIN rbps=N|max wbps=… riops=… wiops=…`; empty file = no limits. */
export function parseIoMax(text: string): Map<string, IoMaxEntry> {
  const out = new Map<string, IoMaxEntry>();
  for (const [dev, kv] of parseDeviceKeyed(text)) {
    out.set(dev, {
      rbps: limitOf(kv.get('rbps')), wbps: limitOf(kv.get('wbps')),
      riops: limitOf(kv.get('riops')), wiops: limitOf(kv.get('wiops')),
    });
  }
  return out;
}

export interface RwStat { read: number | null; write: number | null; discard: number | null; total: number | null }

/** v1 `blkio.throttle.io_service_bytes` / `io_serviced` (and `_recursive`): per device Read/Write/…/Total. */
export function parseBlkioRwstat(text: string): { devices: Map<string, RwStat>; total: number | null } {
  const devices = new Map<string, RwStat>();
  let total: number | null = null;
  for (const line of text.split('\n')) {
    const t = line.trim();
    const m = /^(\d+:\d+) (Read|Write|Sync|Async|Discard|Total) (\d+)$/.exec(t);
    if (m) {
      const dev = m[1] as string;
      const e = devices.get(dev) ?? { read: null, write: null, discard: null, total: null };
      const v = Number(m[3]);
      if (m[2] === 'Read') e.read = v;
      else if (m[2] === 'Write') e.write = v;
      else if (m[2] === 'Discard') e.discard = v;
      else if (m[2] === 'Total') e.total = v;
      devices.set(dev, e);
      continue;
    }
    const tm = /^Total (\d+)$/.exec(t);
    if (tm) total = Number(tm[1]);
  }
  return { devices, total };
}

/** v1 `blkio.throttle.{read,write}_{bps,iops}_device`: `MAJ:MIN value` per rule (0 never appears: it removes). */
export function parseBlkioThrottleDevice(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\d+:\d+)\s+(\d+)$/.exec(line.trim());
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** v2 `memory.max`/`memory.high`/`hugetlb.*.max`: bytes or `max`. */
export function parseMemoryMax(text: string): Limit {
  const t = text.trim();
  if (t === 'max') return 'max';
  return parseSingleInt(t, 'memory limit (bytes or max)');
}

/** Anything at or above 2^60 bytes is the v1 "unlimited" value (9223372036854771712 with 4 KiB pages, other page sizes round differently). */
const V1_UNLIMITED = 1n << 60n;

/** v1 `memory.limit_in_bytes`: a huge number means unlimited → 'max'; BigInt so the huge value is not rounded. */
export function parseMemoryLimitV1(text: string): Limit {
  const t = text.trim();
  if (t === '-1') return 'max';
  if (!/^\d+$/.test(t)) throw parseError('memory.limit_in_bytes', text);
  const v = BigInt(t);
  return v >= V1_UNLIMITED ? 'max' : Number(v);
}

/** `memory.stat` (either version): flat keyed numbers (sizes bytes, events counts). */
export function parseMemoryStat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of parseFlatKeyed(text)) {
    const n = toInt(v);
    if (n !== null) out.set(k, n);
  }
  return out;
}

/**
 * `memory.numa_stat`: v2 lines `anon N0=<bytes> N1=…`; v1 lines `total=<pages> N0=<pages> …`.
 * Returns key → node → raw value (bytes on v2, PAGES on v1; see numaStatBytes).
 */
export function parseMemoryNumaStat(text: string): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const first = parts[0];
    if (!first) continue;
    const key = first.includes('=') ? first.slice(0, first.indexOf('=')) : first;
    if (!/^[a-z_]+$/.test(key)) continue;
    const nodes = new Map<number, number>();
    for (const p of parts.slice(1)) {
      const m = /^N(\d+)=(\d+)$/.exec(p);
      if (m) nodes.set(Number(m[1]), Number(m[2]));
    }
    out.set(key, nodes);
  }
  return out;
}

/**
 * Resident bytes per node of a cgroup from its memory.numa_stat: v2 `anon`+`file` (bytes); v1
 * `hierarchical_total` (or `total`) in pages × page size. Null when the keys are absent.
 */
export function numaStatBytes(stat: Map<string, Map<number, number>>, version: 1 | 2, pageSize: number): Record<string, number> | null {
  const out: Record<string, number> = {};
  const add = (m: Map<number, number> | undefined, mult: number): boolean => {
    if (!m) return false;
    for (const [n, v] of m) out[String(n)] = (out[String(n)] ?? 0) + v * mult;
    return true;
  };
  if (version === 2) {
    const a = add(stat.get('anon'), 1);
    const f = add(stat.get('file'), 1);
    return a || f ? out : null;
  }
  return add(stat.get('hierarchical_total') ?? stat.get('total'), pageSize) ? out : null;
}

/** `hugetlb.<size>.numa_stat`: `total=<bytes> N0=<bytes> …` (v1 also `hierarchical_total=`); bytes per node. */
export function parseHugetlbNumaStat(text: string): Record<string, number> | null {
  const stat = parseMemoryNumaStat(text);
  const m = stat.get('hierarchical_total') ?? stat.get('total');
  if (!m) return null;
  const out: Record<string, number> = {};
  for (const [n, v] of m) out[String(n)] = v;
  return out;
}

export interface PsiLine { avg10: number; avg60: number; avg300: number; totalUsec: number }
export interface Psi { some: PsiLine | null; full: PsiLine | null }

/**
 * A PSI average `[\d.]+` at text[from, to) as `toFloat(…) ?? 0` reads it: digits with an optional
 * `.digits` part, else 0. Exact without a copy: the digits as one integer divided by a power of ten is
 * the correctly rounded quotient, i.e. what Number() gives for the text (within 2^53 and 10^22).
 */
function psiAvg(text: string, from: number, to: number): number {
  const ie = digitsEnd(text, from, to);
  if (ie === from) return 0;
  if (ie === to) return spanDigitsValue(text, from, to);
  if (text.charCodeAt(ie) !== 46) return 0;
  const fe = digitsEnd(text, ie + 1, to);
  if (fe === ie + 1 || fe !== to) return 0;
  const fracDigits = fe - ie - 1;
  if (to - from - 1 > 15 || fracDigits > 22) return Number(text.slice(from, to));
  return (spanDigitsValue(text, from, ie) * 10 ** fracDigits + spanDigitsValue(text, ie + 1, fe)) / 10 ** fracDigits;
}

const PSI_FIELDS = [' avg10=', ' avg60=', ' avg300=', ' total='] as const;
/** where parsePsi found the four values of a line (start, end pairs): scratch, reused */
const PSI_AT = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * Where a PSI line text[s, le) (trimmed) holds its four values, as the line regex
 * `^(some|full) avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+) total=(\d+)$` takes it: 1 for `some`, 2 for
 * `full`, 0 when the line is not one; the value spans (start, end pairs) go to PSI_AT.
 */
function psiLine(text: string, s: number, le: number): number {
  const some = text.startsWith('some', s);
  if (!some && !text.startsWith('full', s)) return 0;
  // each field: its name, then a run of [\d.] (digits only for total)
  const at = PSI_AT;
  let i = s + 4;
  for (let f = 0; f < 4; f++) {
    const name = PSI_FIELDS[f] as string;
    if (!text.startsWith(name, i)) return 0;
    const vs = i + name.length;
    let ve = vs;
    if (f < 3) { while (ve < le) { const c = text.charCodeAt(ve); if (c === 46 || (c >= 48 && c <= 57)) ve++; else break; } }
    else ve = digitsEnd(text, vs, le);
    if (ve === vs) return 0;
    at[2 * f] = vs; at[2 * f + 1] = ve;
    i = ve;
  }
  return i === le ? (some ? 1 : 2) : 0;
}

/**
 * Each PSI line of text (trimmed; other lines skipped): `visit(kind)` with 1 for `some`, 2 for `full`,
 * while the line's value spans are in PSI_AT. parsePsi and parsePsiTotals take the same lines through it.
 */
function eachPsiLine(text: string, visit: (kind: number) => void): void {
  const n = text.length;
  for (let ls = 0; ls <= n;) {
    let le = text.indexOf('\n', ls);
    if (le < 0) le = n;
    const next = le + 1;
    const s = skipSpace(text, ls, le);
    le = trimEnd(text, s, le);
    ls = next;
    const kind = psiLine(text, s, le);
    if (kind !== 0) visit(kind);
  }
}

/**
 * PSI (`cpu.pressure`, `/proc/pressure/io`, …): `some|full avg10=… avg60=… avg300=… total=<µs>`. Read
 * three times per guest every tick, so each line is taken in place (psiLine); other lines are skipped.
 */
export function parsePsi(text: string): Psi {
  const out: Psi = { some: null, full: null };
  const at = PSI_AT;
  eachPsiLine(text, (kind) => {
    const l: PsiLine = {
      avg10: psiAvg(text, at[0] as number, at[1] as number), avg60: psiAvg(text, at[2] as number, at[3] as number),
      avg300: psiAvg(text, at[4] as number, at[5] as number), totalUsec: spanDigitsValue(text, at[6] as number, at[7] as number),
    };
    if (kind === 1) out.some = l; else out.full = l;
  });
  return out;
}

export interface PsiTotals { someUsec: number | null; fullUsec: number | null }

/**
 * The `total=` values of a PSI file, the lines taken exactly as parsePsi takes them (the same lines
 * count, the last of each kind wins), without the averages: the sampler keeps only the totals.
 */
export function parsePsiTotals(text: string): PsiTotals {
  const out: PsiTotals = { someUsec: null, fullUsec: null };
  eachPsiLine(text, (kind) => {
    const total = spanDigitsValue(text, PSI_AT[6] as number, PSI_AT[7] as number);
    if (kind === 1) out.someUsec = total; else out.fullUsec = total;
  });
  return out;
}

/** `cgroup.procs`, `cgroup.threads`, `tasks`: newline-separated ids (may repeat; deduplicated, order kept). */
export function parseIdList(text: string): number[] {
  const seen = new Set<number>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (!/^\d+$/.test(t)) throw parseError('id list', text);
    seen.add(Number(t));
  }
  return [...seen];
}

/** `cgroup.controllers` / `cgroup.subtree_control`: space-separated names. */
export function parseControllers(text: string): string[] {
  return text.trim().split(/\s+/).filter((s) => s !== '');
}

/** Hugepage size in KiB → the label the hugetlb controller uses in file names (2048 → `2MB`, 1048576 → `1GB`, 64 → `64KB`). */
export function hugetlbLabel(sizeKb: number): string {
  if (sizeKb >= 1024 * 1024 && sizeKb % (1024 * 1024) === 0) return `${sizeKb / (1024 * 1024)}GB`;
  if (sizeKb >= 1024 && sizeKb % 1024 === 0) return `${sizeKb / 1024}MB`;
  return `${sizeKb}KB`;
}
