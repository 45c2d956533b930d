// Owns the libvirt GuestEnricher: everything libvirt knows about its domains, asked through one
// long-lived libvirt connection (the persistent virsh session of collector/qmp/virsh-channel.ts, given
// by the composition root as `exec`; a process per call only where no session is wired, as in the
// fixture tests). Per tick one `domstats` for all active domains (state, vCPU time and delay, per-disk
// requests/bytes/times, balloon, interfaces); a domain that appears in or leaves it is described or
// dropped in that same tick, so lifecycle is seen within one tick. That one call goes straight to
// libvirtd's RPC socket when the composition root gives a client (`rpc`: no virsh process doing the
// work, no text to format and parse), else — and for 30 s after the socket failed — through virsh.
// On discovery ticks the domain list (the RPC reply's names and uuids, else `virsh list`), the live
// domain (limits, pinning, disks, taps) again on settings ticks — from libvirt's local status XML when it
// is readable (no libvirtd round trip), else `dumpxml` — `dominfo` once per domain. Never
// `qemu-monitor-command`: vCPU thread ids come from libvirt's status XML (/run/libvirt/qemu/<name>.xml)
// or the thread names. Merges into the guests the collector discovered from cgroups/proc, matched by
// pid (then uuid, then name), and adds active domains the collector missed. Failures become errors.

import { HostError } from '../../engine/model/errors.js';
import type { VirshExec } from '../qmp/virsh-channel.js';
import type { RawDisk, RawGuest, RawLibvirt, RawNic, RawVcpu, SourceErrorInfo } from '../../engine/model/sample.js';
import type { Clock } from '../../engine/ports/clock.js';
import type { CommandRunner } from '../../engine/ports/command-runner.js';
import type { HostFs } from '../../engine/ports/host-fs.js';
import type { EnrichContext, GuestEnricher } from '../../engine/ports/sources.js';
import { parseDomainXml, parseStatusXml, type DomainStatus, type DomainXmlInfo } from './parse-domain.js';
import type { RpcDomainStats } from './parse-rpc.js';
import {
  DOMAIN_STATES, domStatsFrom, parseDomblklist, parseDominfo, parseDomiflist, parseDomstats, parseListUuidName,
  type DomInfo, type DomStats,
} from './parse-virsh.js';
import { blankGuest, readVcpuThread } from './guest.js';
import { isLocalUri, runVirsh, VIRSH_TIMEOUT_MS } from './virsh.js';

export interface LibvirtEnricherDeps {
  runner: CommandRunner;
  /** when given, libvirt's disk counters carry the time domstats answered (rates over that interval) */
  clock?: Clock;
  fs: HostFs;
  uri: string | null;
  /** the long-lived session's exec (composition roots wire one); absent: one virsh process per call */
  exec?: VirshExec;
  /** libvirtd's RPC socket for the per-tick stats (rpc-client.ts); absent: the stats go through virsh */
  rpc?: { allDomainStats(timeoutMs: number): Promise<RpcDomainStats[]>; close(): void };
}

interface DomainEntry {
  name: string;
  uuid: string;
  pid: number | null;
  info: DomInfo | null;
  xml: DomainXmlInfo | null;
  vcpuTids: Array<{ index: number; tid: number }>;
  /** the status XML text last parsed, and what it gave: an unchanged file is not parsed again */
  status: { text: string; parsed: DomainStatus } | null;
}

const RUN_DIR = '/run/libvirt/qemu';
const CONCURRENCY = 4;
/** how long to wait before asking an unreachable libvirt again */
const RETRY_MS = 30_000;

