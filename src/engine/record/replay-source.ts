// Owns ReplaySource: a recording read back as a SampleSource, so the engine derives, keeps history and
// serves EngineApi exactly as it does live; and the ReplayController the engine paces its loop with
// (play, pause, speed, seek to a time, jump past the next recorded event). Blocks are decoded lazily,
// one cached at a time. A downsampled stretch (blocks of step 60: one raw sample per minute) plays like
// the rest, one snapshot per minute shown for a second at 1x (60x real time), and the status says so.
// Pure: the RecordingReader port does the file access.

import { VirtuneError } from '../model/errors.js';
import {
  REPLAY_MAX_SPEED, REPLAY_MIN_SPEED, type RecordedEvent, type ReplayCommand, type ReplayEventMark, type ReplayStatus,
} from '../model/recording.js';
import type { RawSample } from '../model/sample.js';
import type { BlockInfo, RecordingReader } from '../ports/recording.js';
import type { ReplayController, SampleRequest, SampleSource } from '../ports/sources.js';
import { decodeBlock } from './codec.js';
import { eventMarks } from './events.js';

/** the longest pause replay keeps between two samples (a gap in the recording is not waited out) */
const MAX_GAP_MS = 5000;
/** how long a per-minute snapshot of a downsampled stretch is shown at 1x */
const DOWNSAMPLED_STEP_MS = 1000;

export interface ReplayOptions {
  speed?: number;
  playing?: boolean;
  /** start at the first sample at or after this wall time */
  fromWallMs?: number | null;
}

export class ReplaySource implements SampleSource, ReplayController {
  private readonly blocks: BlockInfo[];
  /** index of each block's first sample */
  private readonly starts: number[] = [];
  readonly count: number;
  private cache: { block: number; samples: RawSample[] } | null = null;
  private readonly events: RecordedEvent[];
  private readonly marks: ReplayEventMark[];
  private next = 0;
  private shown = -1;
  private speed: number;
  private playing: boolean;

  constructor(private readonly reader: RecordingReader, opts: ReplayOptions = {}) {
    this.blocks = reader.blocks();
    let n = 0;
    for (const b of this.blocks) { this.starts.push(n); n += b.samples; }
    this.count = n;
    if (n === 0) throw new VirtuneError(2, `${reader.file}: the recording holds no samples`);
    this.events = reader.events();
    this.marks = eventMarks(this.events);
    this.speed = clampSpeed(opts.speed ?? 1);
    this.playing = opts.playing ?? true;
    if (opts.fromWallMs !== undefined && opts.fromWallMs !== null) this.next = this.indexAt(opts.fromWallMs);
  }

  /** the block holding sample i */
  private blockOf(i: number): number {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= i) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** true when sample i comes from a downsampled stretch */
  downsampled(i: number): boolean {
    return (this.blocks[this.blockOf(i)]?.stepSec ?? 0) > 0;
  }

  /** true when the sample recorded at wallMs comes from a downsampled stretch (the snapshot of that time) */
  downsampledAt(wallMs: number): boolean {
    const b = this.blocks.find((x) => x.firstWallMs <= wallMs && wallMs <= x.lastWallMs);
    return (b?.stepSec ?? 0) > 0;
  }

  /** the sample at index i (0 ≤ i < count) */
  at(i: number): RawSample {
    const lo = this.blockOf(i);
    if (this.cache?.block !== lo) {
      const b = this.blocks[lo] as BlockInfo;
      const samples = decodeBlock(this.reader.readBlock(b.id));
      if (samples.length !== b.samples) throw new VirtuneError(2, `${this.reader.file}: the recording is damaged (block ${b.id} holds ${samples.length} samples, not ${b.samples})`);
      this.cache = { block: lo, samples };
    }
    return this.cache.samples[i - (this.starts[lo] as number)] as RawSample;
  }

  /** index of the first sample at or after wallMs (the last one when none is) */
  indexAt(wallMs: number): number {
    let bi = this.blocks.findIndex((b) => b.lastWallMs >= wallMs);
    if (bi < 0) return this.count - 1;
    const first = this.starts[bi] as number;
    const b = this.blocks[bi] as BlockInfo;
    for (let i = first; i < first + b.samples; i++) if (this.at(i).wallMs >= wallMs) return i;
    bi = first + b.samples;
    return Math.min(bi, this.count - 1);
  }

  async sample(_req: SampleRequest): Promise<RawSample> {
    if (this.next >= this.count) throw new VirtuneError(1, 'replay: the recording has ended');
    const s = this.at(this.next);
    this.shown = this.next;
    this.next++;
    if (this.next >= this.count) this.playing = false;
    return s;
  }

  async close(): Promise<void> { this.reader.close(); }

  status(): ReplayStatus {
    const first = this.at(0).wallMs;
    const last = this.blocks[this.blocks.length - 1]?.lastWallMs ?? first;
    return {
      file: this.reader.file,
      positionWallMs: this.shown >= 0 ? this.at(this.shown).wallMs : first,
      index: Math.max(0, this.shown),
      count: this.count,
      startWallMs: first,
      endWallMs: last,
      speed: this.speed,
      playing: this.playing,
      atEnd: this.next >= this.count,
      events: this.marks,
      downsampled: this.downsampled(Math.max(0, this.shown)),
      fullFromWallMs: (this.blocks[0]?.stepSec ?? 0) > 0 ? (this.blocks.find((b) => !b.stepSec)?.firstWallMs ?? null) : null,
    };
  }

  control(cmd: ReplayCommand): { jumped: boolean } {
    switch (cmd.action) {
      case 'play':
        if (this.next >= this.count) { this.next = 0; this.playing = true; return { jumped: true }; }
        this.playing = true;
        return { jumped: false };
      case 'pause':
        this.playing = false;
        return { jumped: false };
      case 'speed':
        if (!Number.isFinite(cmd.speed) || cmd.speed < REPLAY_MIN_SPEED || cmd.speed > REPLAY_MAX_SPEED) {
          throw new VirtuneError(2, `speed: '${cmd.speed}' is not from ${REPLAY_MIN_SPEED} to ${REPLAY_MAX_SPEED}`);
        }
        this.speed = cmd.speed;
        return { jumped: false };
      case 'seek':
        this.next = this.indexAt(cmd.wallMs);
        return { jumped: true };
      case 'nextEvent': {
        const now = this.shown >= 0 ? this.at(this.shown).wallMs : -Infinity;
        const e = this.events.find((x) => x.wallMs > now);
        if (!e) return { jumped: false };
        this.next = this.indexAt(e.wallMs);
        return { jumped: true };
      }
    }
  }

  nextDelayMs(): number | null {
    if (!this.playing || this.next >= this.count) return null;
    if (this.shown < 0) return 0;
    if (this.downsampled(this.next)) return DOWNSAMPLED_STEP_MS / this.speed;
    const gap = this.at(this.next).monoMs - this.at(this.shown).monoMs;
    return Math.min(MAX_GAP_MS, Math.max(0, gap)) / this.speed;
  }

  previous(): RawSample | null {
    return this.next > 0 ? this.at(this.next - 1) : null;
  }
}

function clampSpeed(s: number): number {
  if (!Number.isFinite(s) || s < REPLAY_MIN_SPEED || s > REPLAY_MAX_SPEED) {
    throw new VirtuneError(2, `--speed: '${s}' is not from ${REPLAY_MIN_SPEED} to ${REPLAY_MAX_SPEED}`);
  }
  return s;
}
