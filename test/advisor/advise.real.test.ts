// `virtune advise` on this machine's real host (one NUMA node): the --need answer agrees with the real
// `numad -w` (Debian numad 20150602, which samples the nodes twice 2 s apart), a real QEMU guest is
// advised from its real numa_maps, and --host / --lint answer with JSON arrays.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireCommand, useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';

const exec = promisify(execFile);

async function both(need: string): Promise<{ numad: string; advice: { nodeset: string | null; cpus: string | null; nodes: unknown[] } }> {
  requireCommand('numad');
  const [n, v] = await Promise.all([
    exec('numad', ['-w', need], { timeout: 20_000 }),
    runCli(['advise', '--need', need, '--json'], { timeoutMs: 30_000 }),
  ]);
  expect(v.code, v.stderr).toBe(0);
  return { numad: n.stdout.trim(), advice: JSON.parse(v.stdout) };
}

describe('virtune advise on the real host', () => {
  const lab = useLab();

  it('--need 2:64 gives the same nodeset as numad -w 2:64', async () => {
    const { numad, advice } = await both('2:64');
    expect(numad).toMatch(/^[\d,-]+$/);
    expect(advice.nodeset).toBe(numad);
    expect(advice.nodes.length).toBeGreaterThan(0);
    expect(advice.cpus).toMatch(/^[\d,-]+$/);
  });

  it('--need 0.5:1024 gives the same nodeset as numad -w 0.5:1024', async () => {
    const { numad, advice } = await both('0.5:1024');
    expect(advice.nodeset).toBe(numad);
  });

  it('advises a real QEMU guest from its numa_maps: stays on its node, nothing to migrate', async () => {
    const q = await startQemu(lab, { kind: 'spin', memMiB: 128 });
    const r = await runCli(['advise', q.name, '--json'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const a = JSON.parse(r.stdout) as { guest: string; nodeset: string; migrateBytes: number | null; need: { vcpus: number; memMiB: number } };
    expect(a.guest).toBe(`qemu:${q.name}`);
    expect(a.need.vcpus).toBe(1);
    expect(a.need.memMiB).toBeGreaterThan(0);
    // one node on this machine: all its memory is already there
    expect(a.nodeset).toBe('0');
    expect(a.migrateBytes).toBe(0);
  });

  it('--apply --dry-run turns the advice into a cpuset + nodeset plan through the tuning engine and changes nothing', async () => {
    const q = await startQemu(lab, { kind: 'spin', smp: 2 });
    const node0Cpus = readFileSync('/sys/devices/system/node/node0/cpulist', 'utf8').trim();
    const cgBefore = readFileSync(`/proc/${q.pid}/cgroup`, 'utf8');
    const r = await runCli(['advise', q.name, '--apply', '--dry-run', '--isolate', '--json'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { guest: string; applied: boolean; steps: Array<{ kind: string; path?: string; to?: string }> };
    expect(plan.guest).toBe(`qemu:${q.name}`);
    expect(plan.applied).toBe(false);
    const writes = plan.steps.filter((s) => s.kind === 'cgroup-write');
    expect(writes.some((s) => s.path?.endsWith('/cpuset.mems') && s.to === '0')).toBe(true);
    expect(writes.some((s) => s.path?.endsWith('/cpuset.cpus') && s.to === node0Cpus)).toBe(true);
    expect(readFileSync(`/proc/${q.pid}/cgroup`, 'utf8')).toBe(cgBefore);
  });

  it('--host on a one-node host proposes no moves; --lint answers a JSON array of findings', async () => {
    const h = await runCli(['advise', '--host', '--json'], { timeoutMs: 30_000 });
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout)).toEqual([]);
    const l = await runCli(['advise', '--lint', '--json'], { timeoutMs: 30_000 });
    expect(l.code, l.stderr).toBe(0);
    const f = JSON.parse(l.stdout) as Array<{ rule: string; severity: string }>;
    expect(Array.isArray(f)).toBe(true);
    for (const x of f) expect(['info', 'warning', 'error']).toContain(x.severity);
  });
});
