// Owns WorkerSampleSource, the Node adapter that runs a SampleSource in a worker thread: the engine's
// thread only posts {id, tasks} and receives the RawSample (structured clone), so a long sample (1000
// guests: hundreds of ms of synchronous reads) never blocks a client's request or a websocket frame.
// One request in flight at a time (the engine never overlaps samples); a worker that dies fails the
// pending request and is restarted on the next one.

import { Worker } from 'node:worker_threads';
import type { RawSample } from '../model/sample.js';
import type { SampleRequest, SampleSource, SampleTask } from '../ports/sources.js';

/** What the worker entry receives and answers (the entry builds the real sampler from `config`). */
export type SamplerWorkerRequest = { kind: 'sample'; id: number; tasks: SampleTask[] } | { kind: 'close'; id: number };
export type SamplerWorkerReply = { id: number; raw?: RawSample; error?: string; closed?: true };

export class WorkerSampleSource implements SampleSource {
  private worker: Worker | null = null;
  private seq = 0;
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
    const r = await this.ask({ kind: 'sample', id: ++this.seq, tasks: [...req.tasks] });
    if (r.error !== undefined || !r.raw) throw new Error(r.error ?? 'the sampler worker sent no sample');
    return r.raw;
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    try {
      await Promise.race([this.ask({ kind: 'close', id: ++this.seq }), new Promise((r) => setTimeout(r, 5000))]);
    } catch { /* it is going anyway */ }
    this.worker = null;
    await w.terminate();
  }
}
