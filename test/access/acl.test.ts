// The ACL model (engine/access/acl.ts): validation of --acl documents (unknown permission, bad glob,
// unknown key, nobody named: one clear error), guest globs on name or id, the knob families of a
// tuning request, and the decision function (root, user, group, uid, guest glob, missing permission).

import { describe, expect, it } from 'vitest';
import { compileGlob, decide, globMatches, holdsAny, parseAcl, permissionsFor, type Principal } from '../../src/engine/access/acl.js';
import type { TuningChange } from '../../src/engine/model/tuning.js';

const acl = parseAcl(JSON.stringify({
  rules: [
    { users: ['alice'], allow: ['tune.cpu', 'undo'], guests: ['web-*'] },
    { groups: ['vmops'], allow: ['tune.disk', 'audit.read'] },
    { uids: [1234], allow: ['tune.net'], guests: ['libvirt:db0[1-3]'] },
  ],
}), 'acl.json');

const alice: Principal = { uid: 1001, user: 'alice', groups: ['alice'] };
const bob: Principal = { uid: 1002, user: 'bob', groups: ['bob', 'vmops'] };
const carol: Principal = { uid: 1234, user: 'carol', groups: ['carol'] };
const mallory: Principal = { uid: 1666, user: 'mallory', groups: ['users'] };
const root: Principal = { uid: 0, user: 'root', groups: ['root'] };
const web = { name: 'web-01', id: 'libvirt:web-01' };
const db = { name: 'db02', id: 'libvirt:db02' };

const ch = {
  quota: { kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } } as TuningChange,
  io: { kind: 'io', device: 'vda', limits: { riops: 100 } } as TuningChange,
  mem: { kind: 'memMax', bytes: 1024 } as TuningChange,
  nodes: { kind: 'nodeset', nodes: '0' } as TuningChange,
  net: { kind: 'net', ifname: 'vnet0', in: 'none' } as TuningChange,
  ksm: { kind: 'ksm', settings: { run: 1 } } as TuningChange,
};

describe('ACL validation', () => {
  const bad = (doc: unknown): string => {
    try { parseAcl(typeof doc === 'string' ? doc : JSON.stringify(doc), 'f.json'); } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('names an unknown permission and the valid ones', () => {
    const m = bad({ rules: [{ users: ['a'], allow: ['tune.cpu', 'tune.everything'] }] });
    expect(m).toContain("rule 1: unknown permission 'tune.everything'");
    expect(m).toContain('tune.memory');
  });

  it('names a bad glob and why', () => {
    expect(bad({ rules: [{ users: ['a'], allow: ['undo'], guests: ['web-[0-9'] }] })).toMatch(/rule 1: bad guest glob 'web-\[0-9': unclosed '\['/);
    expect(bad({ rules: [{ users: ['a'], allow: ['undo'], guests: [''] }] })).toMatch(/bad guest glob '': an empty glob/);
    expect(bad({ rules: [{ users: ['a'], allow: ['undo'], guests: ['x[z-a]'] }] })).toMatch(/reversed range 'z-a'/);
    expect(bad({ rules: [{ users: ['a'], allow: ['undo'], guests: ['a]b'] }] })).toMatch(/unmatched '\]'/);
  });

  it('refuses unknown keys, rules that name nobody, empty allow lists and non-JSON', () => {
    expect(bad({ rules: [{ user: ['a'], allow: ['undo'] }] })).toMatch(/unknown key 'user'/);
    expect(bad({ rules: [{ allow: ['undo'] }] })).toMatch(/names nobody/);
    expect(bad({ rules: [{ users: ['a'], allow: [] }] })).toMatch(/'allow' must be a non-empty list/);
    expect(bad({ rules: [{ uids: [-1], allow: ['undo'] }] })).toMatch(/'uids' must be a list of integers/);
    expect(bad('{"rules": [')).toMatch(/^f\.json: not valid JSON/);
    expect(bad({ rule: [] })).toMatch(/expected an object \{"rules"/);
  });
});

describe('guest globs', () => {
  it('match the name or the id, whole string only', () => {
    expect(globMatches(compileGlob('web-*'), web)).toBe(true);
    expect(globMatches(compileGlob('libvirt:web-0?'), web)).toBe(true);
    expect(globMatches(compileGlob('web'), web)).toBe(false);
    expect(globMatches(compileGlob('db0[!2]'), db)).toBe(false);
    expect(globMatches(compileGlob('db0[1-3]'), db)).toBe(true);
    expect(globMatches(compileGlob('web.01'), { name: 'webx01', id: 'x' })).toBe(false); // '.' is literal
  });
});

describe('knob families', () => {
  it('maps each change kind to its permission, host-wide settings to root', () => {
    expect(permissionsFor({ changes: [ch.quota] })).toEqual(['tune.cpu']);
    expect(permissionsFor({ changes: [ch.mem, ch.io, ch.quota] })).toEqual(['tune.cpu', 'tune.disk', 'tune.memory']);
    expect(permissionsFor({ changes: [ch.nodes, ch.net] })).toEqual(['tune.numa', 'tune.net']);
    expect(permissionsFor({ changes: [], isolate: true })).toEqual(['tune.cpu']);
    expect(permissionsFor({ changes: [ch.ksm] })).toEqual(['host']);
  });
});

describe('decide', () => {
  it('lets root do everything', () => {
    expect(decide(acl, root, ['host', 'tune.memory'], db)).toEqual({ allowed: true });
  });

  it('allows by user name, group and uid, only on matching guests', () => {
    expect(decide(acl, alice, ['tune.cpu'], web).allowed).toBe(true);
    expect(decide(acl, bob, ['tune.disk'], db).allowed).toBe(true);
    expect(decide(acl, carol, ['tune.net'], db).allowed).toBe(true);
    expect(decide(acl, carol, ['tune.net'], web).allowed).toBe(false);
  });

  it('denies naming the missing permission and the guest', () => {
    const d = decide(acl, alice, ['tune.cpu'], db);
    expect(d).toMatchObject({ allowed: false, permission: 'tune.cpu' });
    expect(!d.allowed && d.message).toBe("not permitted: user alice (uid 1001) lacks 'tune.cpu' on guest db02 (libvirt:db02)");
    const m = decide(acl, alice, ['tune.cpu', 'tune.memory'], web);
    expect(m).toMatchObject({ allowed: false, permission: 'tune.memory' });
    expect(decide(acl, alice, ['host'], web)).toMatchObject({ allowed: false, permission: 'host' });
    expect(decide(acl, mallory, ['undo'], web)).toMatchObject({ allowed: false, permission: 'undo' });
  });

  it('answers "holds any" for the check made before params are read', () => {
    expect(holdsAny(acl, alice, ['undo'])).toBe(true);
    expect(holdsAny(acl, alice, ['audit.read'])).toBe(false);
    expect(holdsAny(acl, mallory, ['tune.cpu', 'tune.disk', 'undo', 'audit.read'])).toBe(false);
  });
});
