// Crash safety of tuning on cgroup v2 fixture trees (no v2 controllers on this machine): fault
// injection (FaultyFs) on the audit log, the journal's write and rename and each step; corrupt journal
// records; concurrent applies and an apply racing the revert timer under the state lock; symlinked
// state/audit directories under --root; explicit --state-dir/--audit-log taken as written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import type { ChangeRecord, TuningChange } from '../../src/engine/model/tuning.js';
import type { HostFs } from '../../src/engine/ports/host-fs.js';
import type { QmpConnector } from '../../src/engine/ports/qmp.js';
import { FlockStateLock } from '../../src/engine/node/state-lock.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { buildTuner } from '../../src/cli/engine-factory.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import { createTuner, JOURNAL_RECHECK_MS } from '../../src/tuning/tuner.js';
import { FaultyFs, type Fault } from '../helpers/faulty-fs.js';
import { runCli } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { RecordingRunner } from '../helpers/recording-runner.js';
import { rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';
import { V2_SCOPE, v2Host, type Tree } from './tree.js';

const noQmp: QmpConnector = { connect: async () => { throw new Error('no QMP in this test'); } };
const G = `/sys/fs/cgroup${V2_SCOPE}`;
const STATE = '/var/lib/virtune';
const AUDIT = '/var/log/virtune/audit.log';
const CALLER = { uid: 0, user: 'root', pid: 7, via: 'test' };
const FILES = ['cpu.max', 'cpu.weight', 'cpuset.cpus', 'io.max', 'memory.max'];

export function sample(): RawSample {
  const g = rawGuest('qemu:web01', { pid: 4242, cgroup: { path: V2_SCOPE, version: 2, own: true } });
  g.vcpus[0]!.tid = 4250; g.vcpus[1]!.tid = 4251;
  return rawSample(1000, rawHost({ cgroupVersion: 2 }), [g]);
}

/** five steps: cpu.max, cpu.weight, cpuset.cpus, io.max, memory.max */
const FIVE: TuningChange[] = [
  { kind: 'cpuQuota', quota: { kind: 'pct', pct: 50 } }, { kind: 'cpuWeight', value: 300, flag: 'cpu-weight' },
  { kind: 'cpuset', cpus: '1' }, { kind: 'io', device: 'vda', limits: { riops: 100 } }, { kind: 'memMax', bytes: 2 * 2 ** 30 },
];

function tunerOn(fs: HostFs, clock = new ManualClock()) {
  return createTuner({ lock: new FlockStateLock(), fs, runner: new RecordingRunner(), clock, qmp: noQmp, stateDir: STATE, auditLog: AUDIT, lockTimeoutMs: 5000 });
}

/** the files as the kernel would show them (a tree has no kernel: an all-max io.max rule reads as no rule) */
const snapshotFiles = (t: Tree): Record<string, string> => Object.fromEntries(FILES.map((f) => {
  const v = t.read(`${G}/${f}`).trim();
  return [f, f === 'io.max' ? v.split('\n').filter((l) => !/^\d+:\d+( \w+=max)+$/.test(l)).join('\n') : v];
}));

function records(t: Tree): ChangeRecord[] {
  const dir = path.join(t.root, STATE, 'changes');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ChangeRecord);
}

async function failure(p: Promise<unknown>): Promise<VirtuneError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(VirtuneError);
  return e as VirtuneError;
}

