// Owns the daemon's access-control model (`virtune serve --acl FILE`): the permission names, parsing
// and validating an ACL document (unknown permission, bad glob, unknown key: one clear error), guest
// globs, the knob families a tuning request touches, and the one pure decision function the daemon
// asks per request with the peer's credentials. Pure: no I/O; the caller reads files and credentials.

import { VirtuneError } from '../model/errors.js';
import type { TuningChange, TuningRequest } from '../model/tuning.js';

export const PERMISSIONS = ['tune.cpu', 'tune.numa', 'tune.disk', 'tune.net', 'tune.memory', 'undo', 'audit.read'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** A compiled guest glob: `*` any run of characters, `?` one, `[a-z]` / `[!x]` a class. */
export interface GuestGlob { source: string; re: RegExp }

export interface AclRule {
  users: string[];
  groups: string[];
  uids: number[];
  allow: Permission[];
  /** null = every guest */
  guests: GuestGlob[] | null;
}

export interface Acl { rules: AclRule[] }

/** Who is asking: from SO_PEERCRED (uid, pid) and the user/group databases (names). */
export interface Principal {
  uid: number;
  user: string | null;
  /** names of the primary and supplementary groups */
  groups: string[];
}

/** The guest a request is about: its name and stable id (globs match either). */
export interface GuestTarget { name: string; id: string }

export type Decision =
  | { allowed: true }
  | { allowed: false; permission: Permission | 'host'; message: string };

const isPermission = (p: unknown): p is Permission => typeof p === 'string' && (PERMISSIONS as readonly string[]).includes(p);

/** Compile a glob; throws a one-line reason when it is malformed. */
export function compileGlob(source: string): GuestGlob {
  if (source.length === 0) throw new Error('an empty glob matches nothing');
  if (source.length > 256) throw new Error('longer than 256 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(source)) throw new Error('contains a control character');
  let re = '^';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = source.indexOf(']', i + 2); // `[]x]`: a leading ] is literal
      if (end < 0) throw new Error(`unclosed '[' at position ${i + 1}`);
      let body = source.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      if (body.length === 0) throw new Error(`empty character class at position ${i + 1}`);
      for (let k = 0; k < body.length; k++) {
        if (body[k] === '-' && k > 0 && k < body.length - 1 && (body[k - 1] as string) > (body[k + 1] as string)) {
          throw new Error(`reversed range '${body.slice(k - 1, k + 2)}'`);
        }
      }
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === ']') {
      throw new Error(`unmatched ']' at position ${i + 1}`);
    } else {
      re += c.replace(/[.+^${}()|\\/-]/g, '\\$&');
    }
  }
  return { source, re: new RegExp(re + '$') };
}

export function globMatches(g: GuestGlob, t: GuestTarget): boolean {
  return g.re.test(t.name) || g.re.test(t.id);
}

const RULE_KEYS = new Set(['users', 'groups', 'uids', 'allow', 'guests', 'comment']);

function stringList(v: unknown, where: string, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 256)) {
    throw new VirtuneError(2, `${where}: '${what}' must be a list of names`);
  }
  return v as string[];
}

/** Parse and validate an ACL document (JSON text). `label` names the file in error messages. */
export function parseAcl(text: string, label: string): Acl {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) {
    throw new VirtuneError(2, `${label}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray((doc as { rules?: unknown }).rules)) {
    throw new VirtuneError(2, `${label}: expected an object {"rules": [...]}`);
  }
  const extra = Object.keys(doc).filter((k) => k !== 'rules' && k !== 'comment');
  if (extra.length > 0) throw new VirtuneError(2, `${label}: unknown key '${extra[0]}' (known: rules)`);
  const rules: AclRule[] = [];
  (doc as { rules: unknown[] }).rules.forEach((raw, i) => {
    const where = `${label}: rule ${i + 1}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new VirtuneError(2, `${where}: not an object`);
    const r = raw as Record<string, unknown>;
    const unknownKey = Object.keys(r).find((k) => !RULE_KEYS.has(k));
    if (unknownKey) throw new VirtuneError(2, `${where}: unknown key '${unknownKey}' (known: users, groups, uids, allow, guests)`);
    const users = stringList(r.users, where, 'users');
    const groups = stringList(r.groups, where, 'groups');
    let uids: number[] = [];
    if (r.uids !== undefined) {
      if (!Array.isArray(r.uids) || !r.uids.every((u) => Number.isInteger(u) && (u as number) >= 0 && (u as number) < 2 ** 32)) {
        throw new VirtuneError(2, `${where}: 'uids' must be a list of integers 0 to 4294967295`);
      }
      uids = r.uids as number[];
    }
    if (users.length + groups.length + uids.length === 0) {
      throw new VirtuneError(2, `${where}: names nobody (give users, groups or uids)`);
    }
    if (!Array.isArray(r.allow) || r.allow.length === 0) {
      throw new VirtuneError(2, `${where}: 'allow' must be a non-empty list of permissions (${PERMISSIONS.join(', ')})`);
    }
    for (const p of r.allow) {
      if (!isPermission(p)) throw new VirtuneError(2, `${where}: unknown permission '${String(p)}' (one of ${PERMISSIONS.join(', ')})`);
    }
    let guests: GuestGlob[] | null = null;
    if (r.guests !== undefined) {
      const list = Array.isArray(r.guests) ? r.guests : null;
      if (!list || list.length === 0 || !list.every((x) => typeof x === 'string')) {
        throw new VirtuneError(2, `${where}: 'guests' must be a non-empty list of globs (omit it for every guest)`);
      }
      guests = (list as string[]).map((s) => {
        try { return compileGlob(s); } catch (e) {
          throw new VirtuneError(2, `${where}: bad guest glob '${s}': ${(e as Error).message}`);
        }
      });
    }
    rules.push({ users, groups, uids, allow: [...new Set(r.allow as Permission[])], guests });
  });
  return { rules };
}

