// Owns what the recording tests share: reading a recording's raw samples back through the real file
// adapter, the snapshots live derivation made of them, and nearest-rank percentiles computed here,
// independently of the report's code, to check the report against.

import { derive } from '../../src/engine/core/derive.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { openRecording } from '../../src/engine/node/sqlite-recording.js';
import { readSamples } from '../../src/engine/record/report.js';

export function recordedSamples(file: string): RawSample[] {
  const r = openRecording(file);
  try { return [...readSamples(r)]; } finally { r.close(); }
}

/** the snapshots the live engine derived from these samples, as they cross the wire (JSON) */
export function liveSnapshots(samples: RawSample[]): Snapshot[] {
  return samples.map((s, i) => JSON.parse(JSON.stringify(derive(i > 0 ? (samples[i - 1] as RawSample) : null, s))) as Snapshot);
}

export function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function expectedPercentiles(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  return { n: values.length, p50: nearestRank(values, 50), p95: nearestRank(values, 95), p99: nearestRank(values, 99), max: Math.max(...values) };
}

export function jsonLines(text: string): unknown[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
}