describe('fault injection: nothing half-applied, nothing unrecorded (cgroup v2 fixture tree, FaultyFs)', () => {
  const lab = useLab();

  const cases: Array<[string, Fault, RegExp, 'none' | 'rolled-back']> = [
    ['the audit log unwritable from the start', { match: AUDIT, errno: 'EACCES' }, /cannot write the audit log .*audit\.log.*rolled back/, 'rolled-back'],
    ['the audit log failing after two entries', { match: AUDIT, errno: 'ENOSPC', after: 2 }, /step 3 .*could not be recorded: cannot write the audit log/, 'rolled-back'],
    ['the journal unwritable (first record)', { match: (p) => p.endsWith('.json.tmp'), errno: 'EIO', ops: ['write'] }, /cannot write the undo journal .*nothing was changed/, 'none'],
    ['the journal rename failing after the first record', { match: (p) => p.startsWith(`${STATE}/changes`) && p.endsWith('.tmp'), errno: 'EIO', ops: ['write'], after: 6 }, /could not be recorded: cannot write the undo journal/, 'rolled-back'],
    ['step 1 refused by the kernel', { match: `${G}/cpu.weight`, errno: 'EINVAL', ops: ['write'] }, /step 1 failed: .*cpu\.weight.*rolled back: nothing/, 'rolled-back'],
    ['step 4 refused by the kernel', { match: `${G}/io.max`, errno: 'EINVAL', ops: ['write'] }, /step 4 failed: .*io\.max.*rolled back: .*cpuset\.cpus.*cpu\.max.*cpu\.weight/, 'rolled-back'],
    ['the last step refused', { match: `${G}/memory.max`, errno: 'EBUSY', ops: ['write'] }, /step 5 failed/, 'rolled-back'],
  ];
  for (const [name, fault, msg, state] of cases) {
    it(`${name}: exit 1, every file at its old value, the journal says what happened`, async () => {
      const t = v2Host(lab);
      const before = snapshotFiles(t);
      const fs = new FaultyFs(t.fs).inject(fault);
      const e = await failure(tunerOn(fs).apply({ guest: 'web01', changes: FIVE }, sample(), CALLER));
      expect(e.exitCode).toBe(1);
      expect(e.message).toMatch(msg);
      expect(e.message).not.toMatch(/Cannot read properties|undefined|TypeError/);
      expect(snapshotFiles(t)).toEqual(before);
      const recs = records(t);
      if (state === 'none') expect(recs).toEqual([]);
      else if (fault.match === STATE + '/changes' || typeof fault.match === 'function') {
        // the journal could not record the end state: a new engine finishes it and leaves it consistent
        expect(await tunerOn(t.fs).recover()).toBeDefined();
        expect(records(t).map((r) => r.state)).toEqual(['rolled-back']);
      } else {
        expect(recs.map((r) => r.state)).toEqual(['rolled-back']);
        expect(recs[0]!.failure).toMatch(/failed|could not be recorded/);
      }
      expect(snapshotFiles(t)).toEqual(before);
      // nothing is left to undo
      expect((await failure(tunerOn(t.fs).undo(null, CALLER))).exitCode).toBe(3);
    });
  }

  it('an audit log failing during the rollback does not stop the rollback', async () => {
    const t = v2Host(lab);
    const before = snapshotFiles(t);
    const fs = new FaultyFs(t.fs).inject({ match: `${G}/io.max`, errno: 'EINVAL', ops: ['write'] }).inject({ match: AUDIT, errno: 'EIO', after: 4 });
    const e = await failure(tunerOn(fs).apply({ guest: 'web01', changes: FIVE }, sample(), CALLER));
    expect(e.message).toMatch(/step 4 failed/);
    expect(snapshotFiles(t)).toEqual(before);
    expect(records(t).map((r) => r.state)).toEqual(['rolled-back']);
  });
});

