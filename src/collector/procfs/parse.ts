// Owns the pure parsers of procfs files: /proc/stat, /proc/meminfo, /proc/uptime, /proc/<pid>/{stat,status,
// schedstat,cmdline,numa_maps,ksm_stat,ksm_merging_pages,fdinfo/N,cgroup,comm}, /proc/self/mountinfo.
// Quirks handled here: comm may contain spaces and ')' (split after the LAST ')'), numa_maps policies
// may contain spaces, ksm_stat mixes `key value` and `key: yes|no`. Text in, values out; no I/O.

import type { RawCpuTimes } from '../../engine/model/sample.js';
import {
  digitsEnd, parseError, skipSpace, spanDigitsValue, spanInts, spanNsToUsec, spanToInt, toInt, tokenEnd, trimEnd,
} from '../parse-common.js';

/** the first ten numbers of a /proc/stat cpu line (parseProcStat's scratch, reused) */
const CPU_VALS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * `/proc/stat` cpu lines: aggregate and per CPU (ticks). Missing trailing columns (old kernels) are 0.
 * A line counts when it starts with `cpu`, its label is `cpu` or `cpuN`, and all of its (at least 4)
 * fields are integers. Taken in place (one line per CPU every tick): no split, regex or copy per field.
 */
export function parseProcStat(text: string): { total: RawCpuTimes | null; perCpu: Record<string, RawCpuTimes> } {
  let total: RawCpuTimes | null = null;
  const perCpu: Record<string, RawCpuTimes> = {};
  const n = text.length;
  const v = CPU_VALS;
  for (let ls = 0; ls <= n;) {
    let le = text.indexOf('\n', ls);
    if (le < 0) le = n;
    const next = le + 1;
    const start = ls;
    ls = next;
    if (!text.startsWith('cpu', start)) continue;
    le = trimEnd(text, start, le);
    const labelEnd = tokenEnd(text, start, le);
    const count = spanInts(text, labelEnd, le, v);
    if (count < 4) continue; // fewer than four fields, or one is not an integer (-1)
    // the first four are there (count >= 4); a missing trailing column is 0
    const t: RawCpuTimes = {
      user: v[0] as number, nice: v[1] as number, system: v[2] as number, idle: v[3] as number,
      iowait: count > 4 ? v[4] as number : 0, irq: count > 5 ? v[5] as number : 0, softirq: count > 6 ? v[6] as number : 0,
      steal: count > 7 ? v[7] as number : 0, guest: count > 8 ? v[8] as number : 0, guestNice: count > 9 ? v[9] as number : 0,
    };
    if (labelEnd === start + 3) total = t;
    else if (digitsEnd(text, start + 3, labelEnd) === labelEnd) perCpu[text.slice(start + 3, labelEnd)] = t;
  }
  return { total, perCpu };
}

/**
 * `/proc/uptime`: `UPTIME IDLE` in seconds with two decimals (`350735.47 234388.90`); the first field is
 * the host's uptime, returned as integer milliseconds (exact for the kernel's two decimals, and an
 * integer so a recording stores it as a small delta).
 */
export function parseUptime(text: string): number {
  const first = text.trim().split(/\s+/)[0];
  if (first === undefined || !/^\d+(\.\d{1,9})?$/.test(first)) throw parseError('/proc/uptime', text);
  const [whole, frac = ''] = first.split('.') as [string, string?];
  const ms = Number(whole) * 1000 + Number((frac + '000').slice(0, 3));
  if (!Number.isSafeInteger(ms)) throw parseError('/proc/uptime', text);
  return ms;
}

/** `/proc/uptime` → clock ticks since boot, null if malformed. */
export function parseUptimeTicks(text: string, clkTck: number): number | null {
  try { return Math.floor((parseUptime(text) * clkTck) / 1000); } catch { return null; }
}

