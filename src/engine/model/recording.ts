// Owns the shapes of recordings and replay that cross layers and the wire: the events a recording
// keeps beside its raw samples (tuning changes, audit entries), the replay controls a face may send,
// and the replay state EngineStatus reports. Pure types.

import type { AuditEntry, ChangeRecord } from './tuning.js';

/** Something that happened during a recording besides sampling: a tuning change or an audit line. */
export type RecordedEvent =
  | { kind: 'change'; wallMs: number; change: ChangeRecord }
  | { kind: 'audit'; wallMs: number; entry: AuditEntry };

/** One event on the replay timeline, as a face shows it. */
export interface ReplayEventMark {
  wallMs: number;
  kind: RecordedEvent['kind'];
  guest: string | null;
  /** one line: `apply c-12 web01: cpu.max 150000 100000` */
  summary: string;
}

/** What a face may ask of a replaying engine. */
export type ReplayCommand =
  | { action: 'play' }
  | { action: 'pause' }
  /** playback speed: 1 = recorded pace; 0.1 to 100 */
  | { action: 'speed'; speed: number }
  /** jump to the first sample at or after this wall time (ms since the epoch) */
  | { action: 'seek'; wallMs: number }
  /** jump to the first sample after the next recorded event (from the current position) */
  | { action: 'nextEvent' };

export interface ReplayStatus {
  /** the recording's file name as given */
  file: string;
  /** wall ms of the sample shown now */
  positionWallMs: number;
  /** index of the sample shown now, and how many samples the recording holds */
  index: number;
  count: number;
  /** wall ms of the first and last sample */
  startWallMs: number;
  endWallMs: number;
  speed: number;
  playing: boolean;
  /** true once the last sample was shown */
  atEnd: boolean;
  /**
   * true when the sample shown now comes from a downsampled stretch (past the recording's --full span):
   * one snapshot per minute, its rates averaged over that minute
   */
  downsampled: boolean;
  /** wall ms of the first full-resolution sample when the recording starts with a downsampled stretch, else null */
  fullFromWallMs: number | null;
  events: ReplayEventMark[];
}

export const REPLAY_MIN_SPEED = 0.1;
export const REPLAY_MAX_SPEED = 100;
