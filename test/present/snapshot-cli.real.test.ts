// `virtune --demo 12 snapshot` through the real CLI (a real demo host with real QMP sockets): the text
// table fits 80 columns, shows VCPU, RUNQ% and THROTTLE (no STEAL%), drops the ID column (demo names
// are unique), is sorted by CPU, and MEM includes hugepage-backed memory.

import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const MIB = 2 ** 20;
const parseShort = (t: string): number => {
  const m = /^([\d.]+)([KMGT]?)$/.exec(t);
  if (!m) return Number.NaN;
  return Number(m[1]) * ({ '': 1, K: 1024, M: MIB, G: 1024 * MIB, T: MIB * MIB }[m[2] as string] as number);
};

describe('virtune snapshot text table (demo host)', () => {
  it('fits 80 columns, sorted by CPU, with VCPU, RUNQ% and THROTTLE, and MEM with hugepages', async () => {
    const r = await runCli(['--demo', '12', '--interval', '0.5', 'snapshot'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.replace(/\n+$/, '').split('\n');
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    const h = lines.findIndex((l) => l.startsWith('NAME'));
    expect(h, r.stdout).toBeGreaterThan(0);
    const header = lines[h] as string;
    expect(header).toMatch(/\bVCPU\b/);
    expect(header).toMatch(/RUNQ%/);
    expect(header).toMatch(/THROTTLE/);
    expect(header).not.toMatch(/STEAL|\bID\b/);
    const titles = header.replace('▼', '').trim().split(/\s+/);
    const rows = lines.slice(h + 1).map((l) => l.trim().split(/\s+/));
    expect(rows).toHaveLength(12);
    const col = (t: string): number => titles.indexOf(t);
    const cpus = rows.map((c) => Number(c[col('CPU%')]));
    expect(cpus.every(Number.isFinite)).toBe(true);
    expect([...cpus].sort((a, b) => b - a)).toEqual(cpus);
    expect(new Set(rows.map((c) => c[0])).size).toBe(12);
    for (const c of rows) expect(c[col('VCPU')]).toMatch(/^\d+$/);

    // the demo's database guests back their memory with hugepages, which RSS leaves out
    const j = await runCli(['--demo', '12', '--interval', '0.5', 'snapshot', '--json'], { timeoutMs: 60_000 });
    const snap = JSON.parse(j.stdout) as { guests: Array<{ name: string; memory: { rssBytes: number; hugetlbBytes: number } }> };
    const huge = snap.guests.find((g) => g.memory.hugetlbBytes > 0);
    expect(huge, 'the demo has a guest on hugepages').toBeDefined();
    const row = rows.find((c) => c[0] === huge!.name) as string[];
    expect(parseShort(row[col('MEM')] as string)).toBeGreaterThanOrEqual(huge!.memory.hugetlbBytes * 0.95);
  });
});