describe('the journal (cgroup v2 fixture tree)', () => {
  const lab = useLab();

  it('a corrupt record is reported, not skipped: undo without an id refuses and names the file', async () => {
    const t = v2Host(lab);
    const a = await tunerOn(t.fs).apply({ guest: 'web01', changes: [FIVE[1]!] }, sample(), CALLER);
    t.write(`${STATE}/changes/20261125T170100-zzzz.json`, '{"changeId": "20261125T170100-zzzz", "sta');
    const e = await failure(tunerOn(t.fs).undo(null, CALLER));
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/corrupt records \(.*20261125T170100-zzzz\.json: not valid JSON\)/);
    // the listing keeps the valid records; the corrupt one is named (file and why) in one line
    const tuner = tunerOn(t.fs);
    expect((await tuner.changes()).map((r) => [r.changeId, r.state])).toEqual([[a.changeId, 'applied']]);
    expect(tuner.journalProblems!()).toEqual([
      `undo journal record ${STATE}/changes/20261125T170100-zzzz.json is corrupt (not valid JSON): it is not listed and cannot be undone; fix or remove the file`]);
    expect((await failure(tunerOn(t.fs).undo('20261125T170100-zzzz', CALLER))).message).toMatch(/record is corrupt .*nothing was undone/);
    expect(t.read(`${G}/cpu.weight`)).toBe('300');
    await tunerOn(t.fs).undo(a.changeId, CALLER);
    expect(t.read(`${G}/cpu.weight`)).toBe('100');
    expect((await tuner.changes()).map((r) => r.state)).toEqual(['undone']);
    expect(tuner.journalProblems!()).toHaveLength(1);
  });

  it('a record corrupted after it was read is named (by changes(), and by journalProblems() within JOURNAL_RECHECK_MS); removing it clears the report', async () => {
    const t = v2Host(lab);
    const clock = new ManualClock();
    const tuner = tunerOn(t.fs, clock);
    const other = tunerOn(t.fs, clock); // a daemon that read the journal before the damage
    expect(other.journalProblems!()).toEqual([]);
    const a = await tuner.apply({ guest: 'web01', changes: [FIVE[1]!] }, sample(), CALLER);
    const b = await tuner.apply({ guest: 'web01', changes: [{ kind: 'cpuWeight', value: 400, flag: 'cpu-weight' }] }, sample(), CALLER);
    expect((await tuner.changes()).map((r) => r.changeId)).toEqual([a.changeId, b.changeId]);
    const file = `${STATE}/changes/${a.changeId}.json`;
    expect(other.journalProblems!()).toEqual([]);
    t.write(file, JSON.stringify({ ...JSON.parse(t.read(file)) as object, state: 'half-done' }));
    clock.advance(JOURNAL_RECHECK_MS);
    expect(other.journalProblems!()).toEqual([expect.stringContaining(`${file} is corrupt (unknown state "half-done")`)]);
    expect((await tuner.changes()).map((r) => r.changeId)).toEqual([b.changeId]);
    expect(tuner.journalProblems!()).toEqual([expect.stringContaining(`${file} is corrupt (unknown state "half-done")`)]);
    const e = await failure(tuner.undo(a.changeId!, CALLER));
    expect([e.exitCode, e.message]).toEqual([1, `change ${a.changeId}: its journal record is corrupt (unknown state "half-done"); nothing was undone`]);
    await tuner.undo(b.changeId!, CALLER);
    expect(t.read(`${G}/cpu.weight`)).toBe('300');
    rmSync(path.join(t.root, file));
    expect(tuner.journalProblems!()).toEqual([]);
  });

  it('a step of unknown kind is never "undone" with success', async () => {
    const t = v2Host(lab);
    const a = await tunerOn(t.fs).apply({ guest: 'web01', changes: [FIVE[1]!] }, sample(), CALLER);
    const file = `${STATE}/changes/${a.changeId}.json`;
    const rec = JSON.parse(t.read(file)) as ChangeRecord;
    (rec.undoSteps[0] as unknown as { kind: string }).kind = 'teleport';
    t.write(file, JSON.stringify(rec));
    const e = await failure(tunerOn(t.fs).undo(a.changeId, CALLER));
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/corrupt \(a step of unknown kind "teleport"\); nothing was undone/);
  });

  it('an interrupted apply found by a new engine is rolled back first and audited as recovery', async () => {
    const t = v2Host(lab);
    const before = snapshotFiles(t);
    await tunerOn(t.fs).apply({ guest: 'web01', changes: FIVE }, sample(), CALLER);
    // simulate a process that died after step 3: files at the new value for steps 1-3, journal says so
    const [rec] = records(t);
    rec!.state = 'applying'; rec!.stepsDone = 2;
    t.write(`${STATE}/changes/${rec!.changeId}.json`, JSON.stringify(rec));
    t.write(`${G}/io.max`, before['io.max']!); t.write(`${G}/memory.max`, before['memory.max']!);
    const lines = await tunerOn(t.fs).recover();
    expect(lines).toEqual([expect.stringMatching(new RegExp(`interrupted change ${rec!.changeId} \\(qemu:web01\\) rolled back`))]);
    expect(snapshotFiles(t)).toEqual(before);
    expect(records(t).map((r) => r.state)).toEqual(['rolled-back']);
    const audit = t.read(AUDIT).trim().split('\n').map((l) => JSON.parse(l) as { action: string; result: string });
    expect(audit.filter((x) => x.action === 'recover').length).toBeGreaterThanOrEqual(2);
  });

  it('finished records are pruned beyond the kept number; the per-tick revert check parses only new files', async () => {
    const t = v2Host(lab);
    const fs = new FaultyFs(t.fs);
    let reads = 0;
    const counting = Object.assign(Object.create(Object.getPrototypeOf(fs) as object) as FaultyFs, fs, {
      readText: (p: string) => { if (p.includes('/changes/')) reads++; return fs.readText(p); },
    });
    const clock = new ManualClock();
    const tuner = tunerOn(counting, clock);
    await tuner.apply({ guest: 'web01', changes: [FIVE[1]!], revertAfterSec: 60 }, sample(), CALLER);
    await tuner.revertDue(clock.wallMs());
    const r0 = reads;
    for (let i = 0; i < 5; i++) expect(await tuner.revertDue(clock.wallMs())).toEqual([]);
    expect(reads - r0).toBe(0);
    expect((await tuner.revertDue(clock.wallMs() + 60_000)).length).toBe(1);
  });
});

