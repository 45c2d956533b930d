// Owns the QMP GuestEnricher: per guest, picks the channel the connection policy allows (a short
// connection per tick for sockets shared with a manager; one long-lived connection with events for a
// socket dedicated to virtune; for libvirt guests nothing by default — libvirt's domstats carries
// their figures — and `qemu-monitor-command` through the libvirt session only when `libvirtQmp` opts in
// (latency histograms), never libvirt's socket), runs the cheap batch on 'qmp' ticks and the slow batch on 'qmpSlow' ticks (and once for a
// new guest), caches the vCPU map until the next 'discovery', carries slow values forward, and merges
// everything into the RawGuest. All guests run in parallel, each under a hard deadline; every failure
// becomes an `errors` entry ({source:'qmp'}), never an exception.

import { HostError } from '../../engine/model/errors.js';
import type { RawDiskLimits, RawGuest, RawGuestMemory, SourceErrorInfo } from '../../engine/model/sample.js';
import type { Clock } from '../../engine/ports/clock.js';
import type { CommandRunner } from '../../engine/ports/command-runner.js';
import type { HostFs } from '../../engine/ports/host-fs.js';
import type { QmpChannel, QmpConnector, QmpEvent } from '../../engine/ports/qmp.js';
import type { EnrichContext, GuestEnricher } from '../../engine/ports/sources.js';
import { applyDisks, applyIothreads, applyNics, applyVcpus, buildBackends, resolveNics, type NicLink } from './guest-apply.js';
import { GuestReader } from './guest-read.js';
import type { QmpIothread, QmpVcpu } from './parse.js';
import { VirshQmpChannel, type VirshExec } from './virsh-channel.js';
import { runVirsh } from '../libvirt/virsh.js';

/** reason for ending a deadline race: shared, so no DOMException is built per guest and tick */
const DEADLINE_DONE = Object.freeze({ done: true });

export interface QmpEnricherDeps {
  fs: HostFs;
  qmp: QmpConnector;
  runner: CommandRunner;
  clock: Clock;
  libvirtUri?: string | null;
  /** hard deadline per guest and tick for socket guests (default 500 ms) */
  timeoutMs?: number;
  /** deadline per guest and tick for libvirt guests through virsh (default 3000 ms) */
  virshTimeoutMs?: number;
  /**
   * false when the libvirt daemon virsh would reach is not the one of the host being read (a
   * captured tree under --root without --libvirt-uri): libvirt guests then get no QMP data.
   */
  useVirsh?: boolean;
  /**
   * QMP for libvirt guests through `qemu-monitor-command` (opt-in: a monitor round trip in libvirtd per
   * command and a "custom-monitor" taint on the domain). Default: only when latencyHistograms is 'all'
   * (the histograms need their monitor); otherwise libvirt guests get no QMP here (domstats has them).
   */
  libvirtQmp?: boolean;
  /** the long-lived libvirt session's exec; absent: one virsh process per command */
  virshExec?: VirshExec;
  /**
   * QEMU block latency histograms: 'direct' (default) turns them on for guests whose QMP socket
   * virtune reaches itself, 'all' also for libvirt guests (through virsh: it needs their monitor),
   * 'off' never. Each disk is asked once per guest process.
   */
  latencyHistograms?: 'direct' | 'all' | 'off';
  /**
   * keep a dedicated socket's connection open between ticks (default true). False when another part of
   * the process that cannot share this connector (the tuner beside a sampler in a worker thread) must be
   * able to reach the monitor: QEMU serves one client at a time, so the sampler then connects per tick.
   */
  holdDedicated?: boolean;
}

interface GuestCache {
  pid: number;
  vcpus: QmpVcpu[] | null;
  state: string | null;
  hasBalloon: boolean | null;
  balloonBytes: number | null;
  slowDone: boolean;
  name: string | null;
  uuid: string | null;
  iothreads: QmpIothread[] | null;
  limits: Map<string, RawDiskLimits> | null;
  backends: RawGuestMemory['backends'];
  nics: NicLink[] | null;
  /** disks block-latency-histogram-set was sent for */
  histograms: Set<string>;
}

