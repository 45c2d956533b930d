// Owns merging QMP readings into a RawGuest: the vCPU map (QMP's thread ids replace the collector's
// guess; a vCPU whose tid changed gets its schedstat re-read so numbers always belong to the thread
// shown), per-virtual-disk counters with the throttle limits in force, memory backends (hugetlbfs /
// memfd hugetlb / KSM-mergeable / host nodes), iothreads, and NICs found through `info network`
// (tap fds resolved via /proc/<pid>/fdinfo; counters flipped to the guest's direction).

import type { HostFs } from '../../engine/ports/host-fs.js';
import type { RawDisk, RawDiskLimits, RawGuest, RawGuestMemory, RawIothread, RawNic, RawVcpu } from '../../engine/model/sample.js';
import {
  hugetlbfsFor, noLimits, parseFdinfoIff, parseHugetlbfsMounts,
  type NetBackend, type QmpIothread, type QmpVcpu,
} from './parse.js';
import type { SlowReading } from './guest-read.js';
import { readThreadCounters } from '../procfs/read.js';
import { statusField } from '../procfs/parse.js';

type Backends = NonNullable<RawGuestMemory['backends']>;

function tryRead(fs: HostFs, path: string, cached: boolean): string | null {
  try { return cached ? fs.readCached(path) : fs.readText(path); } catch { return null; }
}

/** Thread numbers from /proc; returns false when the thread is gone. */
function readThread(fs: HostFs, pid: number, tid: number): { run: number | null; wait: number | null; slices: number | null; lastCpu: number | null; allowed: string | null } | null {
  const t = readThreadCounters(fs, pid, tid);
  if (t === null) return null;
  const s = t.sched;
  const status = tryRead(fs, `/proc/${pid}/task/${tid}/status`, true);
  const allowed = status ? statusField(status, 'Cpus_allowed_list') : null;
  return { run: s?.runUsec ?? null, wait: s?.waitUsec ?? null, slices: s?.timeslices ?? null, lastCpu: t.lastCpu, allowed };
}

/**
 * Replace the vCPU list with QMP's map. Returns false when a mapped thread no longer exists
 * (the cached map is stale and must be re-queried). Up to VCPUS_SCANNED vCPUs, one the collector
 * already read (this tick's own object) takes QMP's index in place (a thread two map entries name, never
 * from QEMU, is copied for its second entry); above that the threads are found through a map and copied.
 */
export function applyVcpus(fs: HostFs, guest: RawGuest, map: QmpVcpu[]): boolean {
  const old = guest.vcpus;
  const byTid = old.length > VCPUS_SCANNED ? new Map(old.filter((v) => v.tid !== null).map((v) => [v.tid as number, v])) : null;
  const out: RawVcpu[] = [];
  let fresh = true;
  for (const q of map) {
    const known = byTid ? byTid.get(q.tid) : lastWithTid(old, q.tid);
    if (known && known.runUsec !== null) {
      // in place when this tick's object is not in the list yet (the scan is over at most VCPUS_SCANNED)
      if (byTid === null && !Object.isFrozen(known) && out.indexOf(known) < 0) { known.index = q.index; known.source = 'qmp'; out.push(known); }
      else out.push({ ...known, index: q.index, source: 'qmp' });
      continue;
    }
    const v: RawVcpu = {
      index: q.index, tid: q.tid, source: 'qmp', runUsec: null, waitUsec: null, timeslices: null,
      lastCpu: null, cpusAllowed: null, cgroupPath: known?.cgroupPath ?? null,
    };
    out.push(v);
    const t = readThread(fs, guest.pid, q.tid);
    if (!t) { fresh = false; continue; }
    v.runUsec = t.run; v.waitUsec = t.wait; v.timeslices = t.slices; v.lastCpu = t.lastCpu; v.cpusAllowed = t.allowed;
  }
  guest.vcpus = out;
  return fresh;
}

const VCPUS_SCANNED = 32;

/** The last vCPU of the list with this thread id (as a map built from the list would give). */
function lastWithTid(list: RawVcpu[], tid: number): RawVcpu | undefined {
  for (let i = list.length - 1; i >= 0; i--) if ((list[i] as RawVcpu).tid === tid) return list[i];
  return undefined;
}

export function applyIothreads(fs: HostFs, guest: RawGuest, list: QmpIothread[]): void {
  guest.iothreads = list.map((io): RawIothread => {
    const t = io.tid !== null ? readThread(fs, guest.pid, io.tid) : null;
    return { id: io.id, tid: io.tid, runUsec: t?.run ?? null, waitUsec: t?.wait ?? null };
  });
}

