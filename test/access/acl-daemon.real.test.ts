// `virtune serve --acl` as a real daemon (demo host) called by real local users created for the test
// (useradd; removed in afterAll) through `runuser -u USER -- node dist/cli/main.js --connect unix:...`:
// allowed and denied by user name, group, guest glob and knob family, exit 4 naming the permission
// and the guest, every decision in the audit log with uid, user and pid; rights checked before params
// are validated; the read-only socket refuses the audit log and the journal and says readOnly; the
// daemon refuses to start on a bad ACL; a corrupt journal record (garbage written into its file) is
// named in the snapshot's errors, "undo the last" is refused while it is there, the other changes undo.

import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUnix } from '../../src/engine/node/unix-socket.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { runCli } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';
import { startServe } from '../helpers/daemon.js';
import { LocalUsers, nodeAs, openDir, runAs } from './access-lab.js';

/** a raw newline-JSON request as USER; prints the reply line */
const RAW = `const s=require('net').createConnection(process.argv[1]);let b='';
s.on('data',d=>{b+=d;if(b.includes('\\n')){process.stdout.write(b.split('\\n')[0]);s.destroy();}});
s.on('error',e=>{process.stdout.write('ERR '+e.code);});
s.on('connect',()=>s.write(process.argv[2]+'\\n'));`;

