// Owns the Recorder: raw samples in (from the engine's onRawSample feed), sample blocks out to a
// RecordingStore (built by a SampleBlockEncoder: the codec's BlockBuilder here, or one beside the sampler), plus the tuning changes and audit lines an EventFeed reports, plus retention: blocks
// older than the full-resolution span become per-minute aggregates (derived by the same `derive`) plus
// one raw sample per minute (a block of step 60, what replay plays there), and everything older than
// the retention span is dropped. A block is committed when it holds
// `blockSamples` samples or spans `blockSec`; what was committed survives a crash.

import type { RecordedEvent } from '../model/recording.js';
import type { RawSample } from '../model/sample.js';
import type { AuditEntry, ChangeRecord } from '../model/tuning.js';
import type { MinuteRow, RecordingStore, SampleBlockEncoder } from '../ports/recording.js';
import { derive } from '../core/derive.js';
import { BlockBuilder, decodeBlock } from './codec.js';
import { emitSnapshot } from './series.js';

export interface RecorderOptions {
  /** commit a block after this many samples (default 120) */
  blockSamples?: number;
  /** or when it spans this many seconds (default 120) */
  blockSec?: number;
  /** keep full resolution for this long, then per-minute aggregates (default 7 days; null = forever) */
  fullSec?: number | null;
  /** drop everything older than this (default null = never) */
  retentionSec?: number | null;
}

/** Where tuning changes and audit lines come from (the engine's journal and audit log). */
export interface EventFeed {
  changes(): Promise<ChangeRecord[]>;
  auditLog(limit: number): Promise<AuditEntry[]>;
}

export interface RecorderStats {
  samples: number;
  guestSamples: number;
  blocks: number;
  events: number;
  /** wall ms of the first recorded sample */
  firstWallMs: number | null;
  lastWallMs: number | null;
}

const MINUTE_MS = 60_000;

export function changeKey(c: ChangeRecord): string { return `${c.changeId}:${c.state}`; }
export function auditKey(a: AuditEntry): string {
  return `${a.time}|${a.changeId ?? ''}|${a.action}|${a.result}|${a.step ? JSON.stringify(a.step) : ''}`;
}

/** The codec's BlockBuilder as a SampleBlockEncoder (blocks built in the recorder's thread). */
export function localBlockEncoder(): SampleBlockEncoder {
  const b = new BlockBuilder();
  return {
    add: (raw) => { b.add(raw); return raw.guests.length; },
    take: (samples) => {
      if (b.count !== samples) throw new Error(`recording encoder: the block holds ${b.count} samples, the recorder added ${samples}`);
      return b.take();
    },
  };
}

export class Recorder {
  private block: SampleBlockEncoder = localBlockEncoder();
  /** the open block: samples, first and last wall ms, guest-samples */
  private open = { count: 0, firstWallMs: 0, lastWallMs: 0, guestSamples: 0 };
  private readonly seen = new Set<string>();
  /** the minute (wall ms) of the last sample kept for a downsampled stretch */
  private keptMinute = -Infinity;
  /**
   * the last raw sample already aggregated per minute: the next stretch's first sample is rated against it
   * (stretches are consecutive), so a stretch of one sample (a block per second) still has its rates
   */
  private aggregatedLast: RawSample | null = null;
  private seeded = false;
  /** the block being written (compression runs off the event loop), and the first write failure */
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private readonly opts: Required<RecorderOptions>;
  readonly stats: RecorderStats = { samples: 0, guestSamples: 0, blocks: 0, events: 0, firstWallMs: null, lastWallMs: null };

  constructor(private readonly store: RecordingStore, opts: RecorderOptions = {}) {
    this.opts = {
      blockSamples: opts.blockSamples ?? 120,
      blockSec: opts.blockSec ?? 120,
      fullSec: opts.fullSec === undefined ? 7 * 86400 : opts.fullSec,
      retentionSec: opts.retentionSec ?? null,
    };
  }

  /**
   * Build the blocks with `encoder` instead (the sampler's worker, which adds each sample it reads):
   * before the first sample only.
   */
  encodeWith(encoder: SampleBlockEncoder): void {
    if (this.stats.samples > 0) throw new Error('recorder: the block encoder is chosen before the first sample');
    this.block = encoder;
  }

  /** One raw sample, as read. Commits a block when it is full (written in the background). */
  add(raw: RawSample): void {
    if (this.failure) throw this.failure;
    const guests = this.block.add(raw);
    const b = this.open;
    if (b.count === 0) b.firstWallMs = raw.wallMs;
    b.count++;
    b.lastWallMs = raw.wallMs;
    b.guestSamples += guests;
    this.stats.samples++;
    this.stats.guestSamples += guests;
    this.stats.firstWallMs ??= raw.wallMs;
    this.stats.lastWallMs = raw.wallMs;
    if (b.count >= this.opts.blockSamples || b.lastWallMs - b.firstWallMs >= this.opts.blockSec * 1000) {
      this.flush().catch(() => undefined); // a failure is kept and thrown by the next add() or drain()
    }
  }