/** `/proc/meminfo` (and `/proc/<pid>/status`-like `Key: N kB`): key → bytes (kB × 1024), unitless values as is. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (!m) continue;
    const v = Number(m[2]);
    out.set(m[1] as string, line.trimEnd().endsWith('kB') ? v * 1024 : v);
  }
  return out;
}

export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number | null;
  utimeTicks: number | null;
  stimeTicks: number | null;
  numThreads: number | null;
  startTimeTicks: number | null;
  rssPages: number | null;
  /** field 39: CPU the task last ran on */
  processor: number | null;
  guestTimeTicks: number | null;
}

/** `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`: comm may contain spaces and ')'; split after the last ')'. */
export function parsePidStat(text: string): PidStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw parseError('/proc/<pid>/stat', text);
  const pid = toInt(text.slice(0, open));
  if (pid === null) throw parseError('/proc/<pid>/stat', text);
  const after = text.slice(close + 2).trim().split(' ');
  const f = (i: number): number | null => toInt(after[i]);
  return {
    pid, comm: text.slice(open + 1, close), state: after[0] ?? '?', ppid: f(1),
    utimeTicks: f(11), stimeTicks: f(12), numThreads: f(17), startTimeTicks: f(19), rssPages: f(21),
    processor: f(36), guestTimeTicks: f(40),
  };
}

/**
 * One field of a `/proc/<pid>/stat` line without building the whole record (hot path): `after` counts
 * fields after the `(comm)` (0 = state), as `parsePidStat`'s `f(i)` does; null if missing or malformed.
 */
function statFieldAfterComm(text: string, after: number): number | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  let pos = close + 2;
  for (let i = 0; i < after && pos > 0; i++) pos = text.indexOf(' ', pos) + 1;
  if (pos <= 0) return null;
  const end = text.indexOf(' ', pos);
  return toInt(text.slice(pos, end < 0 ? undefined : end));
}

/** Only field 39 (last CPU) of a stat line. */
export const parseStatProcessor = (text: string): number | null => statFieldAfterComm(text, 36);

/** Only field 22 (start time, clock ticks since boot) of a stat line. */
export const parseStartTime = (text: string): number | null => statFieldAfterComm(text, 19);

/** `/proc/<pid>/status`: `Key:\tvalue` → raw value text (trimmed). */
export function parseStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const c = line.indexOf(':');
    if (c <= 0) continue;
    out.set(line.slice(0, c), line.slice(c + 1).trim());
  }
  return out;
}

/** A `NNN kB` status value → bytes; null when absent or not that shape. */
export function statusKbToBytes(v: string | undefined): number | null {
  if (v === undefined) return null;
  const m = /^(\d+)\s*kB$/.exec(v.trim());
  return m ? Number(m[1]) * 1024 : null;
}

/** One `Key:` line of a status text without parsing the whole file (hot path). */
export function statusField(text: string, key: string): string | null {
  const at = text.startsWith(`${key}:`) ? 0 : text.indexOf(`\n${key}:`);
  if (at < 0) return null;
  const start = (at === 0 ? 0 : at + 1) + key.length + 1;
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end).trim();
}

export interface Schedstat { runUsec: number; waitUsec: number; timeslices: number }

/**
 * `/proc/<pid>/task/<tid>/schedstat`: on-CPU ns, run-queue wait ns, timeslices → µs. Read for every vCPU
 * every tick, so taken in place (no trim, regex or copy): `^\d+\s+\d+\s+\d+$` after trimming, as before.
 */
export function parseSchedstat(text: string): Schedstat {
  const n = trimEnd(text, 0, text.length);
  const a = skipSpace(text, 0, n);
  const ae = digitsEnd(text, a, n);
  const b = skipSpace(text, ae, n);
  const be = digitsEnd(text, b, n);
  const c = skipSpace(text, be, n);
  const ce = digitsEnd(text, c, n);
  if (ae === a || b === ae || be === b || c === be || ce === c || ce !== n) throw parseError('schedstat', text);
  return {
    runUsec: spanNsToUsec(text, a, ae) as number,
    waitUsec: spanNsToUsec(text, b, be) as number,
    timeslices: spanDigitsValue(text, c, ce),
  };
}