describe('one change at a time (cgroup v2 fixture tree, flock state lock)', () => {
  const lab = useLab();

  it('two concurrent applies from two engines, then undo twice, restore the original values', async () => {
    const t = v2Host(lab);
    const before = snapshotFiles(t);
    const [a, b] = await Promise.all([
      tunerOn(t.fs).apply({ guest: 'web01', changes: [FIVE[1]!, FIVE[0]!] }, sample(), CALLER),
      tunerOn(t.fs).apply({ guest: 'web01', changes: [{ kind: 'cpuWeight', value: 700, flag: 'cpu-weight' }, FIVE[2]!] }, sample(), CALLER),
    ]);
    expect(a.changeId).not.toBe(b.changeId);
    // serialised: whichever ran second journalled the first one's new value as its "from"
    const weight = records(t).map((r) => r.plan.steps.find((s) => s.kind === 'cgroup-write' && s.path.endsWith('cpu.weight')) as { from: string; to: string });
    const first = weight.find((w) => w.from === '100');
    expect(first).toBeDefined();
    expect(weight.find((w) => w !== first)!.from).toBe(first!.to);
    await tunerOn(t.fs).undo(null, CALLER);
    await tunerOn(t.fs).undo(null, CALLER);
    expect(snapshotFiles(t)).toEqual(before);
  });

  it('an apply racing the revert timer, then undo of what is left, restores the original values', async () => {
    const t = v2Host(lab);
    const before = snapshotFiles(t);
    const clock = new ManualClock();
    const daemon = tunerOn(t.fs, clock);
    await daemon.apply({ guest: 'web01', changes: [FIVE[1]!, FIVE[3]!], revertAfterSec: 5 }, sample(), CALLER);
    const [reverted, second] = await Promise.all([
      daemon.revertDue(clock.wallMs() + 5000),
      tunerOn(t.fs, clock).apply({ guest: 'web01', changes: [{ kind: 'cpuWeight', value: 900, flag: 'cpu-weight' }, FIVE[4]!] }, sample(), CALLER),
    ]);
    expect(reverted).toHaveLength(1);
    expect(second.changeId).toBeTruthy();
    await tunerOn(t.fs).undo(null, CALLER);
    expect(await failure(tunerOn(t.fs).undo(null, CALLER)).then((e) => e.exitCode)).toBe(3);
    expect(snapshotFiles(t)).toEqual(before);
  });
});

