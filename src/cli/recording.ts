// Owns the composition of recordings: a Recorder on a recording file fed by an engine's raw samples
// (`record`, `serve --record`), with the engine's journal and audit log polled for tuning events; and
// the replay engine (`replay`, `serve --replay`): the same createEngine over a ReplaySource.

import * as os from 'node:os';
import { createAdvisor } from '../engine/advisor/index.js';
import { createEngine, type Engine } from '../engine/core/engine.js';
import { usageError } from '../engine/model/errors.js';
import type { RawSample } from '../engine/model/sample.js';
import { createRecording, openRecording } from '../engine/node/sqlite-recording.js';
import { SystemClock } from '../engine/node/system-clock.js';
import type { RecordingStore, SampleBlockEncoder } from '../engine/ports/recording.js';
import { Recorder, type EventFeed, type RecorderOptions } from '../engine/record/recorder.js';
import { ReplaySource, type ReplayOptions } from '../engine/record/replay-source.js';
import { localCaller } from './engine-factory.js';

export interface RecordingSession {
  recorder: Recorder;
  store: RecordingStore;
  /** the engine's raw-sample hook */
  onRawSample(raw: RawSample): void;
  /** build the blocks with this encoder (the daemon's sampler worker) instead of here; before the first sample */
  encodeWith(encoder: SampleBlockEncoder): void;
  /** start polling the event feed (changes, audit) once per second */
  attach(feed: EventFeed): void;
  /** last events poll, commit the open block, close the file */
  close(): Promise<void>;
  /** rejects with the first failure to write the recording (the recording stops there) */
  readonly failed: Promise<never>;
}

export interface RecordingSettings extends RecorderOptions {
  file: string;
  demo: boolean;
  intervalSec: number;
  overwrite?: boolean;
}

/** Create the file and the recorder (before the engine starts, so its first sample is recorded). */
export function startRecording(o: RecordingSettings): RecordingSession {
  const store = createRecording(o.file, {
    hostname: o.demo ? null : os.hostname(), demo: o.demo, intervalSec: o.intervalSec, nowWallMs: Date.now(), overwrite: o.overwrite,
  });
  const recorder = new Recorder(store, o);
  let feed: EventFeed | null = null;
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<unknown> = Promise.resolve();
  let failed: unknown = null;
  let reject: (e: unknown) => void = () => undefined;
  const failedPromise = new Promise<never>((_res, rej) => { reject = rej; });
  failedPromise.catch(() => undefined); // observed by whoever awaits it
  const fail = (e: unknown): void => {
    if (failed) return;
    failed = e;
    reject(e);
  };
  const poll = (): void => {
    if (!feed) return;
    const f = feed;
    polling = polling.then(() => recorder.pollEvents(f, Date.now())).catch(fail);
  };
  return {
    recorder, store, failed: failedPromise,
    onRawSample(raw) {
      if (failed) return;
      try { recorder.add(raw); } catch (e) { fail(e); }
      recorder.drain().catch(fail);
    },
    encodeWith(encoder) { recorder.encodeWith(encoder); },
    attach(f) {
      feed = f;
      poll(); // learns what existed before the recording
      timer = setInterval(poll, 1000);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      poll();
      await polling;
      try { await recorder.flush(); } catch (e) { fail(e); } finally { store.close(); }
      if (failed) throw failed;
    },
  };
}

export interface ReplayEngine {
  engine: Engine;
  source: ReplaySource;
  stop(): Promise<void>;
}

/** An engine that replays a recording: derivation, history and EngineApi unchanged; tuning refused. */
export function buildReplayEngine(file: string, version: string, opts: ReplayOptions = {}): ReplayEngine {
  const reader = openRecording(file);
  let source: ReplaySource;
  try {
    source = new ReplaySource(reader, opts);
  } catch (e) {
    reader.close();
    throw e;
  }
  const meta = reader.meta();
  const engine = createEngine({
    sampler: source, clock: new SystemClock(), tuner: null, advisor: createAdvisor(),
    readOnly: true, demo: meta.demo || source.at(0).demo, root: file, intervalSec: meta.intervalSec > 0 ? meta.intervalSec : 1,
    version, caller: localCaller('cli'), replay: source,
  });
  return { engine, source, stop: () => engine.stop().catch(() => undefined) };
}

/** `--from`: an ISO time, or seconds from the start of the recording. */
export function parseFrom(v: string | undefined, startWallMs: () => number): number | null {
  if (v === undefined) return null;
  if (/^\d+(\.\d+)?$/.test(v)) return startWallMs() + Number(v) * 1000;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw usageError(`--from: '${v}' is not seconds from the start or an ISO time`);
  return t;
}
