// Owns WorkerSampleSource, the Node adapter that runs a SampleSource in a worker thread: the engine's
// thread only posts {id, tasks} and receives the RawSample, so a long sample (1000 guests: hundreds of
// ms of synchronous reads) never blocks a client's request or a websocket frame. The sample crosses as
// v8-serialized parts (the sample without its guests, then the guests GUESTS_PER_PART at a time,
// encoded in the worker by encodeRawSample); the engine's thread decodes one part per turn of the event
// loop (setImmediate between parts), so receiving 1000 guests is many short tasks, not one long one.
// sampleDerived(): the worker also derives the snapshot (against the previous sample it read) and
// sends it as JSON text in parts (protocol/snapshot-json.ts: the head, then GUESTS_PER_PART guests per
// part), parsed here one part per turn; the same parts joined are the subscribers' JSON, so the
// snapshot is serialised once per tick, in the worker, whatever the number of clients. The raw sample
// then stays encoded (buffers outside the JS heap) and its guests are decoded only if something reads
// them (tuning, advice, the guest list, /metrics).
// blockEncoder(): a recording's sample blocks built in the worker from the samples it reads (every sample
// request then carries `record`; the worker adds the sample after its reply is posted), so a recording
// daemon's raw samples need not cross whole: the engine's thread gets the block's bytes when the
// recorder commits it (`recordTake`), and the samples keep the sampler's shared frozen parts, which the
// encoder skips (a sample decoded here is all new objects: every value would be compared).
// qmpConnector(): the worker's QMP connections serve the engine thread's tuner too (QEMU's monitor
// serves one client at a time and the worker's sampler holds a dedicated socket open between ticks):
// a channel here is a lease on the worker's channel, its commands and their errors cross as messages.
// One sample request in flight at a time (the engine never overlaps samples); a worker that dies fails
// the pending requests and is restarted on the next one.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { deserialize, serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { HostError, type HostErrorKind } from '../model/errors.js';
import type { RawSample } from '../model/sample.js';
import { QmpCommandError, type QmpChannel, type QmpConnectOptions, type QmpConnector, type QmpEvent } from '../ports/qmp.js';
import type { Snapshot } from '../model/snapshot.js';
import type { DerivedSample, SampleRequest, SampleSource, SampleTask } from '../ports/sources.js';
import type { SampleBlockEncoder } from '../ports/recording.js';
import { joinSnapshotJson, type SnapshotJsonParts } from '../protocol/snapshot-json.js';

/** A RawSample or Snapshot as it crosses threads: `head` is it with no guests, `parts` its guests in order. */
export interface EncodedSample { head: Uint8Array; parts: Uint8Array[] }

/** What the worker entry receives and answers (the entry builds the real sampler from `config`). */
/**
 * `sample` with `keepGuests` (and `derive`): the raw sample's guests stay in the worker (its reply's
 * sample has no parts and `guestsKept`) until a `rawGuests` request for that sample id fetches them;
 * the worker keeps the raw samples of its last two sample requests.
 */
export type SamplerWorkerRequest =
  | { kind: 'sample'; id: number; tasks: SampleTask[]; derive?: boolean; keepGuests?: boolean; record?: boolean }
  /** the recording block built from the samples read with `record` since the last take, and a new one */
  | { kind: 'recordTake'; id: number }
  | { kind: 'rawGuests'; id: number; of: number }
  | { kind: 'qmpOpen'; id: number; socket: string; timeoutMs?: number }
  | { kind: 'qmpExec'; id: number; handle: number; command: string; args?: Record<string, unknown>; timeoutMs?: number }
  | { kind: 'qmpClose'; id: number; handle: number }
  | { kind: 'close'; id: number };
export type SamplerWorkerReply = {
  id: number; sample?: EncodedSample; guestsKept?: true; snapshot?: SnapshotJsonParts; deriveUsec?: number; error?: string; closed?: true;
  /** sample: its number of guests; recordTake: the block's bytes (null: no sample) and its number of samples */
  guestCount?: number; block?: Uint8Array | null; samples?: number;
  /** qmpOpen: the lease's handle; qmpExec: the command's return value, or `fault` */
  handle?: number; value?: unknown; fault?: WireFault;
};

