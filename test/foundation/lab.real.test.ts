// Real-component test of the Lab helper itself: what it creates exists while the test runs and is
// gone afterwards (checked in the next test).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAlive, useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';

const seen: { netns?: string; cgroup?: string; pid?: number; qemuPid?: number } = {};

describe('Lab helper (real netns, cgroup v1, processes, QEMU)', () => {
  const lab = useLab();

  it('creates a netns, a cgroup v1 group with a process in it, and a QEMU guest', async () => {
    seen.netns = lab.netns();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(seen.netns);
    const g = lab.cgroupV1(['cpu', 'cpuacct', 'cpuset']);
    seen.cgroup = g.dir('cpu');
    const child = lab.spawn(['sleep', '60']);
    seen.pid = child.pid as number;
    g.addProcess(seen.pid);
    expect(g.read('cpu', 'tasks')).toContain(String(seen.pid));
    expect(() => lab.cgroupV1(['memory'])).toThrow(/never create cgroups under 'memory'/);
    const q = await startQemu(lab, { kind: 'spin' });
    seen.qemuPid = q.pid;
    expect(isAlive(q.pid)).toBe(true);
  });

  it('cleaned up everything the previous test made', () => {
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(seen.netns as string);
    expect(existsSync(seen.cgroup as string)).toBe(false);
    expect(isAlive(seen.pid as number)).toBe(false);
    expect(isAlive(seen.qemuPid as number)).toBe(false);
  });
});