describe('virtune serve --acl (real users, real daemon, demo host)', () => {
  const lab = useLab();
  let users: LocalUsers;
  let alice: { name: string; uid: number };
  let bob: { name: string; uid: number };
  let mallory: { name: string; uid: number };
  let ops: string;

  beforeAll(() => {
    users = new LocalUsers();
    ops = users.group('ops');
    alice = users.user('a');
    bob = users.user('b', [ops]);
    mallory = users.user('m');
  });
  afterAll(() => { users.removeAll(); });

  it('authorises each request by peer uid/groups, guest glob and knob family; audits every decision', async () => {
    const dir = openDir(lab, 'virtune-acl');
    const acl = path.join(dir, 'acl.json');
    writeFileSync(acl, JSON.stringify({
      rules: [
        { users: [alice.name], allow: ['tune.cpu', 'undo'], guests: ['web-*'] },
        { groups: [ops], allow: ['tune.disk', 'audit.read'] },
      ],
    }), { mode: 0o644 });
    const rw = path.join(dir, 'rw.sock');
    const ro = path.join(dir, 'ro.sock');
    await startServe(lab, ['--demo', '3', '--interval', '0.5'], ['--listen', `unix:${rw}`, '--listen-ro', `unix:${ro}`, '--acl', acl], /read-only/);
    expect(statSync(rw).mode & 0o777).toBe(0o666);
    expect(statSync(ro).mode & 0o777).toBe(0o666);
    const RW = `unix:${rw}`;

    // user rule: tune.cpu on web-* only
    const a1 = await runAs(alice.name, ['--connect', RW, '--json', 'tune', 'web-01', '--cpu-quota', '50%', '--yes']);
    expect(a1.code, a1.stderr).toBe(0);
    const applied = JSON.parse(a1.stdout.trim().split('\n').pop()!);
    expect(applied.changeId).toMatch(/\S/);
    const a2 = await runAs(alice.name, ['--connect', RW, 'tune', 'batch-02', '--cpu-quota', '50%', '--yes']);
    expect(a2.code).toBe(4);
    expect(a2.stderr).toMatch(/tune\.cpu/);
    expect(a2.stderr).toMatch(/batch-02/);
    expect(a2.stderr.trim().split('\n')).toHaveLength(1);
    const a3 = await runAs(alice.name, ['--connect', RW, 'tune', 'web-01', '--mem-max', '1G', '--yes']);
    expect(a3.code).toBe(4);
    expect(a3.stderr).toMatch(/tune\.memory.*web-01/);
    const a4 = await runAs(alice.name, ['--connect', RW, 'audit']);
    expect(a4.code).toBe(4);
    expect(a4.stderr).toMatch(/audit\.read/);

    // group rule: tune.disk + audit.read on every guest, nothing else
    const ro1 = connectEngine(await connectUnix(ro));
    const snap = await ro1.latest();
    await ro1.close();
    const disk = snap!.guests.find((g) => g.name === 'batch-02')!.blockDevices.find((d) => d.source === 'cgroup')!.name;
    const b1 = await runAs(bob.name, ['--connect', RW, 'tune', 'batch-02', '--io', `${disk}:riops=500`, '--yes']);
    expect(b1.code, b1.stderr).toBe(0);
    const b2 = await runAs(bob.name, ['--connect', RW, 'tune', 'batch-02', '--cpu-quota', '50%', '--yes']);
    expect(b2.code).toBe(4);
    expect(b2.stderr).toMatch(/tune\.cpu.*batch-02/);
    const b3 = await runAs(bob.name, ['--connect', RW, 'undo', applied.changeId]);
    expect(b3.code).toBe(4);
    expect(b3.stderr).toMatch(/'undo'/);

    // nobody's rule: everything that writes or reads the journal is refused, reads of the host are not
    const m1 = await runAs(mallory.name, ['--connect', RW, 'tune', 'web-01', '--cpu-quota', '50%', '--yes']);
    expect(m1.code).toBe(4);
    expect(m1.stderr).toMatch(new RegExp(`not permitted: user ${mallory.name}`));
    const m2 = await runAs(mallory.name, ['--connect', RW, 'snapshot', '--json']);
    expect(m2.code, m2.stderr).toBe(0);
    // rights before params: a write with malformed params is "not permitted", not "invalid"
    const bad = await nodeAs(mallory.name, RAW, [rw, JSON.stringify({ v: 1, kind: 'req', id: 7, method: 'applyTuning', params: { nonsense: true } })]);
    expect(JSON.parse(bad.stdout)).toMatchObject({ id: 7, ok: false, error: { code: 4 } });

    // alice undoes her own change on web-01
    const a5 = await runAs(alice.name, ['--connect', RW, 'undo', applied.changeId]);
    expect(a5.code, a5.stderr).toBe(0);

    // the audit log, read by the group with audit.read: one authorize line per decision, uid/user/pid
    const log = await runAs(bob.name, ['--connect', RW, 'audit', '--json', '--limit', '1000']);
    expect(log.code, log.stderr).toBe(0);
    const entries = JSON.parse(log.stdout) as Array<Record<string, unknown>>;
    const auth = entries.filter((e) => e.action === 'authorize');
    const of = (u: { name: string; uid: number }, result: string) => auth.filter((e) => e.uid === u.uid && e.user === u.name && e.result === result);
    // alice: apply allowed; batch-02 cpu denied (with guest), mem denied, undo allowed
    expect(of(alice, 'ok').map((e) => e.method).sort()).toEqual(['applyTuning', 'undo']);
    expect(of(alice, 'denied').map((e) => e.guest)).toEqual(expect.arrayContaining(['libvirt:batch-02', 'libvirt:web-01']));
    expect(of(bob, 'ok').map((e) => e.method)).toEqual(['applyTuning']);
    expect(of(bob, 'denied').length).toBe(2);
    expect(of(mallory, 'denied').length).toBe(2);
    for (const e of auth) {
      expect(typeof e.peerPid).toBe('number');
      expect(e.via).toBe('unix');
    }
    // and the steps themselves carry the caller too
    expect(entries.some((e) => e.action === 'apply' && e.uid === alice.uid && e.user === alice.name)).toBe(true);

    // read-only socket: no audit log, no journal (code 4, before params), status says readOnly
    const RO = `unix:${ro}`;
    const r1 = await runCli(['--connect', RO, 'audit']);
    expect(r1.code).toBe(4);
    const raw = async (msg: object): Promise<Record<string, any>> => JSON.parse((await nodeAs(mallory.name, RAW, [ro, JSON.stringify(msg)])).stdout);
    expect(await raw({ v: 1, kind: 'req', id: 1, method: 'changes', params: {} })).toMatchObject({ ok: false, error: { code: 4 } });
    expect(await raw({ v: 1, kind: 'req', id: 2, method: 'auditLog', params: { limit: 'x' } })).toMatchObject({ ok: false, error: { code: 4 } });
    expect(await raw({ v: 1, kind: 'req', id: 3, method: 'applyTuning', params: { bad: 1 } })).toMatchObject({ ok: false, error: { code: 4 } });
    expect(await raw({ v: 1, kind: 'req', id: 4, method: 'status', params: {} })).toMatchObject({ ok: true, result: { readOnly: true } });
    expect(await raw({ v: 1, kind: 'req', id: 5, method: 'status', params: { extra: 1 } })).toMatchObject({ ok: false, error: { code: 2 } });
  });

  it('a corrupt journal record: named in the snapshot errors, undo of the last refused, the others undone', async () => {
    const dir = openDir(lab, 'virtune-acl-journal');
    const acl = path.join(dir, 'acl.json');
    writeFileSync(acl, JSON.stringify({ rules: [{ users: [alice.name], allow: ['tune.cpu', 'undo'], guests: ['web-*'] }] }), { mode: 0o644 });
    const rw = path.join(dir, 'rw.sock');
    const ro = path.join(dir, 'ro.sock');
    const tmp = lab.tmpdir('acl-journal-tree');
    await startServe(lab, ['--demo', '3', '--interval', '0.5'], ['--listen', `unix:${rw}`, '--listen-ro', `unix:${ro}`, '--acl', acl], /read-only/, { env: { TMPDIR: tmp } });
    const RW = `unix:${rw}`;
    const ids: string[] = [];
    for (const q of ['50%', '40%']) {
      const r = await runAs(alice.name, ['--connect', RW, '--json', 'tune', 'web-01', '--cpu-quota', q, '--yes']);
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout.trim().split('\n').pop()!) as { changeId: string }).changeId);
    }
    // the demo keeps its journal inside its own tree (under the daemon's TMPDIR)
    const find = (d: string): string | null => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const p = path.join(d, e.name);
        if (e.name === 'changes' && existsSync(path.join(p, `${ids[0]}.json`))) return p;
        const f = find(p);
        if (f) return f;
      }
      return null;
    };
    const changes = find(tmp)!;
    expect(changes).not.toBeNull();
    writeFileSync(path.join(changes, `${ids[1]}.json`), 'garbage');
    // every snapshot names it while it is there (through the read-only socket too)
    let errs: string[] = [];
    for (let i = 0; i < 120 && errs.length === 0; i++) { // a record read before: re-checked every 10 s
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      const s = await runCli(['--connect', `unix:${ro}`, '--json', 'snapshot']);
      expect(s.code, s.stderr).toBe(0);
      errs = (JSON.parse(s.stdout) as { errors: { source: string; message: string }[] }).errors
        .filter((e) => e.source === 'tuning' && e.message.includes(`${ids[1]}.json is corrupt (not valid JSON)`)).map((e) => e.message);
    }
    expect(errs).toHaveLength(1);
    // "the last change" is not known: refused (exit 1, one line naming the file), nothing undone
    const last = await runAs(alice.name, ['--connect', RW, 'undo']);
    expect(last.code).toBe(1);
    expect(last.stderr.trim().split('\n')).toHaveLength(1);
    expect(last.stderr).toMatch(new RegExp(`${ids[1]}\\.json: not valid JSON`));
    const corrupt = await runAs(alice.name, ['--connect', RW, 'undo', ids[1]!]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr.trim()).toBe(`virtune: change ${ids[1]}: its journal record is corrupt (not valid JSON); nothing was undone`);
    const other = await runAs(alice.name, ['--connect', RW, 'undo', ids[0]!]);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain(`undid change ${ids[0]}`);
  });

  it('does not start on a bad ACL: unknown permission, bad glob, a file others may write', async () => {
    const dir = openDir(lab, 'virtune-acl-bad');
    const rw = path.join(dir, 'rw.sock');
    const cases: Array<[unknown, number, RegExp]> = [
      [{ rules: [{ users: ['root'], allow: ['tune.gpu'] }] }, 0o644, /unknown permission 'tune\.gpu'/],
      [{ rules: [{ users: ['root'], allow: ['undo'], guests: ['web-[1'] }] }, 0o644, /bad guest glob 'web-\[1'/],
      [{ rules: [{ users: ['root'], allow: ['undo'] }] }, 0o666, /writable by other users/],
    ];
    for (const [doc, mode, msg] of cases) {
      const f = path.join(dir, 'acl.json');
      writeFileSync(f, JSON.stringify(doc));
      chmodSync(f, mode);
      const r = await runCli(['--demo', '1', 'serve', '--listen', `unix:${rw}`, '--acl', f], { timeoutMs: 30_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(rw)).toBe(false);
    }
  });
});

