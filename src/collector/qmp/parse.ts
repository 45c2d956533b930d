// Owns the pure parsers of QMP replies (and the few host files that go with them: fdinfo `iff:`,
// mountinfo hugetlbfs mounts; schedstat and stat are procfs/parse's). No I/O. Numbers arrive from the connector as JS numbers
// when they are safe integers and as decimal strings when not; time counters in ns become µs here.

import type { RawDisk, RawDiskLimits, RawLatencyHistogram, RawLatencyHistograms } from '../../engine/model/sample.js';

/** A count or byte value: number, or an exact decimal string for values past 2^53. */
export function qNum(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return null;
}

/** Nanoseconds (number or decimal string) -> whole microseconds, exact via BigInt for big values. */
export function nsToUsec(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.floor(v / 1000);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(BigInt(v) / 1000n);
  return null;
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

/** query-status -> RunState (`running`, `paused`, ...). */
export function parseStatus(ret: unknown): string | null {
  return str(obj(ret).status);
}

export function parseName(ret: unknown): string | null {
  const n = str(obj(ret).name);
  return n && n.length > 0 ? n : null;
}

/** query-uuid; the all-zero UUID means "none". */
export function parseUuid(ret: unknown): string | null {
  const u = str(obj(ret).UUID);
  return u && !/^[0-]+$/.test(u) ? u : null;
}

export interface QmpVcpu { index: number; tid: number; qomPath: string | null }

/** query-cpus-fast -> vCPU index and host thread id (NOT props.thread-id, which is topology). */
export function parseCpusFast(ret: unknown): QmpVcpu[] {
  const out: QmpVcpu[] = [];
  for (const e of arr(ret)) {
    const o = obj(e);
    const index = qNum(o['cpu-index']);
    const tid = qNum(o['thread-id']);
    if (index === null || tid === null) continue;
    out.push({ index, tid, qomPath: str(o['qom-path']) });
  }
  return out.sort((a, b) => a.index - b.index);
}

export interface QmpIothread { id: string; tid: number | null }

export function parseIothreads(ret: unknown): QmpIothread[] {
  return arr(ret).map(obj).filter((o) => typeof o.id === 'string')
    .map((o) => ({ id: o.id as string, tid: qNum(o['thread-id']) }));
}

const PERIPHERAL = '/machine/peripheral/';

/**
 * The name a virtual disk is shown under: `device` when QEMU gives one; with -blockdev `device` is ""
 * and the disk is the qdev id (`/machine/peripheral/virtio-disk0/virtio-backend` -> `virtio-disk0`),
 * else the node name, else the full qdev path (anonymous devices).
 */
export function diskKey(device: string | null, qdev: string | null, nodeName: string | null): string | null {
  if (device) return device;
  if (qdev !== null && qdev.startsWith(PERIPHERAL)) {
    // the path step after /machine/peripheral/ (up to the next '/'), when it is not empty
    const end = qdev.indexOf('/', PERIPHERAL.length);
    const id = end < 0 ? qdev.slice(PERIPHERAL.length) : qdev.slice(PERIPHERAL.length, end);
    if (id !== '') return id;
  }
  if (nodeName) return nodeName;
  return qdev || null;
}

export const noLimits = (): RawDiskLimits => ({
  readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null,
});

function parseHistogram(v: unknown): RawLatencyHistogram | null {
  const o = obj(v);
  const rawB = arr(o.boundaries);
  const rawBins = arr(o.bins);
  const n = rawB.length;
  if (n === 0 || rawBins.length !== n + 1) return null;
  const bins: number[] = new Array<number>(n + 1);
  for (let i = 0; i <= n; i++) {
    const x = qNum(rawBins[i]);
    if (x === null) return null;
    bins[i] = x;
  }
  // virtune's own boundaries (the usual case) are the one frozen array: the recorder skips it unread
  // (compared in place, so no copy is built every tick)
  let same = n === LATENCY_BOUNDARIES_NS.length;
  for (let i = 0; same && i < n; i++) same = qNum(rawB[i]) === LATENCY_BOUNDARIES_NS[i];
  if (same) return { boundariesNs: LATENCY_BOUNDARIES_NS, bins };
  const b: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = qNum(rawB[i]);
    if (x === null) return null;
    b[i] = x;
  }
  return { boundariesNs: b, bins };
}

/** The rd/wr/flush `*_latency_histogram` of a blockstats `stats` object; null when none is enabled. */
export function parseLatencyHistograms(stats: Record<string, unknown>): RawLatencyHistograms | null {
  const h: RawLatencyHistograms = {
    read: parseHistogram(stats.rd_latency_histogram),
    write: parseHistogram(stats.wr_latency_histogram),
    flush: parseHistogram(stats.flush_latency_histogram),
  };
  return h.read || h.write || h.flush ? h : null;
}

