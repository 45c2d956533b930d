// Owns serveEngine: the one dispatcher that serves an EngineApi over a Transport. Every inbound
// message is validated (protocol/messages.ts) before it reaches the engine; a malformed, unknown,
// oversized or wrong-version message gets an error reply, never a crash. On a read-only connection
// the write methods answer code 4, and with hideJournal (the read-only socket, a viewer) so do reads of
// the audit log and the change journal — decided from the method name BEFORE the params are validated.
// A guard (the daemon's access control) may refuse a method outright, then judge the validated request
// and filter what a result shows; per-peer limits cap request rate and subscriptions. The connection's
// caller (from the transport, e.g. SO_PEERCRED) is passed with every tuning request. A client whose transport backs up past a cap has snapshot events
// skipped instead of queued (back-pressure: the daemon's memory does not grow with a slow reader).

import { HostError, VirtuneError, exitCodeForHostError, plainMessage } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import { PROTOCOL_VERSION, type CallerInfo, type EngineApi, type Subscription } from '../protocol/api.js';
import {
  MAX_REQUEST_BYTES, PRIVATE_READ_METHODS, WRITE_METHODS, parseRequestEnvelope, parseRequestParams,
  type ErrorInfo, type Method, type RequestMsg,
} from '../protocol/messages.js';
import { snapshotJson } from '../protocol/snapshot-json.js';
import type { Transport } from './transport.js';

/** Access control for one connection (the daemon's ACL); every method may throw VirtuneError(4). */
export interface RequestGuard {
  /** before the params are read: may this connection call the method at all? */
  method(method: Method): void;
  /** after validation: judge the request; may return replacement params (e.g. an undo's resolved change id) */
  request(method: Method, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** trim a result to what this caller may see (audit entries, change records of its guests) */
  result(method: Method, result: unknown): Promise<unknown>;
}

/** Per-peer limits shared by a peer's connections. */
export interface PeerQuota {
  /** false: over the request rate (the request is refused, code 1) */
  takeRequest(): boolean;
  /** false: the peer holds the maximum number of subscriptions */
  addSubscription(): boolean;
  removeSubscription(): void;
}

export interface ServeOptions {
  readOnly: boolean;
  /** refuse audit-log and change-journal reads (code 4): the read-only socket and the viewer role */
  hideJournal?: boolean;
  caller: CallerInfo;
  guard?: RequestGuard;
  quota?: PeerQuota;
  maxRequestBytes?: number;
  /** skip snapshot events while the transport has more than this many bytes queued (default 4 MiB) */
  eventBacklogBytes?: number;
}

export interface ServedConnection {
  readonly caller: CallerInfo;
  /** snapshot events skipped because the client did not keep up */
  readonly skippedEvents: number;
  close(): Promise<void>;
}

/**
 * The event text of each snapshot, built once per subscription number however many clients receive
 * it: clients with the same `sub` get the very same string, so a transport can encode it once too.
 */
const eventText = new WeakMap<Snapshot, { json: string; bySub: Map<number, string> }>();
function eventOf(s: Snapshot, sub: number): string {
  let e = eventText.get(s);
  if (e === undefined) {
    e = { json: snapshotJson(s), bySub: new Map() };
    eventText.set(s, e);
  }
  let t = e.bySub.get(sub);
  if (t === undefined) {
    t = `{"v":${PROTOCOL_VERSION},"kind":"event","sub":${sub},"snapshot":${e.json}}`;
    e.bySub.set(sub, t);
  }
  return t;
}

export function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof VirtuneError) return { code: e.exitCode, message: e.message };
  if (e instanceof HostError) return { code: exitCodeForHostError(e), message: e.message };
  return { code: 1, message: plainMessage(e) };
}