/** A QMP channel's error as it crosses threads (HostError and QmpCommandError keep their fields). */
export type WireFault =
  | { type: 'host'; kind: HostErrorKind; message: string; path: string | null; errno: string | null }
  | { type: 'qmp'; command: string; qmpClass: string; desc: string }
  | { type: 'other'; message: string };

export function toWireFault(e: unknown): WireFault {
  if (e instanceof HostError) return { type: 'host', kind: e.kind, message: e.message, path: e.path, errno: e.errno };
  if (e instanceof QmpCommandError) return { type: 'qmp', command: e.command, qmpClass: e.qmpClass, desc: e.desc };
  return { type: 'other', message: e instanceof Error ? e.message : String(e) };
}

export function fromWireFault(f: WireFault): Error {
  if (f.type === 'host') return new HostError(f.kind, f.message, f.path, f.errno);
  if (f.type === 'qmp') return new QmpCommandError(f.command, { class: f.qmpClass, desc: f.desc });
  return new Error(f.message);
}

/** Raw samples whose guests a worker keeps for a later rawGuests request: the last two. */
export const KEPT_SAMPLES = 2;

/** Guests per part: decoding one part takes about a millisecond on the engine's thread. */
export const GUESTS_PER_PART = 50;

/** Encode a sample (or a snapshot) for the trip to the engine's thread (runs in the worker). */
export function encodeRawSample(raw: { guests: readonly unknown[] }, perPart = GUESTS_PER_PART): EncodedSample {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < raw.guests.length; i += perPart) parts.push(serialize(raw.guests.slice(i, i + perPart)));
  return { head: serialize({ ...raw, guests: [] }), parts };
}

/** The buffer a Uint8Array can hand over instead of copying: only when it owns the whole of it. */
function ownBuffer(b: Uint8Array): ArrayBuffer | null {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : null;
}

/** The ArrayBuffers encoded samples can hand over instead of copying (each owned by one buffer). */
export function transferables(...es: EncodedSample[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const e of es) {
    for (const b of [e.head, ...e.parts]) {
      const own = ownBuffer(b);
      if (own) out.push(own);
    }
  }
  return out;
}

/** What a worker reply can hand over: its sample's buffers and a recording block's. */
export function replyTransferables(r: SamplerWorkerReply): ArrayBuffer[] {
  const out = r.sample ? transferables(r.sample) : [];
  const block = r.block ? ownBuffer(r.block) : null;
  if (block) out.push(block);
  return out;
}

/** A head and parts of guests put back together, yielding to the event loop before each part. */
async function joinParts<T extends { guests: unknown[] }, B>(head: B, parts: readonly B[], decode: (b: B) => unknown): Promise<T> {
  const whole = decode(head) as T;
  const guests: unknown[] = [];
  for (const part of parts) {
    await nextTurn();
    for (const g of decode(part) as unknown[]) guests.push(g);
  }
  whole.guests = guests;
  return whole;
}

/** Decode, yielding to the event loop before each part of guests (runs in the engine's thread). */
export function decodeRawSample<T extends { guests: unknown[] } = RawSample>(e: EncodedSample): Promise<T> {
  return joinParts<T, Uint8Array>(e.head, e.parts, deserialize);
}

/** Parse a snapshot sent as JSON parts, yielding to the event loop before each part of guests. */
export function decodeSnapshotJson(e: SnapshotJsonParts): Promise<Snapshot> {
  return joinParts<Snapshot, string>(e.head, e.parts, JSON.parse);
}

/**
 * The sample with its guests left encoded until `guests` is first read (then decoded at once, kept).
 * With `elsewhere`, the guests are not in `e` at all: reading them before `fill(parts)` gave them throws.
 */
