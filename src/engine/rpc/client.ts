// Owns connectEngine: a hand-written typed EngineApi client over any Transport. Every inbound reply
// and event is validated before use; a reply with an error becomes a VirtuneError with the contract's
// code. The caller identity is never sent: the server takes it from the transport.

import { VirtuneError } from '../model/errors.js';
import type { Advice, AdviceRequest, HostMove, LintFinding } from '../model/advice.js';
import type { Diagnosis } from '../model/diagnosis.js';
import type { ReplayCommand, ReplayStatus } from '../model/recording.js';
import type { Snapshot } from '../model/snapshot.js';
import type { AuditEntry, ChangeRecord, Plan, TuningRequest } from '../model/tuning.js';
import {
  PROTOCOL_VERSION, type EngineApi, type EngineStatus, type GuestRef, type HistoryQuery,
  type HistorySeries, type Subscription,
} from '../protocol/api.js';
import { MAX_REPLY_BYTES, parseServerMessage, type Method } from '../protocol/messages.js';
import type { Transport } from './transport.js';

export interface RemoteEngine extends EngineApi {
  /** messages from the server that failed validation and were ignored */
  readonly protocolErrors: number;
  readonly closed: boolean;
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void }

const EARLY_EVENTS = 8;

export function connectEngine(transport: Transport, opts: { maxMessageBytes?: number } = {}): RemoteEngine {
  const pending = new Map<number, Pending>();
  const handlers = new Map<number, (s: Snapshot) => void>();
  const early = new Map<number, Snapshot[]>();
  let nextId = 1;
  let protocolErrors = 0;
  let closed = false;
  const max = opts.maxMessageBytes ?? MAX_REPLY_BYTES;

  transport.onMessage((text) => {
    const p = parseServerMessage(text, max);
    if (!p.ok) { protocolErrors++; return; }
    const m = p.msg;
    if (m.kind === 'event') {
      const h = handlers.get(m.sub);
      const snap = m.snapshot as Snapshot;
      if (h) { try { h(snap); } catch { /* the subscriber's failure is its own */ } }
      else {
        const q = early.get(m.sub) ?? [];
        if (q.length < EARLY_EVENTS) q.push(snap);
        early.set(m.sub, q);
      }
      return;
    }
    if (m.id === null) { protocolErrors++; return; }
    const w = pending.get(m.id);
    if (!w) { protocolErrors++; return; }
    pending.delete(m.id);
    if (m.ok) w.resolve(m.result);
    else w.reject(new VirtuneError(m.error.code === 0 ? 1 : m.error.code, m.error.message));
  });

  const shutdown = (): void => {
    if (closed) return;
    closed = true;
    const err = new VirtuneError(1, 'the connection to the engine closed');
    for (const w of pending.values()) w.reject(err);
    pending.clear();
    handlers.clear();
  };
  transport.onClose(shutdown);

  function call<T>(method: Method, params: Record<string, unknown> = {}): Promise<T> {
    if (closed || transport.closed) return Promise.reject(new VirtuneError(1, 'the connection to the engine is closed'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      transport.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'req', id, method, params }));
    });
  }

  const api: RemoteEngine = {
    get protocolErrors() { return protocolErrors; },
    get closed() { return closed; },
    status: () => call<EngineStatus>('status'),
    latest: () => call<Snapshot | null>('latest'),
    listGuests: () => call<GuestRef[]>('listGuests'),
    async subscribe(onSnapshot: (s: Snapshot) => void): Promise<Subscription> {
      const { sub } = await call<{ sub: number }>('subscribe');
      handlers.set(sub, onSnapshot);
      const q = early.get(sub);
      early.delete(sub);
      for (const s of q ?? []) { try { onSnapshot(s); } catch { /* ignore */ } }
      return {
        unsubscribe: async () => {
          if (!handlers.delete(sub) || closed) return;
          await call('unsubscribe', { sub });
        },
      };
    },
    history: (q: HistoryQuery) => call<HistorySeries>('history', { guest: q.guest, metric: q.metric, windowSec: q.windowSec }),
    previewTuning: (req: TuningRequest) => call<Plan>('previewTuning', { req }),
    applyTuning: (req: TuningRequest) => call<Plan>('applyTuning', { req }),
    undo: (changeId?: string | null) => call<Plan>('undo', { changeId: changeId ?? null }),
    keep: (changeId: string) => call<ChangeRecord>('keep', { changeId }),
    changes: () => call<ChangeRecord[]>('changes'),
    advise: (req: AdviceRequest) => call<Advice>('advise', { req }),
    adviseHost: () => call<HostMove[]>('adviseHost'),
    lint: () => call<LintFinding[]>('lint'),
    diagnose: (guest: string, windowSec: number) => call<Diagnosis>('diagnose', { guest, windowSec }),
    auditLog: (limit?: number) => call<AuditEntry[]>('auditLog', limit === undefined ? {} : { limit }),
    replayControl: (cmd: ReplayCommand) => call<ReplayStatus>('replayControl', { cmd }),
    async close(): Promise<void> {
      shutdown();
      transport.close();
    },
  };
  return api;
}
