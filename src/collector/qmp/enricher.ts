// Owns the QMP GuestEnricher: per guest, picks the channel the connection policy allows (a short
// connection per tick for sockets shared with a manager; one long-lived connection with events for a
// socket dedicated to virtune; for libvirt guests nothing by default — libvirt's domstats carries
// their figures — and `qemu-monitor-command` through the libvirt session only when `libvirtQmp` opts in
// (latency histograms), never libvirt's socket), runs the cheap batch on 'qmp' ticks and the slow batch on 'qmpSlow' ticks (and once for a
// new guest), caches the vCPU map until the next 'discovery', carries slow values forward, and merges
// everything into the RawGuest. On a dedicated connection the run state and the balloon follow QEMU's
// events: query-status is asked again only after an event (or on 'qmpSlow' ticks, to confirm), the
// balloon is taken from BALLOON_CHANGE, so a steady tick asks only query-blockstats — and `begin`
// sends that batch when the sample starts, so QEMU answers while the host's files are read. All guests
// run in parallel, each under a hard deadline; every failure becomes an `errors` entry
// ({source:'qmp'}), never an exception.

import { HostError } from '../../engine/model/errors.js';
import type { RawDisk, RawDiskLimits, RawGuest, RawGuestMemory, RawLatencyHistograms, SourceErrorInfo } from '../../engine/model/sample.js';
import type { Clock } from '../../engine/ports/clock.js';
import type { CommandRunner } from '../../engine/ports/command-runner.js';
import type { HostFs } from '../../engine/ports/host-fs.js';
import type { QmpChannel, QmpConnector, QmpEvent } from '../../engine/ports/qmp.js';
import type { EnrichContext, GuestEnricher, SampleTask } from '../../engine/ports/sources.js';
import { applyDisks, applyIothreads, applyNics, applyVcpus, buildBackends, resolveNics, type NicLink } from './guest-apply.js';
import { GuestReader, type FastReading, type SlowReading } from './guest-read.js';
import { carryHistograms, EMPTY_LATENCY_HISTOGRAMS, qNum, type QmpIothread, type QmpVcpu } from './parse.js';
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
  /** the dedicated socket (resolved path) this guest was last read through, for `begin` */
  dedicatedPath: string | null;
  /** each disk's latency histograms as handed over last tick (unchanged ones are carried over frozen) */
  lastHistograms: Map<string, RawLatencyHistograms | null>;
}

/**
 * A long-lived connection and what its events tell. Every event but BALLOON_CHANGE may come with a run
 * state change (STOP, RESUME, SHUTDOWN, SUSPEND, MIGRATION, GUEST_PANICKED, WATCHDOG, ...): it makes
 * the state stale until query-status is sent again. BALLOON_CHANGE carries the new size (QEMU sends the
 * last one of a burst at most 1 s late). Both are cleared when their query is sent: an event after that
 * is at least as new as the reply.
 */
interface Dedicated {
  ch: QmpChannel;
  /** what `held` hands out for it (the same object every tick) */
  opened: Opened | null;
  off: () => void;
  stateStale: boolean;
  /** a BALLOON_CHANGE size not yet given to the guest's cache */
  balloonEvent: number | null;
  /** query-balloon answered on this connection (sizes since then come from events) */
  balloonKnown: boolean;
}

type Opened = { ch: QmpChannel; release: () => Promise<void>; path: string | null; d: Dedicated | null };

/** a batch sent by `begin` may wait this many tick budgets for its replies (see begin) */
const EARLY_TIMEOUT_FACTOR = 4;

/** A fast batch sent by `begin`, for `enrich` to take. */
interface Pending { pid: number; d: Dedicated; reader: GuestReader; fast: Promise<FastDone> }
interface FastDone { fast: FastReading; at: number }

const newCache = (pid: number): GuestCache => ({
  pid, vcpus: null, state: null, hasBalloon: null, balloonBytes: null, slowDone: false,
  name: null, uuid: null, iothreads: null, limits: null, backends: null, nics: null, histograms: new Set(),
  dedicatedPath: null, lastHistograms: new Map(),
});

/** The id block-latency-histogram-set finds a disk by: its device's QOM path, else its name (qdev id). */
const histogramId = (x: RawDisk): string => (x.qdev?.startsWith('/') ? x.qdev : x.name);