function sameHistogram(a: RawLatencyHistogram, b: RawLatencyHistogram): boolean {
  const ab = a.bins; const bb = b.bins;
  if (ab.length !== bb.length) return false;
  for (let i = 0; i < ab.length; i++) if (ab[i] !== bb[i]) return false;
  if (a.boundariesNs === b.boundariesNs) return true;
  const x = a.boundariesNs; const y = b.boundariesNs;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const freezeHistogram = (h: RawLatencyHistogram): RawLatencyHistogram => {
  Object.freeze(h.boundariesNs);
  Object.freeze(h.bins);
  return Object.freeze(h);
};

/** One kind: last tick's frozen object when equal to it, a frozen `next` when equal to an unfrozen one. */
function carryOne(next: RawLatencyHistogram | null, prev: RawLatencyHistogram | null): RawLatencyHistogram | null {
  if (next === null || prev === null || !sameHistogram(next, prev)) return next;
  return Object.isFrozen(prev) ? prev : freezeHistogram(next);
}

/**
 * A disk's histograms against the ones handed over for it last tick: a kind whose counts did not
 * change (an idle disk, a disk that only reads) is handed over as one frozen object, the same object
 * tick after tick from its second unchanged tick on (the recorder skips such a subtree unread); the
 * whole set likewise when no kind changed. Changed kinds are `next`'s own (not frozen). What is handed
 * over is always equal to `next`.
 */
export function carryHistograms(next: RawLatencyHistograms | null, prev: RawLatencyHistograms | null | undefined): RawLatencyHistograms | null {
  if (next === null || prev == null) return next;
  const read = carryOne(next.read, prev.read);
  const write = carryOne(next.write, prev.write);
  const flush = carryOne(next.flush, prev.flush);
  const settled = (h: RawLatencyHistogram | null): boolean => h === null || Object.isFrozen(h);
  if (!settled(read) || !settled(write) || !settled(flush)) return { read, write, flush };
  if (Object.isFrozen(prev) && read === prev.read && write === prev.write && flush === prev.flush) return prev;
  return Object.freeze({ read, write, flush });
}

/** Boundaries virtune sets (block-latency-histogram-set): 1-2-5 steps from 10 µs to 10 s, in ns. */
export const LATENCY_BOUNDARIES_NS: number[] = (() => {
  const out: number[] = [];
  for (let decade = 1e4; decade <= 1e10; decade *= 10) for (const m of [1, 2, 5]) if (decade * m <= 1e10) out.push(decade * m);
  return Object.freeze(out) as number[];
})();

/**
 * The histograms of a disk at the moment block-latency-histogram-set with virtune's boundaries was
 * accepted: QEMU removes any it had and creates empty ones for reads, writes and flushes. One frozen
 * object (the recorder and the range check skip it).
 */
export const EMPTY_LATENCY_HISTOGRAMS: RawLatencyHistograms = (() => {
  const empty = (): RawLatencyHistogram => Object.freeze({
    boundariesNs: LATENCY_BOUNDARIES_NS, bins: Object.freeze(new Array<number>(LATENCY_BOUNDARIES_NS.length + 1).fill(0)) as number[],
  });
  return Object.freeze({ read: empty(), write: empty(), flush: empty() });
})();

/** query-blockstats -> one RawDisk per virtual disk (counters cumulative; times in µs). */
export function parseBlockstats(ret: unknown): RawDisk[] {
  const out: RawDisk[] = [];
  for (const e of arr(ret)) {
    const o = obj(e);
    const qdev = str(o.qdev) || null;
    const node = str(o['node-name']) || null;
    const name = diskKey(str(o.device), qdev, node);
    if (!name) continue;
    const s = obj(o.stats);
    out.push({
      name, source: 'qmp', device: null, qdev: qdev ?? node,
      readOps: qNum(s.rd_operations), writeOps: qNum(s.wr_operations), flushOps: qNum(s.flush_operations),
      readBytes: qNum(s.rd_bytes), writeBytes: qNum(s.wr_bytes),
      readTimeUsec: nsToUsec(s.rd_total_time_ns), writeTimeUsec: nsToUsec(s.wr_total_time_ns),
      flushTimeUsec: nsToUsec(s.flush_total_time_ns),
      limits: noLimits(),
      latencyHistograms: parseLatencyHistograms(s),
    });
  }
  return out;
}

const LIMIT_MAIN: Array<[keyof RawDiskLimits, string]> = [
  ['readIops', 'iops_rd'], ['writeIops', 'iops_wr'], ['totalIops', 'iops'],
  ['readBytesPerSec', 'bps_rd'], ['writeBytesPerSec', 'bps_wr'], ['totalBytesPerSec', 'bps'],
];
const LIMIT_EXTRA = [
  'bps_max', 'bps_rd_max', 'bps_wr_max', 'iops_max', 'iops_rd_max', 'iops_wr_max',
  'bps_max_length', 'bps_rd_max_length', 'bps_wr_max_length', 'iops_max_length', 'iops_rd_max_length',
  'iops_wr_max_length', 'iops_size', 'group',
];

/**
 * query-block -> throttle limits in force per disk name. QEMU's 0 means "no limit" and becomes null;
 * burst, burst length, iops_size and group go to `extra` verbatim (only when set).
 */
export function parseBlockLimits(ret: unknown): Map<string, RawDiskLimits> {
  const out = new Map<string, RawDiskLimits>();
  for (const e of arr(ret)) {
    const o = obj(e);
    const ins = obj(o.inserted);
    const name = diskKey(str(o.device), str(o.qdev) || null, str(ins['node-name']) || null);
    if (!name || !o.inserted) continue;
    const lim = noLimits();
    for (const [k, q] of LIMIT_MAIN) {
      const n = qNum(ins[q]);
      (lim as unknown as Record<string, number | null>)[k] = n && n > 0 ? n : null;
    }
    const extra: Record<string, number | string> = {};
    for (const q of LIMIT_EXTRA) {
      const v = ins[q];
      if (typeof v === 'string' && v !== '' && q === 'group') extra[q] = v;
      else { const n = qNum(v); if (n !== null && n > 0) extra[q] = n; }
    }
    if (Object.keys(extra).length > 0) lim.extra = Object.freeze(extra);
    // frozen: carried over unchanged until the next settings read (the recorder skips it; see record/codec)
    out.set(name, Object.freeze(lim));
  }
  return out;
}

export interface QmpMemdev {
  id: string | null; sizeBytes: number | null; merge: boolean | null; share: boolean | null;
  hostNodes: number[] | null; policy: string | null;
}

export function parseMemdev(ret: unknown): QmpMemdev[] {
  return arr(ret).map(obj).map((o) => ({
    id: str(o.id), sizeBytes: qNum(o.size), merge: bool(o.merge), share: bool(o.share),
    hostNodes: Array.isArray(o['host-nodes']) ? (o['host-nodes'] as unknown[]).map(qNum).filter((n): n is number => n !== null) : null,
    policy: str(o.policy),
  }));
}

export interface NetBackend {
  /** NIC (frontend) name, e.g. `net0` */
  nic: string;
  model: string | null;
  mac: string | null;
  /** netdev name, e.g. `hostnet0` */
  netdev: string | null;
  type: string | null;
  ifname: string | null;
  /** tap fds passed in by the manager (libvirt), one per queue */
  fds: number[];
}

function kv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/**
 * HMP `info network`: `<nic>: index=0,type=nic,model=…,macaddr=…` followed by ` \ <netdev>: index=0,type=tap,
 * ifname=…|fd=…`. Filter lines (`filters:`, `  - `) and hubs are skipped.
 */
export function parseInfoNetwork(text: string): NetBackend[] {
  const out: NetBackend[] = [];
  let cur: NetBackend | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (line === '' || /^\s*filters:/.test(line) || /^\s+-\s/.test(line)) continue;
    const peer = /^\s*\\\s+([^:]+):\s*(.*)$/.exec(line);
    if (peer && cur) {
      const p = kv(peer[2] ?? '');
      if (cur.netdev === null) {
        cur.netdev = (peer[1] ?? '').trim();
        cur.type = p.type ?? null;
        cur.ifname = p.ifname ?? null;
      }
      for (const key of ['fd', 'fds']) {
        for (const f of (p[key] ?? '').split(':')) if (/^\d+$/.test(f)) cur.fds.push(Number(f));
      }
      continue;
    }
    const head = /^([^\s:\\][^:]*):\s*(.*)$/.exec(line);
    if (!head) continue;
    const p = kv(head[2] ?? '');
    if (p.type !== 'nic') { cur = null; continue; }
    cur = { nic: (head[1] ?? '').trim(), model: p.model ?? null, mac: p.macaddr ?? null, netdev: null, type: null, ifname: null, fds: [] };
    out.push(cur);
  }
  return out;
}