describe('state and audit paths (fixture tree)', () => {
  const lab = useLab();

  for (const which of ['state', 'audit'] as const) {
    it(`a ${which} directory under --root that is a symlink leading out is refused; nothing changed`, async () => {
      const t = v2Host(lab);
      const before = snapshotFiles(t);
      const outside = lab.tmpdir('outside');
      const link = which === 'state' ? STATE : path.posix.dirname(AUDIT);
      mkdirSync(path.dirname(path.join(t.root, link)), { recursive: true });
      symlinkSync(outside, path.join(t.root, link));
      const e = await failure(tunerOn(t.fs).apply({ guest: 'web01', changes: FIVE }, sample(), CALLER));
      expect(e.exitCode).toBe(1);
      expect(e.message).toMatch(/outside the root/);
      expect(readdirSync(outside)).toEqual([]);
      expect(snapshotFiles(t)).toEqual(before);
    });
  }

  it('a control file in a captured tree is replaced by rename, never truncated in place', () => {
    const t = v2Host(lab);
    const inode = (): number => statSync(path.join(t.root, G, 'cpu.weight')).ino;
    const i0 = inode();
    t.fs.writeText(`${G}/cpu.weight`, '250');
    expect(t.read(`${G}/cpu.weight`)).toBe('250');
    expect(inode()).not.toBe(i0);
    expect(readdirSync(path.join(t.root, G)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('explicit --state-dir and --audit-log are taken as written; the defaults live under --root', async () => {
    const t = v2Host(lab);
    const mine = lab.tmpdir('explicit');
    const g = { root: t.root, demo: null, connect: null, qmp: [], intervalSec: 1, write: true, json: false, libvirtUri: null,
      stateDir: path.join(mine, 'state'), auditLog: path.join(mine, 'log', 'audit.log'), tokenFile: null };
    const fs = new NodeHostFs(t.root);
    lab.defer(() => fs.close());
    const tuner = buildTuner(g, fs, { runner: new ExecRunner(), clock: new SystemClock(), qmp: new SocketQmpConnector() });
    const a = await tuner.apply({ guest: 'web01', changes: [FIVE[1]!] }, sample(), CALLER);
    expect(existsSync(path.join(mine, 'state', 'changes', `${a.changeId}.json`))).toBe(true);
    expect(readFileSync(path.join(mine, 'log', 'audit.log'), 'utf8')).toContain(String(a.changeId));
    expect(existsSync(path.join(t.root, mine))).toBe(false);
    const d = buildTuner({ ...g, stateDir: null, auditLog: null }, fs, { runner: new ExecRunner(), clock: new SystemClock(), qmp: new SocketQmpConnector() });
    const b = await d.apply({ guest: 'web01', changes: [{ kind: 'cpuWeight', value: 50, flag: 'cpu-weight' }] }, sample(), CALLER);
    expect(existsSync(path.join(t.root, STATE, 'changes', `${b.changeId}.json`))).toBe(true);
  });
});

describe('kill -9 at every write of a five-step apply (cgroup v2 fixture tree, child processes)', () => {
  const lab = useLab();

  it('after each kill, a new engine leaves every file at its old value (or the change fully applied and undoable) and the journal consistent', async () => {
    const child = path.join(path.dirname(new URL(import.meta.url).pathname), 'crash-child.mjs');
    const input = path.join(lab.tmpdir('crash-input'), 'input.json');
    writeFileSync(input, JSON.stringify({ request: { guest: 'web01', changes: FIVE }, sample: sample(), stateDir: STATE, auditLog: AUDIT }));
    const outcomes: string[] = [];
    for (let n = 1; n < 200; n++) {
      const t = v2Host(lab);
      const before = snapshotFiles(t);
      const r = spawnSync(process.execPath, [child, t.root, input, String(n)], { encoding: 'utf8', timeout: 20_000 });
      if (r.status === 0) { outcomes.push('completed'); break; }
      expect(r.signal, `kill point ${n}: ${r.stderr}`).toBe('SIGKILL');
      await tunerOn(t.fs).recover();
      const recs = records(t);
      expect(recs.every((x) => ['rolled-back', 'applied'].includes(x.state)), `kill point ${n}: ${recs.map((x) => x.state).join()}`).toBe(true);
      if (recs.some((x) => x.state === 'applied')) {
        // killed after the change was complete and journalled: it is applied, and undo restores
        expect(snapshotFiles(t)).not.toEqual(before);
        await tunerOn(t.fs).undo(null, CALLER);
        outcomes.push('applied');
      } else {
        outcomes.push(recs.length === 0 ? 'nothing' : 'rolled-back');
      }
      expect(snapshotFiles(t), `kill point ${n}`).toEqual(before);
      // and the journal is usable: nothing left to undo
      expect((await failure(tunerOn(t.fs).undo(null, CALLER))).exitCode).toBe(3);
    }
    expect(outcomes[outcomes.length - 1]).toBe('completed');
    expect(outcomes.filter((o) => o === 'rolled-back').length).toBeGreaterThanOrEqual(10);
  }, 120_000);
});

describe('previews change nothing (cgroup v2 fixture tree, recorded commands)', () => {
  const lab = useLab();

  it('a --net preview never creates a namespace or tries a qdisc; tc features come from the module list or the cache an apply left', async () => {
    const t = v2Host(lab, { '/proc/4242/fdinfo/30': 'pos:\t0\nflags:\t02\niff:\tvnet0\n', '/proc/sys/kernel/osrelease': '6.1.0-test\n' });
    mkdirSync(path.join(t.root, 'proc/4242/fd'), { recursive: true });
    symlinkSync('/dev/net/tun', path.join(t.root, 'proc/4242/fd/30')); // the guest's tap descriptor
    const runner = new RecordingRunner().on((a) => a.includes('-j'), { stdout: '[]' }).on((a) => a[0] === 'ip' && a[1] === 'link', { code: 1, stderr: 'Device does not exist' });
    const mk = () => createTuner({ lock: new FlockStateLock(), fs: t.fs, runner, clock: new ManualClock(), qmp: noQmp, stateDir: STATE, auditLog: AUDIT });
    const net: TuningChange = { kind: 'net', ifname: 'vnet0', out: { rateKbit: 1000, peakKbit: null, burstBytes: null } };
    const p = await mk().preview({ guest: 'web01', changes: [net] }, sample());
    expect(runner.calls.map((c) => c.argv.join(' ')).filter((a) => /netns|qdisc add|filter add|link add/.test(a))).toEqual([]);
    expect(p.warnings.join('\n')).toMatch(/not known yet .* the preview assumes no sfq and no act_police/);
    expect(p.steps.some((s) => s.kind === 'exec' && s.argv.includes('ifb'))).toBe(true);
    // a module list answers without probing
    t.write('/proc/modules', 'sch_htb 40960 0 - Live 0x0\nsch_sfq 24576 0 - Live 0x0\nact_police 16384 0 - Live 0x0\n');
    const p2 = await mk().preview({ guest: 'web01', changes: [net] }, sample());
    expect(p2.warnings.join('\n')).not.toMatch(/not known yet/);
    expect(p2.steps.some((s) => s.kind === 'exec' && s.argv.includes('police'))).toBe(true);
    expect(runner.calls.map((c) => c.argv.join(' ')).filter((a) => /netns/.test(a))).toEqual([]);
  });
});

describe('messages', () => {
  it('a programming error reaches the operator as "internal error (TypeError)", never its JavaScript text', async () => {
    const { plainMessage } = await import('../../src/engine/model/errors.js');
    let e: unknown;
    try { (null as unknown as { x: number }).x; } catch (x) { e = x; }
    expect(plainMessage(e)).toBe('internal error (TypeError); please report it with the command that caused it');
    expect(plainMessage(new Error('socket closed\nstack'))).toBe('socket closed');
  });
});

describe('virtune revert-due (cgroup v2 fixture tree, the built CLI)', () => {
  const lab = useLab();

  it('reverts a change whose deadline passed while no virtune ran, finishes an interrupted one, and then has nothing due', async () => {
    const t = v2Host(lab);
    const before = snapshotFiles(t);
    // a change made an hour ago with --revert-after 60 whose process died; and one interrupted mid-apply
    const past = new ManualClock(1000, Date.now() - 3600_000);
    const a = await tunerOn(t.fs, past).apply({ guest: 'web01', changes: [FIVE[1]!], revertAfterSec: 60 }, sample(), CALLER);
    const b = await tunerOn(t.fs, past).apply({ guest: 'web01', changes: [FIVE[0]!, FIVE[2]!] }, sample(), CALLER);
    const rec = records(t).find((r) => r.changeId === b.changeId)!;
    rec.state = 'applying'; rec.stepsDone = 1;
    t.write(`${STATE}/changes/${rec.changeId}.json`, JSON.stringify(rec));
    const r = await runCli(['--root', t.root, '--json', 'revert-due']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { recovered: string[]; reverted: Array<{ changeId: string }> };
    expect(out.recovered).toEqual([expect.stringMatching(new RegExp(`interrupted change ${b.changeId} .* rolled back`))]);
    expect(out.reverted.map((x) => x.changeId)).toEqual([a.changeId]);
    expect(snapshotFiles(t)).toEqual(before);
    const again = await runCli(['--root', t.root, 'revert-due']);
    expect([again.code, again.stdout.trim()]).toEqual([0, 'nothing due']);
  });
});