/**
 * `/proc/<pid>/statm`: the second field (resident pages) as `toInt(text.trim().split(/\s+/)[1])` gives
 * it, taken in place (read for every guest every tick); null when missing or not an integer.
 */
export function statmResidentPages(text: string): number | null {
  const n = text.length;
  const a = tokenEnd(text, skipSpace(text, 0, n), n);
  const b = skipSpace(text, a, n);
  if (b === a) return null;
  return spanToInt(text, b, tokenEnd(text, b, n));
}

/** `/proc/<pid>/cmdline`: NUL-separated arguments with a trailing NUL; empty for kernel threads/zombies. */
export function parseCmdline(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export interface NumaMapsSummary {
  /** resident bytes per node (all mappings, hugetlb included), keys are decimal node numbers */
  perNodeBytes: Record<string, number>;
  /** resident bytes per node of hugetlbfs mappings (`huge`) only */
  hugeBytesPerNode: Record<string, number>;
  /** resident anonymous/guest-RAM bytes (anon=, huge, memfd:, /dev/hugepages) per node */
  anonBytesPerNode: Record<string, number>;
}

/**
 * `/proc/<pid>/numa_maps`. Policies may contain spaces (`prefer (many):0-1`, `weighted interleave:0-1`),
 * so tokens are found with regexes, not by position; `kernelpagesize_kB` moved across kernels.
 */
export function parseNumaMaps(text: string): NumaMapsSummary {
  const perNodeBytes: Record<string, number> = {};
  const hugeBytesPerNode: Record<string, number> = {};
  const anonBytesPerNode: Record<string, number> = {};
  const nodeRe = /(?:^|\s)N(\d+)=(\d+)(?=\s|$)/g;
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.indexOf(' N') < 0) continue;
    const ps = /(?:^|\s)kernelpagesize_kB=(\d+)(?=\s|$)/.exec(line);
    const pageBytes = (ps ? Number(ps[1]) : 4) * 1024;
    const huge = /\shuge(?=\s|$)/.test(line);
    const anonLike = huge || /\sanon=\d+/.test(line) || /\sfile=(\/dev\/hugepages|\/memfd:|\/hugepages)/.test(line);
    nodeRe.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = nodeRe.exec(line)) !== null) {
      const node = m[1] as string;
      const b = Number(m[2]) * pageBytes;
      perNodeBytes[node] = (perNodeBytes[node] ?? 0) + b;
      if (huge) hugeBytesPerNode[node] = (hugeBytesPerNode[node] ?? 0) + b;
      if (anonLike) anonBytesPerNode[node] = (anonBytesPerNode[node] ?? 0) + b;
    }
  }
  return { perNodeBytes, hugeBytesPerNode, anonBytesPerNode };
}

export interface KsmStat {
  rmapItems: number | null;
  mergingPages: number | null;
  zeroPages: number | null;
  processProfit: number | null;
  mergeAny: boolean | null;
  mergeable: boolean | null;
}

/** `/proc/<pid>/ksm_stat`: mixes `key value` (numbers, profit may be negative) and `key: yes|no`. */
export function parseKsmStat(text: string): KsmStat {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+):?\s+(\S+)$/.exec(line.trim());
    if (m) kv.set(m[1] as string, m[2] as string);
  }
  const yn = (s: string | undefined): boolean | null => (s === 'yes' ? true : s === 'no' ? false : null);
  return {
    rmapItems: toInt(kv.get('ksm_rmap_items')),
    mergingPages: toInt(kv.get('ksm_merging_pages')),
    zeroPages: toInt(kv.get('ksm_zero_pages')),
    processProfit: toInt(kv.get('ksm_process_profit')),
    mergeAny: yn(kv.get('ksm_merge_any')),
    mergeable: yn(kv.get('ksm_mergeable')),
  };
}