/** /proc/<pid>/fdinfo/<fd> of a tun/tap fd has `iff:\t<ifname>`. */
export function parseFdinfoIff(text: string): string | null {
  const m = /^iff:\s*(\S+)\s*$/m.exec(text);
  return m?.[1] ?? null;
}

/** hugetlbfs mounts from /proc/self/mountinfo with their page size in bytes (null when not stated). */
export function parseHugetlbfsMounts(text: string): Array<{ mountPoint: string; pageSizeBytes: number | null }> {
  const out: Array<{ mountPoint: string; pageSizeBytes: number | null }> = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (right[0] !== 'hugetlbfs' || left[4] === undefined) continue;
    const mountPoint = left[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const ps = /(?:^|,)pagesize=(\d+)([KMG]?)/i.exec(right[2] ?? '');
    const mult: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
    out.push({ mountPoint, pageSizeBytes: ps ? Number(ps[1]) * (mult[(ps[2] ?? '').toUpperCase()] ?? 1) : null });
  }
  return out;
}

/** The hugetlbfs mount that contains path (longest mount point wins), or null. */
export function hugetlbfsFor(path: string, mounts: Array<{ mountPoint: string; pageSizeBytes: number | null }>): { mountPoint: string; pageSizeBytes: number | null } | null {
  let best: { mountPoint: string; pageSizeBytes: number | null } | null = null;
  for (const m of mounts) {
    const mp = m.mountPoint.endsWith('/') ? m.mountPoint : `${m.mountPoint}/`;
    if ((path === m.mountPoint || path.startsWith(mp)) && (!best || m.mountPoint.length > best.mountPoint.length)) best = m;
  }
  return best;
}

