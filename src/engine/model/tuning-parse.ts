// Owns parsing of the `virtune tune` change options into TuningRequest changes, pure: CPU quota forms
// (`150%`, `2cpu`, µs, `max`), `--io DEV:KEY=VAL,...`, `--disk-throttle DISK:KEY=VAL,...`,
// `--net IF:in=RATE[,peak=RATE][,burst=SIZE][,out=RATE]`, `--mem-max`, `--vcpu-pin N:LIST`,
// `--emulator-pin`, `--ksm KEY=VAL,...`, `--hugepages SIZE[@NODE]=COUNT`. Anything unparsable is a
// VirtuneError(2) naming the input and the valid form. Range checks that need the host (online CPUs,
// cgroup version) happen in planning.

import { parseCpuList } from './cpulist.js';
import { VirtuneError } from './errors.js';
import type { Limit } from './sample.js';
import type { NetDirection, QuotaSpec, TuningChange, TuningRequest } from './tuning.js';
import { flagOf } from './tuning-flags.js';
import { parseSizeBytes, parseTcRateBits, parseTcSizeBytes } from './units.js';

const bad = (msg: string): VirtuneError => new VirtuneError(2, msg);

function intArg(flag: string, text: string, min: number, max: number, range: string): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) throw bad(`${flag}: '${text}' is not an integer (valid: ${range})`);
  const n = Number(t);
  if (n < min || n > max) throw bad(`${flag}: ${n} is out of range (valid: ${range})`);
  return n;
}

/** A kernel list (`0-3,8`), returned normalised as given; garbage → exit 2. */
export function parseListArg(flag: string, text: string): string {
  try {
    const xs = parseCpuList(text);
    if (xs.length === 0) throw new Error('empty');
    return text.trim();
  } catch {
    throw bad(`${flag}: '${text}' is not a CPU/node list (valid: e.g. 0-3,8)`);
  }
}

export function parseQuota(text: string): QuotaSpec {
  const t = text.trim().toLowerCase();
  const form = 'valid: 150%, 2cpu, a number of µs per period (≥ 1000), or max';
  if (t === 'max' || t === 'none' || t === 'unlimited') return { kind: 'max' };
  let m = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (m) {
    const pct = Number(m[1]);
    if (!(pct > 0)) throw bad(`--cpu-quota: '${text}' must be above 0% (${form})`);
    return { kind: 'pct', pct };
  }
  m = /^(\d+(?:\.\d+)?)\s*cpus?$/.exec(t);
  if (m) {
    const cpus = Number(m[1]);
    if (!(cpus > 0)) throw bad(`--cpu-quota: '${text}' must be above 0 CPUs (${form})`);
    return { kind: 'cpus', cpus };
  }
  m = /^(\d+)(?:us|µs)?$/.exec(t);
  if (m) return { kind: 'usec', usec: Number(m[1]) };
  throw bad(`--cpu-quota: '${text}' is not a quota (${form})`);
}

/** `--mem-max SIZE` (1024-based K M G T, or max). */
export function parseMemMax(text: string): Limit {
  const t = text.trim().toLowerCase();
  if (t === 'max' || t === 'none' || t === 'unlimited') return 'max';
  const b = parseSizeBytes(t);
  if (b === null || b <= 0) throw bad(`--mem-max: '${text}' is not a size (valid: bytes with K M G suffixes, 1024-based, e.g. 4G, or max)`);
  return b;
}

const IO_KEYS = ['riops', 'wiops', 'rbps', 'wbps'] as const;
type IoKey = (typeof IO_KEYS)[number];

/** Split `HEAD:K=V,K=V` at the LAST ':' before the first '=' (device names like 8:16 contain ':'). */
function splitSpec(flag: string, text: string, form: string): { head: string; pairs: Array<[string, string]> } {
  const eq = text.indexOf('=');
  const colon = eq < 0 ? -1 : text.lastIndexOf(':', eq);
  if (eq < 0 || colon <= 0) throw bad(`${flag}: '${text}' is not of the form ${form}`);
  const head = text.slice(0, colon).trim();
  const pairs: Array<[string, string]> = [];
  for (const part of text.slice(colon + 1).split(',')) {
    const m = /^\s*([A-Za-z_]+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m) throw bad(`${flag}: '${part}' in '${text}' is not KEY=VALUE (form: ${form})`);
    pairs.push([(m[1] as string).toLowerCase(), m[2] as string]);
  }
  return { head, pairs };
}