interface Dedicated { ch: QmpChannel; stateFromEvents: string | null; off: () => void }

const EVENT_STATE: Record<string, string> = { STOP: 'paused', RESUME: 'running', SHUTDOWN: 'shutdown', GUEST_PANICKED: 'guest-panicked' };

const newCache = (pid: number): GuestCache => ({
  pid, vcpus: null, state: null, hasBalloon: null, balloonBytes: null, slowDone: false,
  name: null, uuid: null, iothreads: null, limits: null, backends: null, nics: null, histograms: new Set(),
});

export function createQmpEnricher(deps: QmpEnricherDeps): GuestEnricher {
  const timeoutMs = deps.timeoutMs ?? 500;
  const virshTimeoutMs = deps.virshTimeoutMs ?? 3000;
  const histograms = deps.latencyHistograms ?? 'direct';
  const caches = new Map<string, GuestCache>();
  const dedicated = new Map<string, Dedicated>();

  const report = (ctx: EnrichContext, guest: RawGuest, message: string, kind?: string): void => {
    const e: SourceErrorInfo = { source: 'qmp', guest: guest.id, message };
    if (kind) e.kind = kind;
    ctx.errors.push(e);
  };

  const dropDedicated = (path: string): void => {
    const d = dedicated.get(path);
    if (!d) return;
    dedicated.delete(path);
    d.off();
    void d.ch.close().catch(() => undefined);
  };

  /** The channel this guest may use, and how to let go of it after the tick. */
  async function open(guest: RawGuest, budget: number): Promise<{ ch: QmpChannel; release: () => Promise<void>; path: string | null; d: Dedicated | null } | string> {
    if (guest.manager === 'libvirt' && !guest.qmp?.dedicated) {
      if (!(deps.libvirtQmp ?? deps.latencyHistograms === 'all')) return '';
      if (deps.useVirsh === false) return `QMP data unavailable for libvirt guest ${guest.name}: the host is read under --root, so the local virsh is not asked (pass --libvirt-uri to reach its libvirt)`;
      if (!deps.runner.has('virsh')) return `QMP data unavailable for libvirt guest ${guest.name}: virsh not found (libvirt owns the monitor socket)`;
      const exec: VirshExec = deps.virshExec ?? ((args, t) => runVirsh(deps.runner, deps.libvirtUri ?? null, args, t));
      const ch = new VirshQmpChannel({ exec, domain: guest.name, timeoutMs: budget });
      return { ch, release: () => ch.close(), path: null, d: null };
    }
    if (!guest.qmp) return '';
    const path = deps.fs.resolve(guest.qmp.socket);
    if (guest.qmp.dedicated && deps.holdDedicated !== false) {
      const have = dedicated.get(path);
      if (have && !have.ch.closed) return { ch: have.ch, release: async () => undefined, path, d: have };
      if (have) dropDedicated(path);
      const ch = await deps.qmp.connect(path, { timeoutMs: budget, commandTimeoutMs: budget });
      const d: Dedicated = { ch, stateFromEvents: null, off: () => undefined };
      d.off = ch.onEvent((e: QmpEvent) => { const s = EVENT_STATE[e.event]; if (s) d.stateFromEvents = s; });
      ch.takeEvents();
      dedicated.set(path, d);
      return { ch, release: async () => undefined, path, d };
    }
    const ch = await deps.qmp.connect(path, { timeoutMs: budget, commandTimeoutMs: budget });
    return { ch, release: () => ch.close(), path, d: null };
  }

  async function query(guest: RawGuest, ctx: EnrichContext, cache: GuestCache, budget: number, expired: () => boolean): Promise<void> {
    const wantFast = ctx.tasks.has('qmp');
    const wantSlow = ctx.tasks.has('qmpSlow') || (!cache.slowDone && wantFast);
    if (ctx.tasks.has('discovery')) cache.vcpus = null;
    let opened: Awaited<ReturnType<typeof open>>;
    try {
      opened = await open(guest, budget);
    } catch (e) {
      if (guest.qmp) guest.qmp.reachable = false;
      if (!expired()) report(ctx, guest, e instanceof Error ? e.message : String(e), e instanceof HostError ? e.kind : undefined);
      return;
    }
    if (typeof opened === 'string') {
      if (opened) report(ctx, guest, opened, 'unsupported');
      return;
    }
    const { ch, release, path, d } = opened;
    const reader = new GuestReader(ch, budget);
    try {
      let fastAt: number | null = null; // when the fast batch's replies arrived: the disk counters' time
      const [fast, slow] = await Promise.all([
        reader.fast({ cpus: cache.vcpus === null, balloon: cache.hasBalloon !== false || wantSlow })
          .then((f) => { fastAt = deps.clock.monoMs(); return f; }),
        wantSlow ? reader.slow() : Promise.resolve(null),
      ]);
      if (expired()) return;
      if (fast.state !== undefined) cache.state = fast.state;
      else if (d?.stateFromEvents) cache.state = d.stateFromEvents;
      if (d) d.stateFromEvents = null;
      if (fast.vcpus) cache.vcpus = fast.vcpus;
      if (fast.balloonBytes !== undefined) { cache.hasBalloon = fast.balloonBytes !== null; cache.balloonBytes = fast.balloonBytes; }
      if (slow) {
        cache.slowDone = true;
        if (slow.name !== null) cache.name = slow.name;
        if (slow.uuid !== null) cache.uuid = slow.uuid;
        if (slow.iothreads) cache.iothreads = slow.iothreads;
        if (slow.limits) cache.limits = slow.limits;
        if (slow.memdevs) cache.backends = buildBackends(deps.fs, guest.pid, slow.memdevs);
        if (slow.net) cache.nics = resolveNics(deps.fs, guest.pid, slow.net);
      }
      if (fast.disks) {
        applyDisks(guest, fast.disks, cache.limits);
        for (const d of guest.disks) if (d.source === 'qmp') d.atMonoMs = fastAt;
        const viaVirsh = path === null;
        if (histograms === 'all' || (histograms === 'direct' && !viaVirsh)) {
          // QEMU finds the disk by its device's qdev id or QOM path (a -drive name alone is not found)
          const todo = fast.disks.filter((x) => !x.latencyHistograms && !cache.histograms.has(x.name));
          for (const x of todo) cache.histograms.add(x.name);
          const ids = todo.map((x) => (x.qdev?.startsWith('/') ? x.qdev : x.name));
          if (ids.length > 0 && !expired()) await reader.enableLatencyHistograms(ids);
        }
      }
      const { broken, refused } = reader.problems;
      if (guest.qmp) guest.qmp.reachable = broken === null;
      if (broken) {
        report(ctx, guest, broken.message, broken.kind);
        if (path && d) dropDedicated(path);
      }
      for (const r of refused) report(ctx, guest, r.message, 'unsupported');
    } finally {
      await release().catch(() => undefined);
    }
  }

  /** Values known from earlier ticks; applied on every tick. */
  function applyCached(guest: RawGuest, cache: GuestCache): void {
    if (cache.state !== null) guest.state = cache.state;
    if (cache.name !== null && (guest.name === '' || /^\d+$/.test(guest.name))) guest.name = cache.name;
    if (cache.uuid !== null && guest.uuid === null) guest.uuid = cache.uuid;
    if (cache.vcpus && !applyVcpus(deps.fs, guest, cache.vcpus)) cache.vcpus = null;
    if (cache.iothreads) applyIothreads(deps.fs, guest, cache.iothreads);
    if (cache.hasBalloon !== null) guest.memory.balloonActualBytes = cache.balloonBytes;
    if (cache.backends) guest.memory.backends = cache.backends;
    if (cache.nics) applyNics(deps.fs, guest, cache.nics);
  }

  /**
   * One deadline per budget for a whole tick (guests all start together), instead of a timer per
   * guest: `hit` is true once it fired, `fired` resolves then; `end()` cancels it after the tick.
   */
  interface Deadline { hit: boolean; fired: Promise<void>; end(): void }
  function deadlineFor(budget: number, deadlines: Map<number, Deadline>): Deadline {
    let d = deadlines.get(budget);
    if (!d) {
      const abort = new AbortController();
      const dl: Deadline = { hit: false, fired: Promise.resolve(), end: () => abort.abort(DEADLINE_DONE) };
      dl.fired = deps.clock.sleep(budget + 50, abort.signal).then(() => { dl.hit = true; }, () => new Promise<void>(() => undefined));
      deadlines.set(budget, dl);
      d = dl;
    }
    return d;
  }

  /**
   * Nothing to ask over QMP (no socket of its own; a libvirt guest whose QMP is not opted in): such a
   * guest gets no deadline timer and no query each tick, the same outcome as open() answering ''.
   */
  const nothingToAsk = (g: RawGuest): boolean =>
    g.manager === 'libvirt' && !g.qmp?.dedicated ? !(deps.libvirtQmp ?? deps.latencyHistograms === 'all') : g.qmp === null;

  async function enrichOne(guest: RawGuest, ctx: EnrichContext, deadlines: Map<number, Deadline>): Promise<void> {
    let cache = caches.get(guest.id);
    if (!cache || cache.pid !== guest.pid) { cache = newCache(guest.pid); caches.set(guest.id, cache); }
    const budget = guest.manager === 'libvirt' && !guest.qmp?.dedicated ? virshTimeoutMs : timeoutMs;
    if (ctx.tasks.has('discovery') && nothingToAsk(guest)) cache.vcpus = null;
    if ((ctx.tasks.has('qmp') || ctx.tasks.has('qmpSlow')) && !nothingToAsk(guest)) {
      const deadline = deadlineFor(budget, deadlines);
      let finished = false;
      const timedOut = (): boolean => deadline.hit && !finished;
      const work = query(guest, ctx, cache, budget, timedOut).then(() => { finished = true; }, (e: unknown) => {
        if (!timedOut()) report(ctx, guest, `QMP enricher failed: ${e instanceof Error ? e.message : String(e)}`);
        finished = true;
      });
      await Promise.race([work, deadline.fired]);
      if (!finished) {
        report(ctx, guest, `QMP for ${guest.name} did not finish within ${budget} ms`, 'timeout');
        if (guest.qmp) {
          guest.qmp.reachable = false;
          try { dropDedicated(deps.fs.resolve(guest.qmp.socket)); } catch { /* never opened */ }
        }
        cache.state = null;
        return;
      }
      if (guest.qmp?.reachable === false || (guest.manager === 'libvirt' && !guest.qmp?.dedicated && (deps.useVirsh === false || !deps.runner.has('virsh')))) {
        cache.state = null; // unknown while unreachable; do not carry an old state forward
      }
    }
    try {
      applyCached(guest, cache);
    } catch (e) {
      report(ctx, guest, `QMP data could not be merged: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return {
    name: 'qmp',
    async enrich(guests: RawGuest[], ctx: EnrichContext): Promise<void> {
      const ids = new Set(guests.map((g) => g.id));
      for (const id of [...caches.keys()]) if (!ids.has(id)) caches.delete(id);
      const live = new Set<string>();
      for (const g of guests) {
        try { if (g.qmp?.dedicated) live.add(deps.fs.resolve(g.qmp.socket)); } catch { /* reported by enrichOne */ }
      }
      for (const p of [...dedicated.keys()]) if (!live.has(p)) dropDedicated(p);
      const deadlines = new Map<number, Deadline>();
      try {
        await Promise.all(guests.map((g) => enrichOne(g, ctx, deadlines)));
      } finally {
        for (const d of deadlines.values()) d.end();
      }
    },
    async close(): Promise<void> {
      for (const p of [...dedicated.keys()]) dropDedicated(p);
      caches.clear();
    },
  };
}