/** Knob family of one change; `host` for host-wide settings (KSM, hugepage pools), which only root may change. */
export function permissionOf(c: TuningChange): Permission | 'host' {
  switch (c.kind) {
    case 'cpuWeight': case 'cpuQuota': case 'cpuPeriod': case 'cpuset': case 'vcpuPin': case 'emulatorPin':
      return 'tune.cpu';
    case 'nodeset': return 'tune.numa';
    case 'io': case 'diskThrottle': return 'tune.disk';
    case 'net': return 'tune.net';
    case 'memMax': return 'tune.memory';
    case 'ksm': case 'hugepages': return 'host';
  }
}

/** Every permission a tuning request needs, in the order of PERMISSIONS (`--isolate` moves cgroups: tune.cpu). */
export function permissionsFor(req: Pick<TuningRequest, 'changes' | 'isolate'>): (Permission | 'host')[] {
  const need = new Set<Permission | 'host'>(req.changes.map(permissionOf));
  if (req.isolate) need.add('tune.cpu');
  const order: (Permission | 'host')[] = ['host', ...PERMISSIONS];
  return order.filter((p) => need.has(p));
}

function ruleNames(r: AclRule, p: Principal): boolean {
  return r.uids.includes(p.uid)
    || (p.user !== null && r.users.includes(p.user))
    || r.groups.some((g) => p.groups.includes(g));
}

/** Does any rule give the principal this permission on this guest (null guest: on some guest)? */
export function holds(acl: Acl, p: Principal, perm: Permission, guest: GuestTarget | null): boolean {
  if (p.uid === 0) return true;
  return acl.rules.some((r) => ruleNames(r, p) && r.allow.includes(perm)
    && (guest === null || r.guests === null || r.guests.some((g) => globMatches(g, guest))));
}

/** Does a rule give the principal this permission on every guest (no guest list)? Such a holder of
 * audit.read also sees audit lines that name no guest (requests refused before a guest was known). */
export function holdsEverywhere(acl: Acl, p: Principal, perm: Permission): boolean {
  if (p.uid === 0) return true;
  return acl.rules.some((r) => ruleNames(r, p) && r.allow.includes(perm) && r.guests === null);
}

/** Does the principal hold any of the permissions on at least one guest? (checked before params are read) */
export function holdsAny(acl: Acl, p: Principal, perms: readonly Permission[]): boolean {
  return perms.some((perm) => holds(acl, p, perm, null));
}

const who = (p: Principal): string => (p.user !== null ? `user ${p.user} (uid ${p.uid})` : `uid ${p.uid}`);

/**
 * The decision: may this principal exercise every one of `perms` on this guest? Root may do
 * everything; otherwise the first missing permission is named with the guest.
 */
export function decide(acl: Acl, p: Principal, perms: readonly (Permission | 'host')[], guest: GuestTarget | null): Decision {
  if (p.uid === 0) return { allowed: true };
  for (const perm of perms) {
    if (perm === 'host') {
      return { allowed: false, permission: 'host', message: `not permitted: host-wide settings (KSM, hugepage pools) are for root only; ${who(p)} is not root` };
    }
    if (!holds(acl, p, perm, guest)) {
      const on = guest ? `guest ${guest.name}${guest.id !== guest.name ? ` (${guest.id})` : ''}` : 'any guest';
      return { allowed: false, permission: perm, message: `not permitted: ${who(p)} lacks '${perm}' on ${on}` };
    }
  }
  return { allowed: true };
}