export function createQmpEnricher(deps: QmpEnricherDeps): GuestEnricher {
  const timeoutMs = deps.timeoutMs ?? 500;
  const virshTimeoutMs = deps.virshTimeoutMs ?? 3000;
  const histograms = deps.latencyHistograms ?? 'direct';
  const caches = new Map<string, GuestCache>();
  const dedicated = new Map<string, Dedicated>();
  const pending = new Map<string, Pending>();

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

  /** A held connection's release: nothing to let go of (a shared one, not a closure per tick). */
  const KEEP = (): Promise<void> => Promise.resolve();


  /**
   * Sockets' local paths (HostFs.resolve is a pure function of the path): the same string every tick,
   * so looking up its connection hashes nothing new. A path resolve refuses is not remembered.
   */
  const resolvedSockets = new Map<string, string>();
  const socketPath = (socket: string): string => {
    let p = resolvedSockets.get(socket);
    if (p === undefined) {
      p = deps.fs.resolve(socket);
      if (resolvedSockets.size >= 65_536) resolvedSockets.clear();
      resolvedSockets.set(socket, p);
    }
    return p;
  };

  /** The dedicated connection already held for this guest's socket, without a turn of the event loop. */
  function held(guest: RawGuest): Opened | null {
    if (!guest.qmp?.dedicated) return null;
    const path = socketPath(guest.qmp.socket);
    const have = dedicated.get(path);
    return have && !have.ch.closed ? (have.opened ??= { ch: have.ch, release: KEEP, path, d: have }) : null;
  }

  /** The channel this guest may use, and how to let go of it after the tick. */
  async function open(guest: RawGuest, budget: number): Promise<Opened | string> {
    if (guest.manager === 'libvirt' && !guest.qmp?.dedicated) {
      if (!(deps.libvirtQmp ?? deps.latencyHistograms === 'all')) return '';
      if (deps.useVirsh === false) return `QMP data unavailable for libvirt guest ${guest.name}: the host is read under --root, so the local virsh is not asked (pass --libvirt-uri to reach its libvirt)`;
      if (!deps.runner.has('virsh')) return `QMP data unavailable for libvirt guest ${guest.name}: virsh not found (libvirt owns the monitor socket)`;
      const exec: VirshExec = deps.virshExec ?? ((args, t) => runVirsh(deps.runner, deps.libvirtUri ?? null, args, t));
      const ch = new VirshQmpChannel({ exec, domain: guest.name, timeoutMs: budget });
      return { ch, release: () => ch.close(), path: null, d: null };
    }
    if (!guest.qmp) return '';
    const path = socketPath(guest.qmp.socket);
    if (guest.qmp.dedicated) {
      const have = dedicated.get(path);
      if (have && !have.ch.closed) return (have.opened ??= { ch: have.ch, release: KEEP, path, d: have });
      if (have) dropDedicated(path);
      const ch = await deps.qmp.connect(path, { timeoutMs: budget, commandTimeoutMs: budget });
      const d: Dedicated = { ch, opened: null, off: () => undefined, stateStale: true, balloonEvent: null, balloonKnown: false };
      d.off = ch.onEvent((e: QmpEvent) => {
        if (e.event !== 'BALLOON_CHANGE') { d.stateStale = true; return; }
        const actual = qNum((e.data as Record<string, unknown> | undefined)?.actual);
        if (actual !== null) d.balloonEvent = actual; else d.balloonKnown = false;
      });
      ch.takeEvents();
      dedicated.set(path, d);
      return { ch, release: KEEP, path, d };
    }
    const ch = await deps.qmp.connect(path, { timeoutMs: budget, commandTimeoutMs: budget });
    return { ch, release: () => ch.close(), path, d: null };
  }

  async function query(guest: RawGuest, ctx: EnrichContext, cache: GuestCache, budget: number, expired: () => boolean): Promise<void> {
    const wantFast = ctx.tasks.has('qmp');
    const wantSlow = ctx.tasks.has('qmpSlow') || (!cache.slowDone && wantFast);
    if (ctx.tasks.has('discovery')) cache.vcpus = null;
    let opened: Opened | string;
    try {
      opened = held(guest) ?? await open(guest, budget);
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
    cache.dedicatedPath = d ? path : null;
    const pre = pending.get(guest.id);
    if (pre) pending.delete(guest.id);
    const early = pre !== undefined && pre.d === d && pre.pid === guest.pid && wantFast ? pre : null;
    const reader = early ? early.reader : new GuestReader(ch, budget);
    try {
      const fastDone = early ? early.fast : sendFast(reader, d, cache, wantSlow);
      let done: FastDone;
      let slow: SlowReading | null = null;
      if (wantSlow) [done, slow] = await Promise.all([fastDone, reader.slow()]);
      else done = await fastDone;
      if (expired()) return;
      const { fast, at: fastAt } = done; // when the fast batch's replies arrived: the disk counters' time
      if (fast.state !== undefined) cache.state = fast.state;
      if (fast.vcpus) cache.vcpus = fast.vcpus;
      if (fast.balloonBytes !== undefined) { cache.hasBalloon = fast.balloonBytes !== null; cache.balloonBytes = fast.balloonBytes; }
      if (d !== null && d.balloonEvent !== null) {
        cache.hasBalloon = true; // a BALLOON_CHANGE since query-balloon was last sent
        cache.balloonBytes = d.balloonEvent;
        d.balloonEvent = null;
      }
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
        const last = cache.lastHistograms;
        for (const x of fast.disks) {
          const h = carryHistograms(x.latencyHistograms ?? null, last.get(x.name));
          x.latencyHistograms = h;
          last.set(x.name, h);
        }
        if (last.size > fast.disks.length) {
          const names = new Set(fast.disks.map((x) => x.name));
          for (const k of [...last.keys()]) if (!names.has(k)) last.delete(k);
        }
        const viaVirsh = path === null;
        if (histograms === 'all' || (histograms === 'direct' && !viaVirsh)) {
          let ask: RawDisk[] | null = null; // built only when a disk still has to be asked (rarely)
          for (const x of fast.disks) {
            if (x.latencyHistograms || cache.histograms.has(x.name)) continue;
            cache.histograms.add(x.name);
            (ask ??= []).push(x);
          }
          if (ask !== null && !expired()) {
            const on = await reader.enableLatencyHistograms(ask.map(histogramId));
            // QEMU created them empty just now: that is this sample's reading, so the next sample
            // already has an interval to take percentiles over (a one-shot `snapshot` shows them)
            for (const x of ask) {
              if (!on.has(histogramId(x))) continue;
              x.latencyHistograms = EMPTY_LATENCY_HISTOGRAMS;
              last.set(x.name, EMPTY_LATENCY_HISTOGRAMS);
            }
          }
        }
        applyDisks(guest, fast.disks, cache.limits);
        for (const d of guest.disks) if (d.source === 'qmp') d.atMonoMs = fastAt;
      }
      const { broken, refused } = reader.problems;
      if (guest.qmp) guest.qmp.reachable = broken === null;
      if (broken) {
        report(ctx, guest, broken.message, broken.kind);
        if (path && d) dropDedicated(path);
      }
      for (const r of refused) report(ctx, guest, r.message, 'unsupported');
    } finally {
      if (release !== KEEP) await release().catch(() => undefined);
    }
  }

  /**
   * Send the fast batch: blockstats always; on a dedicated connection query-status only when an event
   * came since it was last asked (or to confirm, on slow ticks), query-balloon only until it has been
   * answered on this connection (events carry the size after that) or to confirm. When an event came
   * while query-status was not asked, it is asked right after: the state is never older than the tick.
   */
  function sendFast(reader: GuestReader, d: Dedicated | null, cache: GuestCache, wantSlow: boolean): Promise<FastDone> {
    const status = d === null || wantSlow || cache.state === null || d.stateStale;
    const balloon = (cache.hasBalloon !== false || wantSlow) && (d === null || wantSlow || !d.balloonKnown || cache.hasBalloon === null);
    if (d && status) d.stateStale = false;
    if (d && balloon) d.balloonEvent = null;
    return reader.fast({ status, cpus: cache.vcpus === null, balloon }).then((fast): FastDone | Promise<FastDone> => {
      const at = deps.clock.monoMs();
      if (d && fast.balloonBytes !== undefined) d.balloonKnown = true;
      if (d && fast.state === undefined && d.stateStale && reader.problems.broken === null) {
        d.stateStale = false;
        return reader.status().then((st) => {
          if (st !== undefined) fast.state = st;
          return { fast, at };
        });
      }
      return { fast, at };
    });
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
          try { dropDedicated(socketPath(guest.qmp.socket)); } catch { /* never opened */ }
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
    begin(tasks: ReadonlySet<SampleTask>): void {
      pending.clear(); // a batch nobody took (its guest went away) settles on its own: it never rejects
      if (!tasks.has('qmp') || tasks.has('discovery')) return; // discovery ticks may change the vCPU map
      for (const [id, cache] of caches) {
        if (!cache.slowDone || cache.dedicatedPath === null) continue;
        const d = dedicated.get(cache.dedicatedPath);
        if (!d || d.ch.closed) continue;
        // the replies wait in the socket while the files are read (the event loop is busy): the
        // tick's own deadline, counted from enrich(), decides what is late; the commands' timeout only
        // has to free a monitor that never answers
        const reader = new GuestReader(d.ch, EARLY_TIMEOUT_FACTOR * timeoutMs);
        const fast = sendFast(reader, d, cache, tasks.has('qmpSlow'));
        fast.catch(() => undefined);
        pending.set(id, { pid: cache.pid, d, reader, fast });
      }
    },
    async enrich(guests: RawGuest[], ctx: EnrichContext): Promise<void> {
      const ids = new Set(guests.map((g) => g.id));
      for (const id of [...caches.keys()]) if (!ids.has(id)) caches.delete(id);
      const live = new Set<string>();
      for (const g of guests) {
        try { if (g.qmp?.dedicated) live.add(socketPath(g.qmp.socket)); } catch { /* reported by enrichOne */ }
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
      pending.clear();
    },
  };
}
