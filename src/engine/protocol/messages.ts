// Owns the wire protocol: versioned request / reply / event messages (every one carries
// `v: PROTOCOL_VERSION`), the method names of EngineApi, and the zod schemas that validate EVERY
// inbound message before it reaches the engine (server side) or a caller (client side). Messages are
// JSON text; a message over the size limit is refused before it is parsed.
//
//   request  {v, kind:'req',   id, method, params}
//   reply    {v, kind:'res',   id, ok:true, result} | {v, kind:'res', id, ok:false, error:{code, message}}
//   event    {v, kind:'event', sub, snapshot}          (for a subscription made with method 'subscribe')

import { z } from 'zod';
import { PROTOCOL_VERSION } from './api.js';

/** requests are small; anything larger is refused unparsed */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** replies and events (a snapshot of thousands of guests) */
export const MAX_REPLY_BYTES = 64 * 1024 * 1024;

const num = z.number().finite();
const limit = z.union([num.nonnegative(), z.literal('max')]);
const netDir = z.union([
  z.literal('none'),
  z.object({ rateKbit: num.nonnegative(), peakKbit: num.nonnegative().nullable(), burstBytes: num.nonnegative().nullable() }).strict(),
]);
const str = z.string().max(4096);

export const TuningChangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cpuWeight'), value: num, flag: z.enum(['cpu-weight', 'cpu-shares']) }).strict(),
  z.object({
    kind: z.literal('cpuQuota'),
    quota: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('pct'), pct: num }).strict(),
      z.object({ kind: z.literal('cpus'), cpus: num }).strict(),
      z.object({ kind: z.literal('usec'), usec: num }).strict(),
      z.object({ kind: z.literal('max') }).strict(),
    ]),
  }).strict(),
  z.object({ kind: z.literal('cpuPeriod'), usec: num }).strict(),
  z.object({ kind: z.literal('cpuset'), cpus: str }).strict(),
  z.object({ kind: z.literal('nodeset'), nodes: str }).strict(),
  z.object({ kind: z.literal('vcpuPin'), vcpu: z.number().int().nonnegative(), cpus: str }).strict(),
  z.object({ kind: z.literal('emulatorPin'), cpus: str }).strict(),
  z.object({
    kind: z.literal('io'), device: str,
    limits: z.object({ riops: limit.optional(), wiops: limit.optional(), rbps: limit.optional(), wbps: limit.optional() }).strict(),
  }).strict(),
  z.object({ kind: z.literal('diskThrottle'), disk: str, args: z.record(z.string().max(64), z.union([num, str])) }).strict(),
  z.object({ kind: z.literal('net'), ifname: str, in: netDir.optional(), out: netDir.optional() }).strict(),
  z.object({ kind: z.literal('memMax'), bytes: limit }).strict(),
  z.object({
    kind: z.literal('ksm'),
    settings: z.object({
      run: num.optional(), pages_to_scan: num.optional(), sleep_millisecs: num.optional(), merge_across_nodes: num.optional(),
    }).strict(),
  }).strict(),
  z.object({ kind: z.literal('hugepages'), sizeKb: num, node: z.number().int().nonnegative().nullable(), count: num }).strict(),
]);

export const TuningRequestSchema = z.object({
  guest: str,
  changes: z.array(TuningChangeSchema).max(256),
  force: z.boolean().optional(),
  isolate: z.boolean().optional(),
  persist: z.boolean().optional(),
  revertAfterSec: num.positive().nullable().optional(),
}).strict();

export const HistoryQuerySchema = z.object({
  guest: str.nullable(),
  metric: z.string().min(1).max(256),
  windowSec: num.positive(),
}).strict();

export const AdviceRequestSchema = z.object({
  guest: str.optional(),
  need: z.object({ vcpus: num.positive(), memMiB: num.nonnegative() }).strict().optional(),
  hugepages: z.enum(['2M', '1G']).nullable().optional(),
  host: z.boolean().optional(),
}).strict();

export const ReplayCommandSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('play') }).strict(),
  z.object({ action: z.literal('pause') }).strict(),
  // the range (REPLAY_MIN_SPEED..REPLAY_MAX_SPEED) is checked by the replay source, so every transport says the same
  z.object({ action: z.literal('speed'), speed: num }).strict(),
  z.object({ action: z.literal('seek'), wallMs: num }).strict(),
  z.object({ action: z.literal('nextEvent') }).strict(),
]);

const empty = z.object({}).strict();
const changeIdParams = z.object({ changeId: str.nullable().optional() }).strict();

/** Params schema per method: the method list of EngineApi (plus subscribe/unsubscribe by id). */
export const METHOD_PARAMS = {
  status: empty,
  latest: empty,
  listGuests: empty,
  subscribe: empty,
  unsubscribe: z.object({ sub: z.number().int().nonnegative() }).strict(),
  history: HistoryQuerySchema,
  previewTuning: z.object({ req: TuningRequestSchema }).strict(),
  applyTuning: z.object({ req: TuningRequestSchema }).strict(),
  undo: changeIdParams,
  keep: z.object({ changeId: str }).strict(),
  changes: empty,
  advise: z.object({ req: AdviceRequestSchema }).strict(),
  adviseHost: empty,
  lint: empty,
  diagnose: z.object({ guest: str, windowSec: num.positive().max(31 * 24 * 3600) }).strict(),
  auditLog: z.object({ limit: z.number().int().positive().max(100_000).optional() }).strict(),
  replayControl: z.object({ cmd: ReplayCommandSchema }).strict(),
} as const;