export function serveEngine(engine: EngineApi, transport: Transport, opts: ServeOptions): ServedConnection {
  const subs = new Map<number, Subscription>();
  let nextSub = 1;
  let skipped = 0;
  let closed = false;
  const maxBytes = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const backlogCap = opts.eventBacklogBytes ?? 4 * 1024 * 1024;

  const reply = (id: number | null, result: unknown): void => {
    transport.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'res', id, ok: true, result: result ?? null }));
  };
  const fail = (id: number | null, error: ErrorInfo): void => {
    transport.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'res', id, ok: false, error }));
  };

  /** rights that depend on the method only: checked before the params are validated */
  const mayCall = (method: Method): void => {
    if (opts.readOnly && WRITE_METHODS.has(method)) {
      throw new VirtuneError(4, `read-only: this connection does not allow ${method} (use the read-write socket)`);
    }
    if (opts.hideJournal && PRIVATE_READ_METHODS.has(method)) {
      throw new VirtuneError(4, `read-only: this connection serves neither the audit log nor the change journal (${method}); use the read-write socket`);
    }
    opts.guard?.method(method);
  };

  async function dispatch(m: RequestMsg): Promise<unknown> {
    const p = opts.guard ? await opts.guard.request(m.method, m.params as Record<string, unknown>) : m.params as Record<string, unknown>;
    const r = await call(m, p);
    return opts.guard ? await opts.guard.result(m.method, r) : r;
  }

  async function call(m: RequestMsg, p: Record<string, unknown>): Promise<unknown> {
    switch (m.method) {
      // a read-only connection reports itself read-only, whatever the engine behind it allows
      case 'status': return opts.readOnly ? { ...(await engine.status()), readOnly: true } : engine.status();
      case 'latest': return engine.latest();
      case 'listGuests': return engine.listGuests();
      case 'subscribe': {
        if (opts.quota && !opts.quota.addSubscription()) throw new VirtuneError(1, 'too many subscriptions from this peer; unsubscribe or close a connection first');
        const sub = nextSub++;
        const s = await engine.subscribe((snap) => {
          if (closed) return;
          if ((transport.backlog?.() ?? 0) > backlogCap) { skipped++; return; }
          transport.send(eventOf(snap, sub));
        });
        if (closed) { await s.unsubscribe(); opts.quota?.removeSubscription(); return { sub }; }
        subs.set(sub, s);
        return { sub };
      }
      case 'unsubscribe': {
        const sub = p.sub as number;
        const s = subs.get(sub);
        if (!s) throw new VirtuneError(3, `no subscription ${sub}`);
        subs.delete(sub);
        opts.quota?.removeSubscription();
        await s.unsubscribe();
        return null;
      }
      case 'history': return engine.history(p as unknown as Parameters<EngineApi['history']>[0]);
      case 'previewTuning': return engine.previewTuning(p.req as Parameters<EngineApi['previewTuning']>[0]);
      case 'applyTuning': return engine.applyTuning(p.req as Parameters<EngineApi['applyTuning']>[0], opts.caller);
      case 'undo': return engine.undo((p.changeId as string | null | undefined) ?? null, opts.caller);
      case 'keep': return engine.keep(p.changeId as string, opts.caller);
      case 'changes': return engine.changes();
      case 'advise': return engine.advise(p.req as Parameters<EngineApi['advise']>[0]);
      case 'adviseHost': return engine.adviseHost();
      case 'lint': return engine.lint();
      case 'diagnose': return engine.diagnose(p.guest as string, p.windowSec as number);
      case 'auditLog': return engine.auditLog(p.limit as number | undefined);
      case 'replayControl': return engine.replayControl(p.cmd as Parameters<EngineApi['replayControl']>[0]);
    }
  }

  const offMsg = transport.onMessage((text) => {
    const withinRate = opts.quota ? opts.quota.takeRequest() : true;
    const env = parseRequestEnvelope(text, maxBytes);
    if (!withinRate) {
      fail(env.ok ? env.msg.id : env.id, { code: 1, message: 'too many requests from this peer; slow down' });
      return;
    }
    if (!env.ok) { fail(env.id, { code: 2, message: env.message }); return; }
    try { mayCall(env.msg.method); } catch (e) { fail(env.msg.id, errorInfo(e)); return; }
    const parsed = parseRequestParams(env.msg);
    if (!parsed.ok) { fail(parsed.id, { code: 2, message: parsed.message }); return; }
    const m = parsed.msg;
    dispatch(m).then((r) => { if (!closed) reply(m.id, r); }, (e: unknown) => { if (!closed) fail(m.id, errorInfo(e)); });
  });

  const cleanup = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    offMsg();
    const all = [...subs.values()];
    for (let i = 0; i < all.length; i++) opts.quota?.removeSubscription();
    subs.clear();
    await Promise.all(all.map((s) => s.unsubscribe().catch(() => undefined)));
  };
  transport.onClose(() => { void cleanup(); });

  return {
    caller: opts.caller,
    get skippedEvents() { return skipped; },
    async close() { await cleanup(); transport.close(); },
  };
}
