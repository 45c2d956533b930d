// Real end-to-end tests of `virtune tune / undo / keep` (the built CLI, the real collector and the real
// host): a QEMU guest in a cgroup v1 group made by the test, capped to 25 % through `virtune --root /
// tune … --yes` (measured ≤ 35 %), brought back above 80 % by `virtune undo`; the cpuset follows to the
// vCPU threads; without a terminal and without --yes nothing is applied (exit 2); --dry-run changes
// nothing; bad input is exit 2 with nothing changed; keep cancels a revert timer; a corrupt journal record
// (garbage written into its file) does not stop the other changes from being undone or reverted;
// `virtune changes` lists the journal as each step leaves it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';
import { liveGuest, measureCpuPct } from './live.js';

describe('virtune tune / undo through the CLI on the real host', () => {
  const lab = useLab();

  async function guestInGroup(kind: 'spin' | 'spinall' = 'spin', smp = 1) {
    const cg = lab.cgroupV1(['cpu', 'cpuacct', 'cpuset', 'blkio']);
    const q = await startQemu(lab, { kind, smp });
    cg.addProcess(q.pid);
    const dir = lab.tmpdir('cli-state');
    const globals = ['--root', '/', '--state-dir', path.join(dir, 'state'), '--audit-log', path.join(dir, 'audit.log')];
    return { cg, q, globals, dir };
  }

  it('quota 25% → ≤ 35% measured; virtune undo → above 80%; one audit line per step', async () => {
    const { cg, q, globals, dir } = await guestInGroup();
    const r = await runCli([...globals, '--json', 'tune', q.name, '--cpu-quota', '25%', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { applied: boolean; changeId: string; steps: unknown[] };
    expect(plan).toMatchObject({ guest: `qemu:${q.name}`, applied: true,
      steps: [{ kind: 'cgroup-write', path: `${cg.dir('cpu')}/cpu.cfs_quota_us`, from: '-1', to: '25000' }] });
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('25000');
    expect(await measureCpuPct(q.pid, 3000)).toBeLessThanOrEqual(35);
    const audit = readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'apply', guest: `qemu:${q.name}`, changeId: plan.changeId, old: '-1', new: '25000', result: 'ok', uid: 0 });
    // the journal as `virtune changes` shows it: applied, then undone
    const listed = await runCli([...globals, 'changes']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^CHANGE +GUEST +APPLIED +STATE +STEPS +REVERT IN$/),
      expect.stringMatching(new RegExp(`^${plan.changeId} +qemu:${q.name} +\\S+ +applied +1$`)),
    ]);
    const u = await runCli([...globals, 'undo']);
    expect(u.code).toBe(0);
    expect(u.stdout).toMatch(new RegExp(`undid change ${plan.changeId}`));
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('-1');
    expect(await measureCpuPct(q.pid, 3000)).toBeGreaterThan(80);
    const after = await runCli([...globals, '--json', 'changes']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual([expect.objectContaining({ changeId: plan.changeId, guest: `qemu:${q.name}`, state: 'undone' })]);
  });

  it("cpuset to one CPU: the vCPU threads' Cpus_allowed_list follows", async () => {
    const { q, globals } = await guestInGroup('spinall', 2);
    const r = await runCli([...globals, 'tune', q.name, '--cpuset', '0', '--yes']);
    expect(r.code).toBe(0);
    const g = await liveGuest(q, { cgroupRel: null });
    for (const v of g.vcpus) expect(readFileSync(`/proc/${v.tid}/status`, 'utf8')).toMatch(/^Cpus_allowed_list:\s*0$/m);
  });

  it('no terminal and no --yes: exit 2, says to pass --yes, nothing changed; --dry-run changes nothing; bad input exit 2', async () => {
    const { cg, q, globals } = await guestInGroup();
    const a = await runCli([...globals, 'tune', q.name, '--cpu-quota', '25%']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/pass --yes/);
    const d = await runCli([...globals, '--json', 'tune', q.name, '--cpu-quota', '25%', '--dry-run']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ applied: false, changeId: null });
    const b = await runCli([...globals, '--json', 'tune', q.name, '--cpu-quota', '500', '--yes']);
    expect(b.code).toBe(2);
    expect(JSON.parse(b.stdout)).toMatchObject({ error: { code: 2 } });
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(b.stderr).toMatch(/500 µs .* at least 1000 µs/);
    const c = await runCli([...globals, 'tune', 'no-such-guest', '--cpu-quota', '25%', '--yes']);
    expect(c.code).toBe(3);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('-1');
  });

  it('one corrupt journal record: the others are undone and reverted; it is named in one line and refused', async () => {
    const { cg, q, globals, dir } = await guestInGroup();
    const a = await runCli([...globals, '--json', 'tune', q.name, '--cpu-quota', '50%', '--yes']);
    expect(a.code).toBe(0);
    const idA = (JSON.parse(a.stdout) as { changeId: string }).changeId;
    const b = await runCli([...globals, '--json', 'tune', q.name, '--cpu-quota', '40%', '--yes']);
    expect(b.code).toBe(0);
    const idB = (JSON.parse(b.stdout) as { changeId: string }).changeId;
    const changes = path.join(dir, 'state', 'changes');
    writeFileSync(path.join(changes, `${idA}.json`), '\u0000garbage{{');
    // listed: the valid change, and the corrupt record named in one line on stderr
    const listed = await runCli([...globals, '--json', 'changes']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ changeId: string }>).map((c) => c.changeId)).toEqual([idB]);
    expect(listed.stderr.trim().split('\n')).toEqual([expect.stringContaining(`${path.join(changes, idA)}.json is corrupt (not valid JSON)`)]);
    // "the last change" is not known while a record is corrupt: refused, naming the file and why
    const last = await runCli([...globals, 'undo']);
    expect(last.code).toBe(1);
    expect(last.stderr.trim().split('\n')).toHaveLength(1);
    expect(last.stderr).toContain(`${path.join(changes, idA)}.json: not valid JSON`);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('40000');
    // the corrupt change itself: refused, nothing touched
    const bad = await runCli([...globals, 'undo', idA]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(`virtune: change ${idA}: its journal record is corrupt (not valid JSON); nothing was undone`);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('40000');
    // the other change: undone
    const good = await runCli([...globals, 'undo', idB]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('50000');
    // a change with a revert timer: the countdown lists the journal and sees it reverted
    const timed = await runCli([...globals, 'tune', q.name, '--cpu-quota', '30%', '--yes', '--revert-after', '1'], { timeoutMs: 60_000 });
    expect(timed.code).toBe(0);
    expect(timed.stderr).toMatch(/change \S+ reverted/);
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('50000');
    expect(readdirSync(changes).filter((f) => f.endsWith('.json'))).toHaveLength(3);
  });

  it('--revert-after with keep from another shell keeps the change', async () => {
    const { cg, q, globals, dir } = await guestInGroup();
    const tune = runCli([...globals, 'tune', q.name, '--cpu-quota', '50%', '--yes', '--revert-after', '20'], { timeoutMs: 60_000 });
    // the operator in another shell finds the pending change with `virtune changes`
    let id: string | null = null;
    for (let i = 0; i < 100 && id === null; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const l = await runCli([...globals, '--json', 'changes']);
      expect(l.code).toBe(0);
      id = (JSON.parse(l.stdout) as Array<{ changeId: string; state: string; revertAt: string | null }>)
        .find((c) => c.state === 'applied' && c.revertAt !== null)?.changeId ?? null;
    }
    expect(id).not.toBeNull();
    const shown = await runCli([...globals, 'changes']);
    expect(shown.stdout).toMatch(new RegExp(`^${id} .* applied +1  0:[0-2]\\d$`, 'm'));
    const k = await runCli([...globals, 'keep', id as string]);
    expect(k.code).toBe(0);
    const t = await tune;
    expect(t.code).toBe(0);
    expect(t.stderr).toMatch(new RegExp(`change ${id} kept`));
    expect(cg.read('cpu', 'cpu.cfs_quota_us').trim()).toBe('50000');
    const kept = await runCli([...globals, '--json', 'changes']);
    expect(JSON.parse(kept.stdout)).toEqual([expect.objectContaining({ changeId: id, state: 'kept', revertAt: null })]);
  });
});