export function lazyRawSample(e: EncodedSample, elsewhere = false, guestCount?: number): RawSample & { fill?: (parts: Uint8Array[]) => void } {
  const raw = deserialize(e.head) as RawSample & { fill?: (parts: Uint8Array[]) => void };
  if (guestCount !== undefined) Object.defineProperty(raw, GUEST_COUNT, { enumerable: false, value: guestCount });
  let parts: Uint8Array[] | null = elsewhere ? null : e.parts;
  let guests: RawSample['guests'] | null = null;
  Object.defineProperty(raw, 'guests', {
    enumerable: true, configurable: true,
    get: () => {
      if (guests === null) {
        if (parts === null) throw new Error('the raw sample\'s guests were not fetched from the sampler worker');
        const all: RawSample['guests'] = [];
        for (const part of parts) for (const g of deserialize(part) as RawSample['guests']) all.push(g);
        guests = all;
      }
      return guests;
    },
    set: (v: RawSample['guests']) => { guests = v; },
  });
  if (elsewhere) Object.defineProperty(raw, 'fill', { enumerable: false, value: (p: Uint8Array[]) => { parts = p; } });
  return raw;
}

const GUEST_COUNT = Symbol('guestCount');

/** The number of guests of a sample, without decoding guests a lazy sample has not decoded yet. */
export function guestCountOf(raw: RawSample): number {
  const n = (raw as { [GUEST_COUNT]?: number })[GUEST_COUNT];
  return n ?? raw.guests.length;
}

export class WorkerSampleSource implements SampleSource {
  private worker: Worker | null = null;
  private seq = 0;
  /** a recording's blocks are built in the worker: every sample request says so */
  private recording = false;
  /** the worker's open block, fetched when it was closed (the recorder commits it after the engine stopped) */
  private closedBlock: SamplerWorkerReply | null = null;
  private readonly pending = new Map<number, { resolve: (r: SamplerWorkerReply) => void; reject: (e: Error) => void }>();

