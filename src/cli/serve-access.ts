// Owns the daemon's access control wiring: loading `--acl FILE` (validated at start; a file other
// users may write is refused), and the per-connection RequestGuard that asks the pure decision function
// (engine/access) with the peer's credentials — method-level rights before the params are read, then
// the guest and knob families of each request — and writes every tuning decision, allowed or denied,
// to the audit log with the caller's uid, user, pid (websocket: role and remote address).

import { readFileSync, statSync } from 'node:fs';
import {
  decide, holds, holdsAny, holdsEverywhere, parseAcl, permissionsFor, type Acl, type GuestTarget, type Permission, type Principal,
} from '../engine/access/acl.js';
import type { Engine } from '../engine/core/engine.js';
import { VirtuneError } from '../engine/model/errors.js';
import type { AuditEntry, ChangeRecord, TuningRequest } from '../engine/model/tuning.js';
import type { CallerInfo } from '../engine/protocol/api.js';
import type { Method } from '../engine/protocol/messages.js';
import type { RequestGuard } from '../engine/rpc/server.js';

const TUNE: Permission[] = ['tune.cpu', 'tune.numa', 'tune.disk', 'tune.net', 'tune.memory'];

/** Read and validate `--acl FILE`; exit 2 with one line naming the problem. */
export function loadAcl(file: string): Acl {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new VirtuneError(2, `--acl ${file}: not a regular file`);
    if ((st.mode & 0o022) !== 0) {
      throw new VirtuneError(2, `--acl ${file}: writable by other users (mode ${(st.mode & 0o777).toString(8)}); make it 0644 or stricter`);
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof VirtuneError) throw e;
    throw new VirtuneError(2, `--acl ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseAcl(text, `--acl ${file}`);
}

export interface AccessDeps {
  /** null: no --acl (the read-write socket is 0600: only root and the daemon's own user reach it) */
  acl: Acl | null;
  engine: Pick<Engine, 'listGuests' | 'changes' | 'recordAudit' | 'journalProblems'>;
  /** the daemon's own uid: it may do what the daemon can */
  daemonUid: number | null;
  now(): Date;
}

interface Ctx { full: boolean; principal: Principal | null; caller: CallerInfo }

export class Access {
  constructor(private readonly deps: AccessDeps) {}

  /** The guard of a unix read-write connection from this peer. */
  forPeer(principal: Principal, caller: CallerInfo): RequestGuard {
    const full = principal.uid === 0 || principal.uid === this.deps.daemonUid;
    return this.guard({ full, principal: full ? null : principal, caller });
  }

  /** The guard of a websocket operator (root's rights; decisions audited with role and address). */
  forOperator(caller: CallerInfo): RequestGuard {
    return this.guard({ full: true, principal: null, caller });
  }

  private audit(ctx: Ctx, method: Method, guest: string | null, perms: readonly string[], changeId: string | null, denied: string | null): void {
    const c = ctx.caller;
    const e: AuditEntry = {
      time: this.deps.now().toISOString(), uid: c.uid, user: c.user, peerPid: c.pid,
      guest, guestUuid: null, changeId, action: 'authorize', step: null, old: null, new: null,
      result: denied === null ? 'ok' : 'denied', via: c.via, method, permissions: [...perms],
    };
    if (denied !== null) e.message = denied;
    if (c.role) e.role = c.role;
    if (c.remote) e.remote = c.remote;
    try { this.deps.engine.recordAudit(e); } catch { /* the audit log's failure must not open the door: denials still throw */ }
  }

  private async target(ref: string): Promise<GuestTarget> {
    if (ref === 'host') return { name: 'host', id: 'host' };
    const guests = await this.deps.engine.listGuests();
    const hits = guests.filter((g) => g.id === ref || g.name === ref || g.uuid === ref);
    const g = hits.length === 1 ? hits[0] : undefined;
    return g ? { name: g.name, id: g.id } : { name: ref, id: ref };
  }

  private guard(ctx: Ctx): RequestGuard {
    const acl = this.deps.acl;
    const p = ctx.principal;
    const deny = (method: Method, guest: string | null, perms: readonly string[], changeId: string | null, message: string): never => {
      this.audit(ctx, method, guest, perms, changeId, message);
      throw new VirtuneError(4, message);
    };
    const methodNeeds = (method: Method): Permission[] | null => {
      switch (method) {
        case 'previewTuning': case 'applyTuning': return TUNE;
        case 'undo': case 'keep': return ['undo'];
        case 'auditLog': return ['audit.read'];
        case 'changes': return ['undo', 'audit.read'];
        default: return null;
      }
    };
    const who = (q: Principal): string => (q.user !== null ? `user ${q.user} (uid ${q.uid})` : `uid ${q.uid}`);
    const recordOf = async (changeId: string | null): Promise<ChangeRecord | null> => {
      // "the last change" is not known while a journal record is corrupt: the engine refuses, naming it
      if (changeId === null && this.deps.engine.journalProblems().length > 0) return null;
      const all = await this.deps.engine.changes();
      if (changeId === null) return all.filter((r) => r.state === 'applied' || r.state === 'kept').pop() ?? null;
      return all.find((r) => r.changeId === changeId) ?? null;
    };

    return {
      method: (method) => {
        if (ctx.full || p === null) return;
        const needs = methodNeeds(method);
        if (needs === null) return;
        if (acl === null || !holdsAny(acl, p, needs)) {
          const what = needs === TUNE ? 'any tune.* permission' : needs.map((x) => `'${x}'`).join(' or ');
          deny(method, null, needs, null, `not permitted: ${who(p)} has no ${what} on any guest${acl === null ? ' (the daemon runs without --acl: root only)' : ''}`);
        }
      },

      request: async (method, params) => {
        if (method === 'previewTuning' || method === 'applyTuning') {
          const req = params.req as TuningRequest;
          const perms = permissionsFor(req);
          const t = await this.target(req.guest);
          if (!ctx.full && p !== null) {
            const d = acl === null ? { allowed: false as const, message: `not permitted: ${who(p)}: root only without --acl` } : decide(acl, p, perms, t);
            if (!d.allowed) deny(method, t.id, perms, null, d.message);
          }
          if (method === 'applyTuning') this.audit(ctx, method, t.id, perms, null, null);
          return params;
        }
        if (method === 'undo' || method === 'keep') {
          const wanted = (params.changeId as string | null | undefined) ?? null;
          const rec = await recordOf(wanted);
          if (!rec) return params; // the engine answers "no such change" (code 3)
          const t = await this.target(rec.guest);
          if (!ctx.full && p !== null) {
            const d = acl === null ? { allowed: false as const, message: `not permitted: ${who(p)}: root only without --acl` } : decide(acl, p, ['undo'], t);
            if (!d.allowed) deny(method, t.id, ['undo'], rec.changeId, d.message);
          }
          this.audit(ctx, method, t.id, ['undo'], rec.changeId, null);
          // judge and act on the same change: the one resolved here, never "the last" again later
          return { ...params, changeId: rec.changeId };
        }
        return params;
      },

      result: async (method, result) => {
        if (ctx.full || p === null || acl === null || !Array.isArray(result)) return result;
        if (method !== 'auditLog' && method !== 'changes') return result;
        // entries name guests by id; globs may name them by name
        const names = new Map((await this.deps.engine.listGuests()).map((g) => [g.id, g.name]));
        const t = (id: string): GuestTarget => ({ name: names.get(id) ?? id, id });
        if (method === 'auditLog') {
          const all = holdsEverywhere(acl, p, 'audit.read');
          return (result as AuditEntry[]).filter((e) => (e.guest === null ? all : holds(acl, p, 'audit.read', t(e.guest))));
        }
        return (result as ChangeRecord[]).filter((r) => holds(acl, p, 'undo', t(r.guest)) || holds(acl, p, 'audit.read', t(r.guest)));
      },
    };
  }
}