export function parseIoSpec(text: string): Extract<TuningChange, { kind: 'io' }> {
  const form = 'DEV:KEY=VAL[,KEY=VAL] with DEV a whole disk (vda, /dev/sdb, 8:16) and KEY riops|wiops|rbps|wbps, VAL a number (K M G 1024-based for bps) or max';
  const { head, pairs } = splitSpec('--io', text, form);
  const limits: Partial<Record<IoKey, Limit>> = {};
  for (const [k, v] of pairs) {
    if (!(IO_KEYS as readonly string[]).includes(k)) throw bad(`--io: unknown key '${k}' in '${text}' (valid: riops, wiops, rbps, wbps)`);
    if (v.toLowerCase() === 'max') { limits[k as IoKey] = 'max'; continue; }
    const n = k.endsWith('bps') ? parseSizeBytes(v) : (/^\d+$/.test(v) ? Number(v) : null);
    if (n === null) throw bad(`--io: '${k}=${v}' is not a number (valid: ${k.endsWith('bps') ? 'bytes/s with K M G suffixes' : 'I/O per second'} or max)`);
    if (n === 0) throw bad(`--io: '${k}=0' is not a limit (use ${k}=max to remove one)`);
    limits[k as IoKey] = n;
  }
  return { kind: 'io', device: head, limits };
}

export const THROTTLE_BASE = ['bps', 'bps_rd', 'bps_wr', 'iops', 'iops_rd', 'iops_wr'] as const;
export const THROTTLE_NUMERIC = [
  ...THROTTLE_BASE,
  'bps_max', 'bps_rd_max', 'bps_wr_max', 'iops_max', 'iops_rd_max', 'iops_wr_max',
  'bps_max_length', 'bps_rd_max_length', 'bps_wr_max_length', 'iops_max_length', 'iops_rd_max_length', 'iops_wr_max_length',
  'iops_size',
] as const;

export function parseDiskThrottle(text: string): Extract<TuningChange, { kind: 'diskThrottle' }> {
  const form = 'DISK:KEY=VAL[,...] with KEY a QMP block_set_io_throttle name (iops, iops_rd, iops_wr, bps, bps_rd, bps_wr, *_max, *_max_length, iops_size, group)';
  const { head, pairs } = splitSpec('--disk-throttle', text, form);
  const args: Record<string, number | string> = {};
  for (const [k, v] of pairs) {
    if (k === 'group') { args.group = v; continue; }
    if (!(THROTTLE_NUMERIC as readonly string[]).includes(k)) {
      throw bad(`--disk-throttle: unknown key '${k}' in '${text}' (valid: ${THROTTLE_NUMERIC.join(', ')}, group)`);
    }
    const n = k.includes('bps') && !k.endsWith('_length') ? parseSizeBytes(v) : (/^\d+$/.test(v) ? Number(v) : null);
    if (n === null) throw bad(`--disk-throttle: '${k}=${v}' is not a non-negative number (0 = no limit)`);
    args[k] = n;
  }
  return { kind: 'diskThrottle', disk: head, args };
}

function netDir(text: string, which: 'in' | 'out', v: string): NetDirection | 'none' {
  if (v.toLowerCase() === 'none') return 'none';
  const bits = parseTcRateBits(v);
  if (bits === null) throw bad(`--net: '${which}=${v}' in '${text}' is not a tc rate (valid: e.g. 500kbit, 10mbit, 1gbit, or none)`);
  return { rateKbit: bits / 1000, peakKbit: null, burstBytes: null };
}