  constructor(private readonly entry: URL, private readonly config: unknown) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.entry, { workerData: this.config });
    w.on('message', (m: SamplerWorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m);
    });
    const fail = (e: Error): void => {
      if (this.worker === w) this.worker = null;
      for (const [id, p] of this.pending) { this.pending.delete(id); p.reject(e); }
    };
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => fail(new Error(`the sampler worker exited (code ${code})`)));
    this.worker = w;
    return w;
  }

  private ask(msg: SamplerWorkerRequest): Promise<SamplerWorkerReply> {
    const w = this.start();
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      w.postMessage(msg);
    });
  }

  async sample(req: SampleRequest): Promise<RawSample> {
    const r = await this.ask({ kind: 'sample', id: ++this.seq, tasks: [...req.tasks], ...(this.recording ? { record: true } : {}) });
    if (r.error !== undefined || !r.sample) throw new Error(r.error ?? 'the sampler worker sent no sample');
    return decodeRawSample(r.sample);
  }

  /**
   * The worker derives too: only the snapshot is parsed here (in steps); the raw sample stays encoded.
   * The snapshot's JSON is its parts joined, made only if a subscriber needs it.
   */
  async sampleDerived(req: SampleRequest, opts: { raw?: boolean } = {}): Promise<DerivedSample> {
    const id = ++this.seq;
    const keepGuests = opts.raw === false;
    const r = await this.ask({ kind: 'sample', id, tasks: [...req.tasks], derive: true, keepGuests, ...(this.recording ? { record: true } : {}) });
    if (r.error !== undefined || !r.sample || !r.snapshot) throw new Error(r.error ?? 'the sampler worker sent no sample');
    const parts = r.snapshot;
    const raw = lazyRawSample(r.sample, r.guestsKept === true, r.guestCount);
    let loading: Promise<void> | null = null;
    const loadRawGuests = r.guestsKept !== true ? null : (): Promise<void> => {
      loading ??= this.ask({ kind: 'rawGuests', id: ++this.seq, of: id }).then((g) => {
        if (g.error !== undefined || !g.sample) throw new Error(g.error ?? 'the sampler worker sent no guests');
        raw.fill?.(g.sample.parts);
      }, (e: unknown) => { loading = null; throw e; });
      return loading;
    };
    return {
      raw, snapshot: await decodeSnapshotJson(parts), deriveUsec: r.deriveUsec ?? 0,
      snapshotJson: () => joinSnapshotJson(parts), loadRawGuests,
    };
  }

  /**
   * A recording's block encoder in the worker (see the file's first comment): from now on every sample
   * the worker reads is added to its block; add() here only counts the guests, take() fetches the bytes.
   * A worker that restarted holds fewer samples than the recorder added: take() rejects (the recording
   * stops with that reason rather than store a block whose times and counts are not its samples').
   * close() fetches the open block before the worker goes: the next take() returns it.
   */
  blockEncoder(): SampleBlockEncoder {
    this.recording = true;
    return {
      add: (raw) => guestCountOf(raw),
      take: async (samples) => {
        const r = this.closedBlock ?? await this.ask({ kind: 'recordTake', id: ++this.seq });
        this.closedBlock = null;
        if (r.error !== undefined) throw new Error(r.error);
        if (r.samples !== samples || !r.block) {
          throw new Error(`the sampler worker holds ${r.samples ?? 0} of the block's ${samples} samples (it restarted?): the block is lost`);
        }
        return r.block;
      },
    };
  }

  /** A QmpConnector whose channels are leases on the worker's own (see the file's first comment). */
  qmpConnector(): QmpConnector {
    return {
      connect: async (socketPath: string, opts?: QmpConnectOptions): Promise<QmpChannel> => {
        const r = await this.ask({ kind: 'qmpOpen', id: ++this.seq, socket: socketPath, ...(opts?.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) });
        if (r.fault) throw fromWireFault(r.fault);
        if (r.handle === undefined) throw new HostError('io', `${socketPath}: the sampler worker opened no QMP channel`);
        return new WorkerQmpChannel(this, r.handle, opts?.commandTimeoutMs);
      },
    };
  }

  /** @internal a lease's request (WorkerQmpChannel) */
  askQmp(msg: { kind: 'qmpExec'; handle: number; command: string; args?: Record<string, unknown>; timeoutMs?: number } | { kind: 'qmpClose'; handle: number }): Promise<SamplerWorkerReply> {
    return this.ask({ ...msg, id: ++this.seq });
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    try {
      // a recording's open block goes with the worker: fetch it first, for the recorder's last commit
      if (this.recording) this.closedBlock = await this.ask({ kind: 'recordTake', id: ++this.seq });
    } catch { /* the worker is gone: its block with it (take() says so) */ }
    try {
      await Promise.race([this.ask({ kind: 'close', id: ++this.seq }), new Promise((r) => setTimeout(r, 5000))]);
    } catch { /* it is going anyway */ }
    this.worker = null;
    await w.terminate();
  }
}

/** The engine thread's side of a lease on one of the worker's QMP channels (events stay in the worker). */
class WorkerQmpChannel implements QmpChannel {
  private done = false;
  readonly greeting: unknown = null;

  constructor(private readonly src: WorkerSampleSource, private readonly handle: number, private readonly timeoutMs: number | undefined) {}

  get closed(): boolean { return this.done; }

  async execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T> {
    if (this.done) throw new HostError('io', `QMP ${command}: the channel is closed`);
    const timeoutMs = opts?.timeoutMs ?? this.timeoutMs;
    const r = await this.src.askQmp({
      kind: 'qmpExec', handle: this.handle, command, ...(args !== undefined ? { args } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    if (r.fault) throw fromWireFault(r.fault);
    return r.value as T;
  }

  takeEvents(): QmpEvent[] { return []; }
  onEvent(): () => void { return () => undefined; }

  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.src.askQmp({ kind: 'qmpClose', handle: this.handle }).catch(() => undefined);
  }
}
