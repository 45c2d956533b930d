// Owns the sampler worker thread's entry (a composition root): builds the collector's SampleSource
// from the SamplerConfig in workerData (sampler-factory.ts) and answers the engine thread's
// {kind:'sample'} requests with RawSamples (encoded in parts, their buffers handed over, see
// worker-sampler.ts) and {kind:'close'} by closing everything.

import { parentPort, workerData } from 'node:worker_threads';
import { encodeRawSample, transferables, type SamplerWorkerReply, type SamplerWorkerRequest } from '../engine/node/worker-sampler.js';
import type { SampleTask } from '../engine/ports/sources.js';
import { buildSampler, type SamplerConfig } from './sampler-factory.js';

const port = parentPort;
if (port) {
  const built = buildSampler(workerData as SamplerConfig);
  port.on('message', (m: SamplerWorkerRequest) => {
    void (async () => {
      let reply: SamplerWorkerReply;
      if (m.kind === 'close') {
        await built.close();
        reply = { id: m.id, closed: true };
      } else {
        try {
          reply = { id: m.id, sample: encodeRawSample(await built.sampler.sample({ tasks: new Set<SampleTask>(m.tasks) })) };
        } catch (e) {
          reply = { id: m.id, error: e instanceof Error ? e.message : String(e) };
        }
      }
      port.postMessage(reply, reply.sample ? transferables(reply.sample) : []);
    })();
  });
}