export function parseNetSpec(text: string): Extract<TuningChange, { kind: 'net' }> {
  const form = 'IF:in=RATE[,peak=RATE][,burst=SIZE][,out=RATE] (tc rates: 500kbit, 10mbit; none removes)';
  const { head, pairs } = splitSpec('--net', text, form);
  const change: Extract<TuningChange, { kind: 'net' }> = { kind: 'net', ifname: head };
  let peak: number | null = null;
  let burst: number | null = null;
  for (const [k, v] of pairs) {
    if (k === 'in' || k === 'out') change[k] = netDir(text, k, v);
    else if (k === 'peak') {
      const b = parseTcRateBits(v);
      if (b === null) throw bad(`--net: 'peak=${v}' is not a tc rate (valid: e.g. 20mbit)`);
      peak = b / 1000;
    } else if (k === 'burst') {
      burst = parseTcSizeBytes(v);
      if (burst === null) throw bad(`--net: 'burst=${v}' is not a tc size (valid: e.g. 32k, 1600b)`);
    } else throw bad(`--net: unknown key '${k}' in '${text}' (form: ${form})`);
  }
  if (change.in === undefined && change.out === undefined) throw bad(`--net: '${text}' sets neither in= nor out= (form: ${form})`);
  if ((peak !== null || burst !== null) && (change.in === undefined || change.in === 'none')) {
    throw bad(`--net: peak= and burst= shape traffic to the guest and need in=RATE ('${text}')`);
  }
  if (change.in && change.in !== 'none') {
    if (peak !== null && peak < change.in.rateKbit) throw bad(`--net: peak=${peak}kbit is below in=${change.in.rateKbit}kbit ('${text}')`);
    change.in = { ...change.in, peakKbit: peak, burstBytes: burst };
  }
  return change;
}

export function parseVcpuPin(text: string): Extract<TuningChange, { kind: 'vcpuPin' }> {
  const m = /^\s*(\d+)\s*:\s*(\S+)\s*$/.exec(text);
  if (!m) throw bad(`--vcpu-pin: '${text}' is not VCPU:LIST (e.g. 0:2-3)`);
  return { kind: 'vcpuPin', vcpu: Number(m[1]), cpus: parseListArg('--vcpu-pin', m[2] as string) };
}

const KSM_KEYS = ['run', 'pages_to_scan', 'sleep_millisecs', 'merge_across_nodes'] as const;

export function parseKsm(text: string): Extract<TuningChange, { kind: 'ksm' }> {
  const settings: Partial<Record<(typeof KSM_KEYS)[number], number>> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([a-z_]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw bad(`--ksm: '${part}' is not KEY=NUMBER (keys: ${KSM_KEYS.join(', ')})`);
    const k = m[1] as string;
    if (!(KSM_KEYS as readonly string[]).includes(k)) throw bad(`--ksm: unknown key '${k}' (valid: ${KSM_KEYS.join(', ')})`);
    const n = Number(m[2]);
    if (k === 'run' && n > 2) throw bad(`--ksm: run=${n} is out of range (valid: 0 stop, 1 run, 2 stop and unmerge all)`);
    if (k === 'merge_across_nodes' && n > 1) throw bad(`--ksm: merge_across_nodes=${n} is out of range (valid: 0 or 1)`);
    if (k === 'pages_to_scan' && (n < 1 || n > 2 ** 32 - 1)) throw bad(`--ksm: pages_to_scan=${n} is out of range (valid: 1-4294967295)`);
    if (k === 'sleep_millisecs' && n > 2 ** 32 - 1) throw bad(`--ksm: sleep_millisecs=${n} is out of range (valid: 0-4294967295)`);
    settings[k as (typeof KSM_KEYS)[number]] = n;
  }
  return { kind: 'ksm', settings };
}

export function parseHugepages(text: string): Extract<TuningChange, { kind: 'hugepages' }> {
  const m = /^\s*([0-9.]+[a-zA-Z]*)(?:@(\d+))?\s*=\s*(\d+)\s*$/.exec(text);
  const form = 'SIZE[@NODE]=COUNT (e.g. 2M=512, 1G@0=4)';
  if (!m) throw bad(`--hugepages: '${text}' is not ${form}`);
  const bytes = parseSizeBytes(m[1] as string);
  if (bytes === null || bytes < 4096 || bytes % 1024 !== 0) throw bad(`--hugepages: '${m[1]}' is not a page size (${form})`);
  return { kind: 'hugepages', sizeKb: bytes / 1024, node: m[2] === undefined ? null : Number(m[2]), count: Number(m[3]) };
}

