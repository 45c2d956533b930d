// Owns the sampler worker thread's entry (a composition root): builds the collector's SampleSource
// from the SamplerConfig in workerData (sampler-factory.ts) and answers the engine thread's
// {kind:'sample'} requests with RawSamples (encoded in parts, their buffers handed over, see
// worker-sampler.ts) — with `derive`, also the snapshot derived here against the previous sample this
// worker read, as JSON text in parts (its one serialisation), and with `keepGuests` the raw sample
// without its guests, which stay here for a later {kind:'rawGuests'} (the last two samples are kept)
// — with `record`, the sample is also added (after the reply is posted) to the recording block this
// worker builds, whose bytes a {kind:'recordTake'} fetches and restarts —
// QMP leases for the engine thread's tuner (qmpOpen / qmpExec / qmpClose: leases on the same shared
// connections the sampler holds), and {kind:'close'} by closing everything.

import { parentPort, workerData } from 'node:worker_threads';
import { encodeRawSample, GUESTS_PER_PART, KEPT_SAMPLES, replyTransferables, toWireFault, type SamplerWorkerReply, type SamplerWorkerRequest } from '../engine/node/worker-sampler.js';
import { SharingQmpConnector } from '../engine/node/sharing-qmp.js';
import { SocketQmpConnector } from '../engine/node/socket-qmp.js';
import type { QmpChannel } from '../engine/ports/qmp.js';
import { snapshotJsonParts } from '../engine/protocol/snapshot-json.js';
import type { SampleTask } from '../engine/ports/sources.js';
import { derive } from '../engine/core/derive.js';
import type { RawSample } from '../engine/model/sample.js';
import { BlockBuilder } from '../engine/record/codec.js';
import { buildSampler, type SamplerConfig } from './sampler-factory.js';

const port = parentPort;
if (port) {
  // one connection per QMP socket, shared by the sampler and the tuner's leases
  const qmp = new SharingQmpConnector(new SocketQmpConnector());
  const built = buildSampler(workerData as SamplerConfig, { qmp });
  const leases = new Map<number, QmpChannel>();
  let lastLease = 0;
  let prev: RawSample | null = null;
  /** the raw samples of the last KEPT_SAMPLES sample requests, for rawGuests requests */
  const kept = new Map<number, RawSample>();
  /** the recording block being built from the samples read with `record` (null: none yet) */
  let block: BlockBuilder | null = null;
  /** why the block was dropped since the last take (the take reports it) */
  let blockLost: string | null = null;
  port.on('message', (m: SamplerWorkerRequest) => {
    void (async () => {
      let reply: SamplerWorkerReply;
      /** a sample read with `record`: added to the block once the reply is posted */
      let recorded: RawSample | null = null;
      if (m.kind === 'close') {
        for (const ch of leases.values()) await ch.close().catch(() => undefined);
        leases.clear();
        await built.close();
        reply = { id: m.id, closed: true };
      } else if (m.kind === 'qmpOpen') {
        try {
          const ch = await qmp.connect(m.socket, m.timeoutMs !== undefined ? { timeoutMs: m.timeoutMs } : {});
          leases.set(++lastLease, ch);
          reply = { id: m.id, handle: lastLease };
        } catch (e) {
          reply = { id: m.id, fault: toWireFault(e) };
        }
      } else if (m.kind === 'qmpExec') {
        const ch = leases.get(m.handle);
        try {
          if (!ch) throw new Error(`QMP ${m.command}: no such channel in the sampler worker`);
          reply = { id: m.id, value: await ch.execute(m.command, m.args, m.timeoutMs !== undefined ? { timeoutMs: m.timeoutMs } : {}) };
        } catch (e) {
          reply = { id: m.id, fault: toWireFault(e) };
        }
      } else if (m.kind === 'qmpClose') {
        const ch = leases.get(m.handle);
        leases.delete(m.handle);
        await ch?.close().catch(() => undefined);
        reply = { id: m.id, closed: true };
      } else if (m.kind === 'recordTake') {
        if (blockLost !== null) {
          reply = { id: m.id, error: `recording block: ${blockLost}` };
          blockLost = null;
        } else {
          const n = block?.count ?? 0;
          reply = { id: m.id, samples: n, block: block !== null && n > 0 ? block.take() : null };
        }
      } else if (m.kind === 'rawGuests') {
        const raw = kept.get(m.of);
        // only the guests: the head went with the sample reply
        reply = raw ? { id: m.id, sample: encodeRawSample({ guests: raw.guests }) } : { id: m.id, error: `the sampler worker no longer holds sample ${m.of}` };
      } else {
        try {
          const raw = await built.sampler.sample({ tasks: new Set<SampleTask>(m.tasks) });
          if (m.record === true) recorded = raw;
          kept.set(m.id, raw);
          for (const k of kept.keys()) if (kept.size > KEPT_SAMPLES) kept.delete(k);
          if (m.derive === true) {
            const t0 = performance.now();
            const snapshot = derive(prev, raw);
            const deriveUsec = Math.round((performance.now() - t0) * 1000);
            prev = raw;
            const keep = m.keepGuests === true;
            reply = {
              id: m.id, sample: keep ? encodeRawSample({ ...raw, guests: [] }) : encodeRawSample(raw),
              snapshot: snapshotJsonParts(snapshot, GUESTS_PER_PART), deriveUsec,
            };
            if (keep) reply.guestsKept = true;
          } else {
            reply = { id: m.id, sample: encodeRawSample(raw) };
          }
          reply.guestCount = raw.guests.length;
        } catch (e) {
          reply = { id: m.id, error: e instanceof Error ? e.message : String(e) };
          recorded = null;
        }
      }
      port.postMessage(reply, replyTransferables(reply));
      // the recording's encoding after the reply: the engine's tick does not wait for it
      if (recorded !== null) {
        try {
          (block ??= new BlockBuilder()).add(recorded);
        } catch (e) {
          block = null;
          blockLost ??= e instanceof Error ? e.message : String(e);
        }
      }
    })();
  });
}