  /**
   * Commit the samples held so far as a block (nothing when there are none). The block is durable when
   * the returned promise (or drain()) resolves; blocks are written one after the other.
   */
  flush(): Promise<void> {
    const b = this.open;
    if (b.count > 0) {
      const info = { firstWallMs: b.firstWallMs, lastWallMs: b.lastWallMs, samples: b.count, guestSamples: b.guestSamples };
      this.open = { count: 0, firstWallMs: 0, lastWallMs: 0, guestSamples: 0 };
      // taken now (the next sample starts the next block), awaited in turn
      let taken: Promise<Uint8Array>;
      try { taken = Promise.resolve(this.block.take(info.samples)); } catch (e) { taken = Promise.reject(e); }
      taken.catch(() => undefined); // a rejection is met below, in its turn
      this.writing = this.writing.then(async () => {
        if (this.failure) return;
        try {
          await this.store.appendBlock(info, await taken);
          this.stats.blocks++;
          this.retain(info.lastWallMs);
        } catch (e) {
          this.failure = e;
        }
      });
    }
    return this.drain();
  }

  /** Wait until every committed block is written; rejects with the first write failure. */
  async drain(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure;
  }

  /**
   * Ask the feed for changes and audit lines not seen yet and record them. The first poll only learns
   * what already existed before the recording started.
   */
  async pollEvents(feed: EventFeed, nowWallMs: number): Promise<number> {
    const [changes, audit] = await Promise.all([feed.changes(), feed.auditLog(1000)]);
    const fresh: RecordedEvent[] = [];
    for (const c of changes) {
      const k = `c:${changeKey(c)}`;
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      if (this.seeded) fresh.push({ kind: 'change', wallMs: eventTime(c.appliedAt, nowWallMs, c.state === 'applied'), change: c });
    }
    for (const a of audit) {
      const k = `a:${auditKey(a)}`;
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      if (this.seeded) fresh.push({ kind: 'audit', wallMs: eventTime(a.time, nowWallMs, true), entry: a });
    }
    this.seeded = true;
    if (fresh.length > 0) {
      this.store.appendEvents(fresh);
      this.stats.events += fresh.length;
    }
    return fresh.length;
  }

  private retain(nowWallMs: number): void {
    const { fullSec, retentionSec } = this.opts;
    if (retentionSec !== null) this.store.dropBefore(nowWallMs - retentionSec * 1000);
    if (fullSec === null) return;
    const old = this.store.blocksBefore(nowWallMs - fullSec * 1000);
    if (old.length === 0) return;
    const samples = old.map((b) => decodeBlock(this.store.readBlock(b.id)));
    const flat = samples.flat();
    // the first sample of each minute stays, so replay can play the stretch (derived over ~60 s)
    const kept = new BlockBuilder();
    for (const s of flat) {
      const minute = Math.floor(s.wallMs / MINUTE_MS) * MINUTE_MS;
      if (minute <= this.keptMinute) continue;
      this.keptMinute = minute;
      kept.add(s);
    }
    const minuteBlock = kept.count === 0 ? null : {
      info: { firstWallMs: kept.firstWallMs, lastWallMs: kept.lastWallMs, samples: kept.count, guestSamples: kept.guestSamples },
      block: kept.take(),
    };
    this.store.downsample(old.map((b) => b.id), minuteAggregates(samples, this.aggregatedLast), minuteBlock);
    this.aggregatedLast = flat[flat.length - 1] ?? this.aggregatedLast;
  }
}

/** the event's own time when it parses and is the moment it happened; else when it was seen */
function eventTime(iso: string, nowWallMs: number, own: boolean): number {
  const t = Date.parse(iso);
  return own && Number.isFinite(t) ? t : nowWallMs;
}

/**
 * Derive the samples of consecutive blocks and aggregate every series per minute. `before`: the sample
 * just before the first block's first (null: none, that sample has no rates and is left out).
 */
export function minuteAggregates(blocks: RawSample[][], before: RawSample | null = null): MinuteRow[] {
  const acc = new Map<string, MinuteRow>();
  let prev: RawSample | null = before; // blocks are consecutive: a block's first sample derives from the last one's
  for (const samples of blocks) {
    for (const raw of samples) {
      const snap = derive(prev, raw);
      prev = raw;
      if (snap.intervalSec === null) continue;
      const minute = Math.floor(raw.wallMs / MINUTE_MS) * MINUTE_MS;
      emitSnapshot(snap, (scope, metric, v) => {
        if (v === null) return;
        const key = `${minute}|${scope}|${metric}`;
        const r = acc.get(key);
        if (!r) { acc.set(key, { minuteWallMs: minute, scope, metric, n: 1, mean: v, max: v }); return; }
        r.n++;
        r.mean += (v - r.mean) / r.n;
        if (v > r.max) r.max = v;
      });
    }
  }
  return [...acc.values()];
}