/** `/proc/<pid>/fdinfo/<fd>` of a tun/tap fd: the `iff:\t<ifname>` line, else null. */
export function parseFdinfoIff(text: string): string | null {
  const m = /(?:^|\n)iff:\s*(\S+)/.exec(text);
  return m ? (m[1] as string) : null;
}

export interface MountInfo {
  mountId: number;
  parentId: number;
  majorMinor: string;
  /** root of the mount inside its filesystem (for cgroup mounts: the cgroup path shown at the mount point) */
  root: string;
  mountPoint: string;
  mountOptions: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

/** Undo the octal escapes mountinfo uses for space, tab, newline and backslash. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** `/proc/self/mountinfo`: `id parent maj:min root mountpoint opts [optional…] - fstype source superopts`. */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    const sep = t.indexOf(' - ');
    if (sep < 0) continue;
    const left = t.slice(0, sep).split(' ');
    const right = t.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 2) continue;
    out.push({
      mountId: Number(left[0]), parentId: Number(left[1]), majorMinor: left[2] as string,
      root: unescapeMount(left[3] as string), mountPoint: unescapeMount(left[4] as string),
      mountOptions: (left[5] as string).split(','), fstype: right[0] as string,
      source: unescapeMount(right[1] as string), superOptions: (right[2] ?? '').split(','),
    });
  }
  return out;
}

export interface ProcCgroup {
  /** v1 hierarchies: each controller (and `name=systemd`) → path */
  v1: Map<string, string>;
  /** the `0::/path` line */
  v2: string | null;
}

/** `/proc/<pid>/cgroup`: `id:ctrl[,ctrl]:/path` (v1), `0::/path` (v2); ` (deleted)` is stripped. */
export function parseProcCgroup(text: string): ProcCgroup {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const p = (m[3] as string).replace(/ \(deleted\)$/, '');
    if (m[1] === '0' && m[2] === '') { v2 = p; continue; }
    for (const c of (m[2] as string).split(',')) if (c) v1.set(c, p);
  }
  return { v1, v2 };
}

/** A thread's comm `CPU <n>/KVM` (or `/TCG`, `/HVF`, …): the vCPU index, else null. */
export function parseVcpuComm(comm: string): { index: number; accel: string } | null {
  const m = /^CPU (\d+)\/([A-Za-z]+)$/.exec(comm.trim());
  return m ? { index: Number(m[1]), accel: m[2] as string } : null;
}

export interface NetDevCounters {
  rxBytes: number; rxPackets: number; rxDropped: number; txBytes: number; txPackets: number; txDropped: number;
}

/** the first twelve numbers of a /proc/net/dev line (parseNetDev's scratch, reused) */
const NET_VALS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * `/proc/net/dev`: `iface: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs drop …`.
 * Read every tick (a line per host interface, one per guest NIC at least), so each line is taken in
 * place: the name before the first `:` (trimmed), then at least 16 whitespace-separated integers, all of
 * them integers, else the line is skipped — as the split/regex reading it replaced took it.
 */
export function parseNetDev(text: string): Map<string, NetDevCounters> {
  const out = new Map<string, NetDevCounters>();
  const n = text.length;
  const v = NET_VALS;
  for (let ls = 0; ls <= n;) {
    let le = text.indexOf('\n', ls);
    if (le < 0) le = n;
    const start = ls;
    ls = le + 1;
    const c = text.indexOf(':', start);
    if (c < 0 || c >= le) continue;
    if (spanInts(text, c + 1, le, v) < 16) continue; // fewer than 16 fields, or one is not an integer (-1)
    const name = text.slice(start, c).trim();
    if (name === '') continue;
    out.set(name, {
      rxBytes: v[0] as number, rxPackets: v[1] as number, rxDropped: v[3] as number,
      txBytes: v[8] as number, txPackets: v[9] as number, txDropped: v[11] as number,
    });
  }
  return out;
}