/** "no limits" shared by every disk without a query-block entry: frozen, so nothing writes into it */
const NO_LIMITS: RawDiskLimits = Object.freeze(noLimits());

/**
 * Limits objects are frozen (shared between ticks): a writer replaces `limits`, never writes into it.
 * The disks are this tick's own (parsed from this tick's reply), so `limits` is set on them in place:
 * a copy by spread gave nearly every disk a hidden class of its own (269 classes for 280 disks), which
 * made every later reader of them (derive, the range check, the recorder, JSON) slow.
 */
export function applyDisks(guest: RawGuest, disks: RawDisk[], limits: Map<string, RawDiskLimits> | null): void {
  for (const d of disks) d.limits = limits?.get(d.name) ?? NO_LIMITS;
  guest.disks = guest.disks.filter((d) => d.source !== 'qmp').concat(disks);
}

/**
 * Memory backends from query-memdev + qom-get, hugetlbfs decided from QEMU's own mount table. Frozen
 * (with their host-node lists): the list is carried over unchanged between slow reads, so the recorder
 * skips it (record/codec).
 */
export function buildBackends(fs: HostFs, pid: number, memdevs: NonNullable<SlowReading['memdevs']>): Backends {
  let mounts: ReturnType<typeof parseHugetlbfsMounts> | null = null;
  const hugeMounts = (): ReturnType<typeof parseHugetlbfsMounts> => {
    mounts ??= parseHugetlbfsMounts(tryRead(fs, `/proc/${pid}/mountinfo`, false) ?? tryRead(fs, '/proc/self/mountinfo', false) ?? '');
    return mounts;
  };
  const list = memdevs.map((d) => {
    const p = d.props;
    let hugepages: boolean | null = null;
    let pageSizeBytes: number | null = null;
    if (p?.type === 'memory-backend-file' && p.memPath) {
      const m = hugetlbfsFor(p.memPath, hugeMounts());
      hugepages = m !== null;
      pageSizeBytes = m?.pageSizeBytes ?? null;
    } else if (p?.type === 'memory-backend-memfd') {
      hugepages = p.hugetlb;
      pageSizeBytes = p.hugetlb && p.hugetlbsize ? p.hugetlbsize : null;
    } else if (p?.type === 'memory-backend-ram') {
      hugepages = false;
    }
    return Object.freeze({
      id: d.id, sizeBytes: d.sizeBytes, merge: d.merge, share: d.share, hugepages, pageSizeBytes,
      hostNodes: d.hostNodes ? Object.freeze(d.hostNodes) as number[] : null, policy: d.policy, type: p?.type ?? null,
    });
  });
  return Object.freeze(list) as Backends;
}

export interface NicLink { ifname: string; mac: string | null }

/** NIC -> host interface names: `ifname=` when QEMU opened the tap, else each `fd=` through fdinfo `iff:`. */
export function resolveNics(fs: HostFs, pid: number, net: NetBackend[]): NicLink[] {
  const out: NicLink[] = [];
  for (const n of net) {
    const names = n.ifname ? [n.ifname]
      : n.fds.map((fd) => parseFdinfoIff(tryRead(fs, `/proc/${pid}/fdinfo/${fd}`, false) ?? '')).filter((x): x is string => x !== null);
    for (const ifname of new Set(names)) out.push({ ifname, mac: n.mac });
  }
  return out;
}

function netCounter(fs: HostFs, ifname: string, file: string): number | null {
  const t = tryRead(fs, `/sys/class/net/${ifname}/statistics/${file}`, true);
  return t !== null && /^\d+\s*$/.test(t) ? Number(t.trim()) : null;
}

/** Add NICs the collector did not find (tap counters flipped: guest rx = tap tx); fill missing MACs. */
export function applyNics(fs: HostFs, guest: RawGuest, links: NicLink[]): void {
  for (const l of links) {
    const known = guest.nics.find((n) => n.ifname === l.ifname);
    if (known) { if (known.mac === null) known.mac = l.mac; continue; }
    if (!/^[^/\0]{1,15}$/.test(l.ifname) || l.ifname === '.' || l.ifname === '..') continue;
    const nic: RawNic = {
      ifname: l.ifname, mac: l.mac, macvtap: false,
      rxBytes: netCounter(fs, l.ifname, 'tx_bytes'), txBytes: netCounter(fs, l.ifname, 'rx_bytes'),
      rxPackets: netCounter(fs, l.ifname, 'tx_packets'), txPackets: netCounter(fs, l.ifname, 'rx_packets'),
      rxDropped: netCounter(fs, l.ifname, 'tx_dropped'), txDropped: netCounter(fs, l.ifname, 'rx_dropped'),
      shaping: null,
    };
    guest.nics.push(nic);
  }
}
