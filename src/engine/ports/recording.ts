// Owns the recording port: where the recorder puts sample blocks, events and per-minute aggregates,
// and where replay and the report read them back. The SQLite adapter (engine/node/sqlite-recording.ts)
// implements it; the format of a block's text is engine/record/codec.ts.

import type { RecordedEvent } from '../model/recording.js';
import type { RawSample } from '../model/sample.js';

/**
 * Where a recording's sample blocks are built: in the recorder's thread (the codec's BlockBuilder), or
 * where the samples are read (the daemon's sampler worker: the samples then never cross whole to the
 * recorder's thread). Samples are added in the order they were read; take() ends the block.
 */
export interface SampleBlockEncoder {
  /** the sample just read is part of the block; returns its number of guests */
  add(raw: RawSample): number;
  /**
   * The block's bytes (format 3 of engine/record/codec.ts) and a new empty block. `samples` is how many
   * the recorder added: an encoder that holds another number (its thread restarted) rejects.
   */
  take(samples: number): Uint8Array | Promise<Uint8Array>;
}

export interface RecordingMeta {
  /** format version of the file */
  version: number;
  createdWallMs: number;
  hostname: string | null;
  demo: boolean;
  intervalSec: number;
}

export interface BlockInfo {
  id: number;
  firstWallMs: number;
  lastWallMs: number;
  samples: number;
  guestSamples: number;
  /**
   * 0: full resolution (every sample); 60: a downsampled stretch, one raw sample per minute (the first
   * sample of each minute), kept beside the per-minute aggregates so replay can still play it
   */
  stepSec: number;
}

/** One per-minute aggregate of a series that was downsampled (its full-resolution blocks are gone). */
export interface MinuteRow {
  minuteWallMs: number;
  /** `guest:<id>`, `node:<n>` or `host` */
  scope: string;
  metric: string;
  n: number;
  mean: number;
  max: number;
}

export interface RecordingStore {
  readonly file: string;
  /**
   * Append one block (the bytes of engine/record/codec.ts) in its own transaction. Compression may run
   * off the caller's thread: the block is durable when the promise resolves. Calls are made one at a
   * time (the recorder waits for one before it starts the next).
   */
  appendBlock(info: Omit<BlockInfo, 'id' | 'stepSec'>, block: Uint8Array): Promise<void>;
  appendEvents(events: RecordedEvent[]): void;
  /** full-resolution blocks that end before wallMs, oldest first */
  blocksBefore(wallMs: number): BlockInfo[];
  /** one transaction: add the aggregates and the per-minute block (stepSec 60), drop the blocks they replace */
  downsample(blockIds: number[], rows: MinuteRow[], minuteBlock: { info: Omit<BlockInfo, 'id' | 'stepSec'>; block: Uint8Array } | null): void;
  /** drop everything (blocks, aggregates, events) older than wallMs */
  dropBefore(wallMs: number): void;
  /** a block's bytes, decompressed (decodeBlock of engine/record/codec.ts reads every format) */
  readBlock(id: number): Uint8Array;
  /** bytes the file (and its WAL) take on disk now */
  sizeBytes(): number;
  close(): void;
}

export interface RecordingReader {
  readonly file: string;
  meta(): RecordingMeta;
  blocks(): BlockInfo[];
  /** a block's bytes, decompressed (decodeBlock of engine/record/codec.ts reads every format) */
  readBlock(id: number): Uint8Array;
  events(): RecordedEvent[];
  minutes(): MinuteRow[];
  close(): void;
}