export type Method = keyof typeof METHOD_PARAMS;
export const METHODS = Object.keys(METHOD_PARAMS) as Method[];
/** methods refused on a read-only connection: every tuning request (a preview too: it plans writes) */
export const WRITE_METHODS: ReadonlySet<Method> = new Set<Method>(['previewTuning', 'applyTuning', 'undo', 'keep']);
/** reads of the audit log and the change journal: never served on the read-only socket or to a viewer */
export const PRIVATE_READ_METHODS: ReadonlySet<Method> = new Set<Method>(['auditLog', 'changes']);

const RequestEnvelope = z.object({
  v: z.number(),
  kind: z.literal('req'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  params: z.unknown().optional(),
}).strict();

export interface RequestMsg { v: number; kind: 'req'; id: number; method: Method; params: unknown }
export interface ErrorInfo { code: 0 | 1 | 2 | 3 | 4; message: string }
export type ReplyMsg =
  | { v: number; kind: 'res'; id: number | null; ok: true; result: unknown }
  | { v: number; kind: 'res'; id: number | null; ok: false; error: ErrorInfo };
export interface EventMsg { v: number; kind: 'event'; sub: number; snapshot: unknown }

const ReplySchema = z.discriminatedUnion('ok', [
  z.object({ v: z.number(), kind: z.literal('res'), id: z.number().int().nullable(), ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({
    v: z.number(), kind: z.literal('res'), id: z.number().int().nullable(), ok: z.literal(false),
    error: z.object({ code: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]), message: z.string() }).strict(),
  }).strict(),
]);
const EventSchema = z.object({
  v: z.number(), kind: z.literal('event'), sub: z.number().int().nonnegative(),
  snapshot: z.object({ schemaVersion: z.literal(1) }).passthrough(),
}).strict();

/** UTF-8 size of text is over max? (UTF-8 bytes ≥ UTF-16 units, ≤ 3 × units: count only when unsure) */
function overLimit(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return new TextEncoder().encode(text).length > max;
}

export type Parsed<T> = { ok: true; msg: T } | { ok: false; id: number | null; message: string };

function describe(e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid message';
  const where = i.path.length ? i.path.join('.') : 'message';
  return `${where}: ${i.message}`;
}

function parseJson(text: string, max: number): { ok: true; value: unknown } | { ok: false; message: string } {
  if (typeof text !== 'string') return { ok: false, message: 'message is not text' };
  if (overLimit(text, max)) return { ok: false, message: `message too large (over ${max} bytes)` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, message: 'message is not valid JSON' };
  }
}

/** An inbound request whose envelope is valid; its params are not validated yet. */
export interface RequestEnvelopeMsg { v: number; kind: 'req'; id: number; method: Method; rawParams: unknown }

/**
 * Validate one inbound request's envelope, version and method name, leaving its params unchecked: the
 * server decides whether the connection may call the method at all before it looks at the params.
 */
export function parseRequestEnvelope(text: string, max = MAX_REQUEST_BYTES): Parsed<RequestEnvelopeMsg> {
  const j = parseJson(text, max);
  if (!j.ok) return { ok: false, id: null, message: j.message };
  const rawId = (j.value as { id?: unknown } | null)?.id;
  const id = typeof rawId === 'number' && Number.isInteger(rawId) && rawId >= 0 ? rawId : null;
  const env = RequestEnvelope.safeParse(j.value);
  if (!env.success) return { ok: false, id, message: `invalid request: ${describe(env.error)}` };
  const m = env.data;
  if (m.v !== PROTOCOL_VERSION) {
    return { ok: false, id, message: `protocol version ${m.v} is not supported (this engine speaks ${PROTOCOL_VERSION})` };
  }
  if (!Object.hasOwn(METHOD_PARAMS, m.method)) {
    return { ok: false, id, message: `unknown method '${m.method}' (known: ${METHODS.join(', ')})` };
  }
  return { ok: true, msg: { v: m.v, kind: 'req', id: m.id, method: m.method as Method, rawParams: m.params ?? {} } };
}

/** Validate a request's params against its method's schema. */
export function parseRequestParams(env: RequestEnvelopeMsg): Parsed<RequestMsg> {
  const params = METHOD_PARAMS[env.method].safeParse(env.rawParams);
  if (!params.success) return { ok: false, id: env.id, message: `invalid params for ${env.method}: ${describe(params.error)}` };
  return { ok: true, msg: { v: env.v, kind: 'req', id: env.id, method: env.method, params: params.data } };
}

/** Validate one inbound request (server side): envelope, version, method, and that method's params. */
export function parseRequest(text: string, max = MAX_REQUEST_BYTES): Parsed<RequestMsg> {
  const env = parseRequestEnvelope(text, max);
  return env.ok ? parseRequestParams(env.msg) : env;
}

/** Validate one inbound reply or event (client side). */
export function parseServerMessage(text: string, max = MAX_REPLY_BYTES): Parsed<ReplyMsg | EventMsg> {
  const j = parseJson(text, max);
  if (!j.ok) return { ok: false, id: null, message: j.message };
  const kind = (j.value as { kind?: unknown } | null)?.kind;
  const r = kind === 'event' ? EventSchema.safeParse(j.value) : ReplySchema.safeParse(j.value);
  if (!r.success) return { ok: false, id: null, message: `invalid server message: ${describe(r.error)}` };
  if (r.data.v !== PROTOCOL_VERSION) return { ok: false, id: null, message: `server speaks protocol ${r.data.v}, this client ${PROTOCOL_VERSION}` };
  return { ok: true, msg: r.data as ReplyMsg | EventMsg };
}