async function pool<T>(items: T[], fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

function errorEntry(e: unknown, guest: string | null): SourceErrorInfo {
  const kind = e instanceof HostError ? e.kind : 'io';
  const message = e instanceof Error ? e.message : String(e);
  return { source: 'libvirt', guest, message: message.split('\n')[0] ?? message, kind };
}

export function createLibvirtEnricher(deps: LibvirtEnricherDeps): GuestEnricher {
  const { runner, fs, uri } = deps;
  const local = isLocalUri(uri);
  let cache: Map<string, DomainEntry> | null = null;
  let stats = new Map<string, DomStats>();
  /** when the last domstats reply arrived (monotonic ms), null without a clock */
  let statsAt: number | null = null;
  /** after a failed `virsh list` (no daemon), no new attempt before this monotonic time */
  let retryAtMs = -Infinity;
  /** after a failed RPC stats call, virsh answers until this monotonic time */
  let rpcRetryAtMs = -Infinity;
  /** the uuid of each domain in the last RPC stats reply (virsh's text does not carry them) */
  let statsUuids = new Map<string, string>();

  const virsh = (args: string[], timeoutMs?: number): Promise<string> =>
    deps.exec ? deps.exec(args, timeoutMs ?? VIRSH_TIMEOUT_MS) : runVirsh(runner, uri, args, timeoutMs);

  async function describe(name: string, uuid: string, errors: SourceErrorInfo[]): Promise<DomainEntry> {
    const id = `libvirt:${name}`;
    const entry: DomainEntry = { name, uuid, pid: null, info: null, xml: null, vcpuTids: [], status: null };
    try { entry.info = parseDominfo(await virsh(['dominfo', name])); } catch (e) { errors.push(errorEntry(e, id)); }
    if (readStatus(entry)) return entry;
    try {
      entry.xml = parseDomainXml(await virsh(['dumpxml', name]));
    } catch (e) {
      errors.push(errorEntry(e, id));
      entry.xml = await fallbackDevices(name, id, errors);
    }
    return entry;
  }

  /** When dumpxml cannot be read: taps and disks from the tables. */
  async function fallbackDevices(name: string, id: string, errors: SourceErrorInfo[]): Promise<DomainXmlInfo | null> {
    try {
      const ifs = parseDomiflist(await virsh(['domiflist', name]));
      const disks = parseDomblklist(await virsh(['domblklist', name]));
      return {
        name, type: null, domId: null, uuid: null, vcpuCount: null, maxMemoryKiB: null, currentMemoryKiB: null,
        partition: null, cputune: null, numatune: null, blkiotune: null, memtune: null, memoryBacking: null,
        disks: disks.map((d) => ({ target: d.target, alias: null, source: d.source, type: null, device: null, bus: null,
          cache: null, qomPath: null, iotune: {} })),
        interfaces: ifs.map((n) => ({ ifname: n.ifname, mac: n.mac, type: n.type, model: n.model, alias: null,
          inbound: null, outbound: null })),
      };
    } catch (e) {
      errors.push(errorEntry(e, id));
      return null;
    }
  }

  /** `known`: the active domains as this tick's RPC stats reply named them (no `virsh list` needed) */
  async function discover(guests: RawGuest[], errors: SourceErrorInfo[], monoMs: number, known: Array<{ uuid: string; name: string }> | null): Promise<void> {
    let list: Array<{ uuid: string; name: string }>;
    try {
      list = known ?? parseListUuidName(await virsh(['list', '--uuid', '--name']));
    } catch (e) {
      // no daemon and no libvirt guests: nothing to report on a host without libvirt
      if (guests.some((g) => g.manager === 'libvirt')) errors.push(errorEntry(e, null));
      cache = new Map();
      retryAtMs = monoMs + RETRY_MS;
      return;
    }
    const found = new Map<string, DomainEntry>();
    // a domain already described keeps its entry (same uuid): its XML is refreshed on settings ticks
    const fresh = list.filter(({ uuid, name }) => {
      const had = cache?.get(name);
      if (had && had.uuid === uuid) { found.set(name, had); return false; }
      return true;
    });
    await pool(fresh, async ({ uuid, name }) => { found.set(name, await describe(name, uuid, errors)); });
    cache = found;
  }

  /** Re-read each domain's XML (limits, pinning, devices) and libvirt's vCPU map: settings cadence. */
  async function refreshXml(errors: SourceErrorInfo[]): Promise<void> {
    if (!cache) return;
    await pool([...cache.values()], async (entry) => {
      if (readStatus(entry)) return;
      try { entry.xml = parseDomainXml(await virsh(['dumpxml', entry.name])); } catch (e) {
        if (!(e instanceof HostError && e.kind === 'missing')) errors.push(errorEntry(e, `libvirt:${entry.name}`));
      }
    });
  }

  /**
   * The local status XML (root-only): QEMU pid, vCPU thread ids, and the live domain definition that
   * libvirtd saves there on every live change (the same <domain> `dumpxml` formats). True when it gave
   * the live domain, so no `dumpxml` round trip through libvirtd is needed. Read every settings tick;
   * parsed only when its text changed (a parse of libvirt's 10 kB file cost ≈ 0.2–0.6 ms, 8 domains
   * every 5 s ≈ a tenth of a watch's own CPU on an idle host).
   */
  function readStatus(entry: DomainEntry): boolean {
    if (!local) return false;
    try {
      const text = fs.readText(`${RUN_DIR}/${entry.name}.xml`);
      const status = entry.status?.text === text ? entry.status.parsed : parseStatusXml(text);
      entry.status = { text, parsed: status };
      entry.pid = status.pid;
      entry.vcpuTids = status.vcpus;
      if (status.domain && status.domain.name === entry.name) { entry.xml = status.domain; return true; }
      return false;
    } catch {
      try { entry.pid = Number(fs.readText(`${RUN_DIR}/${entry.name}.pid`).trim()) || null; } catch { /* not readable here */ }
      return false;
    }
  }

  /** One `domstats` for every active domain; false when libvirt could not be asked. */
  async function readStats(errors: SourceErrorInfo[], monoMs: number): Promise<boolean> {
    if (await readStatsRpc(monoMs)) return true;
    statsUuids = new Map();
    try {
      const text = await virsh(['domstats', '--raw', '--list-active', '--state', '--cpu-total', '--balloon', '--vcpu', '--interface', '--block'], 10_000);
      stats = new Map(parseDomstats(text).map((s) => [s.name, s]));
      statsAt = deps.clock ? deps.clock.monoMs() : null;
      return true;
    } catch (e) {
      stats = new Map();
      errors.push(errorEntry(e, null));
      return false;
    }
  }

  /** The same stats over libvirtd's RPC socket; false (virsh then answers) when there is none or it failed. */
  async function readStatsRpc(monoMs: number): Promise<boolean> {
    if (!deps.rpc || monoMs < rpcRetryAtMs) return false;
    try {
      const recs = await deps.rpc.allDomainStats(10_000);
      stats = new Map(recs.map((r) => [r.name, domStatsFrom(r.name, r.params)]));
      statsUuids = new Map(recs.map((r) => [r.name, r.uuid]));
      statsAt = deps.clock ? deps.clock.monoMs() : null;
      return true;
    } catch {
      // the socket is an optimisation: virsh answers the same question (and reports what fails)
      rpcRetryAtMs = monoMs + RETRY_MS;
      return false;
    }
  }

  /** Domains that started or stopped since the last list: described or dropped in this tick. */
  async function reconcile(errors: SourceErrorInfo[]): Promise<void> {
    if (!cache) return;
    for (const name of [...cache.keys()]) if (!stats.has(name)) cache.delete(name);
    const started = [...stats.keys()].filter((n) => !cache?.has(n));
    if (started.length === 0) return;
    // the RPC reply carried the uuids; virsh's domstats text does not: ask `list` then
    let uuids = statsUuids;
    if (!started.every((n) => uuids.has(n))) {
      try { uuids = new Map(parseListUuidName(await virsh(['list', '--uuid', '--name'])).map((d) => [d.name, d.uuid])); } catch (e) {
        errors.push(errorEntry(e, null));
        return;
      }
    }
    await pool(started.filter((n) => uuids.has(n)), async (name) => {
      const entry = await describe(name, uuids.get(name) as string, errors);
      cache?.set(name, entry);
    });
  }

  return {
    name: 'libvirt',
    async enrich(guests: RawGuest[], ctx: EnrichContext): Promise<void> {
      try {
        const discovered = (ctx.tasks.has('discovery') || cache === null) && ctx.monoMs >= retryAtMs;
        const wantStats = ctx.tasks.has('counters') || ctx.tasks.has('discovery');
        let statsRead = false;
        if (discovered) {
          // the RPC stats reply names every active domain with its uuid: it stands in for `virsh list`
          statsRead = wantStats && await readStatsRpc(ctx.monoMs);
          await discover(guests, ctx.errors, ctx.monoMs, statsRead ? [...statsUuids].map(([name, uuid]) => ({ uuid, name })) : null);
        }
        if (cache === null || ctx.monoMs < retryAtMs) return;
        if (wantStats && (statsRead || await readStats(ctx.errors, ctx.monoMs))) await reconcile(ctx.errors);
        if (ctx.tasks.has('settings') && !discovered) await refreshXml(ctx.errors);
        const matched = new Set<string>();
        for (const g of guests) {
          const entry = findEntry(cache, g);
          if (!entry) continue;
          matched.add(entry.name);
          mergeInto(g, entry, stats.get(entry.name) ?? null, uri, fs, statsAt);
        }
        for (const entry of cache.values()) {
          if (matched.has(entry.name) || entry.pid === null || !local || !fs.exists(`/proc/${entry.pid}`)) continue;
          const g = blankGuest(`libvirt:${entry.name}`, entry.name, entry.pid);
          mergeInto(g, entry, stats.get(entry.name) ?? null, uri, fs, statsAt);
          guests.push(g);
        }
      } catch (e) {
        ctx.errors.push(errorEntry(e, null));
      }
    },
    async close(): Promise<void> { cache = null; stats = new Map(); deps.rpc?.close(); },
  };
}

function findEntry(cache: Map<string, DomainEntry>, g: RawGuest): DomainEntry | null {
  const all = [...cache.values()];
  return all.find((e) => e.pid !== null && e.pid === g.pid)
    ?? all.find((e) => g.uuid !== null && e.uuid === g.uuid.toLowerCase())
    ?? cache.get(g.id.startsWith('libvirt:') ? g.id.slice('libvirt:'.length) : '')
    ?? (g.manager === 'libvirt' ? cache.get(g.name) ?? null : null);
}

function mergeInto(g: RawGuest, e: DomainEntry, s: DomStats | null, uri: string | null, fs: HostFs, statsAt: number | null): void {
  const x = e.xml;
  g.name = e.name;
  g.uuid = e.uuid;
  g.manager = 'libvirt';
  g.id = `libvirt:${e.name}`;
  const state = s?.stateCode != null ? DOMAIN_STATES[s.stateCode] ?? null : e.info?.state ?? null;
  if (g.state === null) g.state = state;
  if (g.smp === null) g.smp = x?.vcpuCount ?? e.info?.vcpus ?? null;

  // vCPU threads: libvirt's mapping wins over a guess from thread names
  for (const { index, tid } of e.vcpuTids) {
    let v = g.vcpus.find((c) => c.index === index);
    if (!v) {
      v = { index, tid: null, source: 'libvirt', runUsec: null, waitUsec: null, timeslices: null, lastCpu: null, cpusAllowed: null, cgroupPath: null };
      g.vcpus.push(v);
    }
    if (v.tid !== tid || v.source === 'comm') { v.tid = tid; v.source = 'libvirt'; }
    if (v.runUsec === null) readVcpuThread(fs, g.pid, v);
  }
  g.vcpus.sort((a, b) => a.index - b.index);
  for (const vs of s?.vcpuStats ?? []) {
    const v: RawVcpu | undefined = g.vcpus.find((c) => c.index === vs.index);
    if (v && v.waitUsec === null) v.waitUsec = vs.delayUsec;
  }

  if (s) {
    if (g.cpu.usageUsec === null) g.cpu.usageUsec = s.cpuTimeUsec;
    if (g.cpu.userUsec === null) g.cpu.userUsec = s.cpuUserUsec;
    if (g.cpu.systemUsec === null) g.cpu.systemUsec = s.cpuSystemUsec;
    if (s.balloon?.currentKiB != null && g.memory.balloonActualBytes === null) g.memory.balloonActualBytes = s.balloon.currentKiB * 1024;
    if (s.balloon?.rssKiB != null && g.memory.rssBytes === null) g.memory.rssBytes = s.balloon.rssKiB * 1024;
  }
  if (g.memory.maxBytes === null && x?.memtune?.hardLimitKiB != null) g.memory.maxBytes = x.memtune.hardLimitKiB * 1024;

  for (const d of x?.disks ?? []) mergeDisk(g, d, s?.blocks.find((b) => b.name === d.target) ?? null, statsAt);
  for (const n of x?.interfaces ?? []) {
    if (!n.ifname) continue;
    mergeNic(g, n, s?.nets.find((c) => c.ifname === n.ifname) ?? null);
  }

  const lv: RawLibvirt = {
    uri,
    domId: x?.domId ?? e.info?.id ?? null,
    uuid: e.uuid,
    state,
    persistent: e.info?.persistent ?? null,
    autostart: e.info?.autostart ?? null,
    vcpuCount: x?.vcpuCount ?? e.info?.vcpus ?? null,
    maxMemoryKiB: x?.maxMemoryKiB ?? e.info?.maxMemoryKiB ?? null,
    currentMemoryKiB: x?.currentMemoryKiB ?? e.info?.usedMemoryKiB ?? null,
    partition: x?.partition ?? null,
    cputune: x?.cputune ?? null,
    numatune: x?.numatune ?? null,
    blkiotune: x?.blkiotune ?? null,
    memtune: x?.memtune ?? null,
    memoryBacking: x?.memoryBacking ?? null,
    disks: x?.disks ?? [],
    interfaces: x?.interfaces ?? [],
    vcpuStats: s?.vcpuStats ?? [],
    balloon: s?.balloon ?? null,
    cpuTimeUsec: s?.cpuTimeUsec ?? null,
    cpuUserUsec: s?.cpuUserUsec ?? null,
    cpuSystemUsec: s?.cpuSystemUsec ?? null,
  };
  g.libvirt = lv;
}

const IOTUNE_LIMITS: Array<[keyof RawDisk['limits'], string]> = [
  ['readIops', 'read_iops_sec'], ['writeIops', 'write_iops_sec'], ['totalIops', 'total_iops_sec'],
  ['readBytesPerSec', 'read_bytes_sec'], ['writeBytesPerSec', 'write_bytes_sec'], ['totalBytesPerSec', 'total_bytes_sec'],
];

function mergeDisk(g: RawGuest, d: RawLibvirt['disks'][number], b: DomStats['blocks'][number] | null, statsAt: number | null): void {
  // the QMP enricher names a disk by its qdev id (= libvirt's alias): one entry per virtual disk
  let disk = g.disks.find((k) => k.source !== 'cgroup' && (k.name === d.alias || k.qdev === d.alias || k.name === d.target));
  if (!disk) {
    disk = {
      name: d.alias ?? d.target, source: 'libvirt', device: null, qdev: d.alias,
      readOps: null, writeOps: null, flushOps: null, readBytes: null, writeBytes: null,
      readTimeUsec: null, writeTimeUsec: null, flushTimeUsec: null,
      limits: { readIops: null, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null },
    };
    g.disks.push(disk);
  }
  disk.target ??= d.target;
  if (b && disk.source === 'libvirt') disk.atMonoMs = statsAt;
  if (b) {
    disk.readOps ??= b.readOps; disk.writeOps ??= b.writeOps; disk.flushOps ??= b.flushOps;
    disk.readBytes ??= b.readBytes; disk.writeBytes ??= b.writeBytes;
    disk.readTimeUsec ??= b.readTimeUsec; disk.writeTimeUsec ??= b.writeTimeUsec; disk.flushTimeUsec ??= b.flushTimeUsec;
  }
  for (const [field, key] of IOTUNE_LIMITS) {
    const v = d.iotune[key];
    // a QMP disk's limits are frozen (shared between ticks): replace the object, never write into it
    if (disk.limits[field] === null && typeof v === 'number' && v > 0) disk.limits = { ...disk.limits, [field]: v };
  }
}

function mergeNic(g: RawGuest, n: RawLibvirt['interfaces'][number], c: DomStats['nets'][number] | null): void {
  const ifname = n.ifname as string;
  let nic: RawNic | undefined = g.nics.find((k) => k.ifname === ifname);
  if (!nic) {
    // domstats counts in the guest's direction already (libvirt swaps tap counters)
    nic = {
      ifname, mac: n.mac, macvtap: n.type === 'direct',
      rxBytes: c?.rxBytes ?? null, txBytes: c?.txBytes ?? null, rxPackets: c?.rxPackets ?? null, txPackets: c?.txPackets ?? null,
      rxDropped: c?.rxDropped ?? null, txDropped: c?.txDropped ?? null, shaping: null,
    };
    g.nics.push(nic);
  }
  nic.mac ??= n.mac;
  // libvirt's rates are KB/s (tc kbps, 1000 B/s): ×8 gives kbit/s
  const inK = n.inbound?.average ? n.inbound.average * 8 : null;
  const outK = n.outbound?.average ? n.outbound.average * 8 : null;
  if (nic.shaping === null && (inK !== null || outK !== null)) nic.shaping = { inKbitPerSec: inK, outKbitPerSec: outK };
}