/** The commander options of `virtune tune` (strings / string arrays as commander gives them). */
export interface TuneOptions {
  cpuWeight?: string; cpuShares?: string; cpuQuota?: string; cpuPeriod?: string;
  cpuset?: string; nodeset?: string; vcpuPin?: string[]; emulatorPin?: string;
  io?: string[]; diskThrottle?: string[]; net?: string[]; memMax?: string;
  ksm?: string; hugepages?: string[];
  force?: boolean; isolate?: boolean; persist?: boolean; revertAfter?: string;
}

/** Options → TuningRequest. Broad ranges only (the cgroup version decides the exact weight range). */
export function parseTuneOptions(guest: string, o: TuneOptions): TuningRequest {
  const changes: TuningChange[] = [];
  if (o.cpuWeight !== undefined) changes.push({ kind: 'cpuWeight', value: intArg('--cpu-weight', o.cpuWeight, 1, 262144, 'v2: 1-10000; v1: 2-262144'), flag: 'cpu-weight' });
  if (o.cpuShares !== undefined) changes.push({ kind: 'cpuWeight', value: intArg('--cpu-shares', o.cpuShares, 1, 262144, 'v1: 2-262144; v2: 1-10000'), flag: 'cpu-shares' });
  if (o.cpuQuota !== undefined) changes.push({ kind: 'cpuQuota', quota: parseQuota(o.cpuQuota) });
  if (o.cpuPeriod !== undefined) changes.push({ kind: 'cpuPeriod', usec: intArg('--cpu-period', o.cpuPeriod, 1000, 1_000_000, '1000-1000000 µs') });
  if (o.cpuset !== undefined) changes.push({ kind: 'cpuset', cpus: parseListArg('--cpuset', o.cpuset) });
  if (o.nodeset !== undefined) changes.push({ kind: 'nodeset', nodes: parseListArg('--nodeset', o.nodeset) });
  for (const p of o.vcpuPin ?? []) changes.push(parseVcpuPin(p));
  if (o.emulatorPin !== undefined) changes.push({ kind: 'emulatorPin', cpus: parseListArg('--emulator-pin', o.emulatorPin) });
  for (const s of o.io ?? []) changes.push(parseIoSpec(s));
  for (const s of o.diskThrottle ?? []) changes.push(parseDiskThrottle(s));
  for (const s of o.net ?? []) changes.push(parseNetSpec(s));
  if (o.memMax !== undefined) changes.push({ kind: 'memMax', bytes: parseMemMax(o.memMax) });
  if (o.ksm !== undefined) changes.push(parseKsm(o.ksm));
  for (const s of o.hugepages ?? []) changes.push(parseHugepages(s));
  if (changes.length === 0) throw bad('tune: no change given (options: --cpu-weight, --cpu-shares, --cpu-quota, --cpu-period, --cpuset, --nodeset, --vcpu-pin, --emulator-pin, --io, --disk-throttle, --net, --mem-max, --ksm, --hugepages)');
  let revertAfterSec: number | null = null;
  if (o.revertAfter !== undefined) revertAfterSec = intArg('--revert-after', o.revertAfter, 1, 86400 * 7, '1-604800 seconds');
  const host = guest === 'host';
  for (const c of changes) {
    const hostLevel = c.kind === 'ksm' || c.kind === 'hugepages';
    if (host && !hostLevel) throw bad(`tune host: only --ksm and --hugepages change the host; ${flagOf(c)} needs a guest`);
    if (!host && hostLevel) throw bad(`tune ${guest}: --ksm and --hugepages are host settings; use 'virtune tune host ...'`);
  }
  return {
    guest, changes,
    force: o.force === true, isolate: o.isolate === true, persist: o.persist === true,
    revertAfterSec,
  };
}
