// The snapshot and watch commands as real processes (dist/cli/main.js): on this machine's real host
// (--root /), on the demo host, the interactive watch's fallback to the demo when the host has no
// guests (never with --json), and bad input.

import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('virtune snapshot / watch (real processes)', () => {
  it('snapshot --json samples twice --interval apart and prints one contract snapshot of the real host', async () => {
    const r = await runCli(['snapshot', '--json', '--interval', '0.3', '--root', '/']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0]!);
    expect(s.schemaVersion).toBe(1);
    expect(s.demo).toBe(false);
    expect(s.intervalSec).toBeGreaterThan(0.2);
    expect(s.host.cpuUsagePct).toBeGreaterThanOrEqual(0);
    expect(s.host.cpuCount).toBeGreaterThan(0);
    expect(Array.isArray(s.guests)).toBe(true);
  });

  it('watch --count 3 --json prints three snapshots, one object per line, with rates', async () => {
    const r = await runCli(['--demo', '3', '--interval', '0.2', 'watch', '--count', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const snaps = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(snaps).toHaveLength(3);
    for (const s of snaps) {
      expect(s.demo).toBe(true);
      expect(s.guests).toHaveLength(3);
      expect(s.guests[0].cpu.usagePct).not.toBeNull();
    }
  });

  it('the human table names the host and one row per guest', async () => {
    const r = await runCli(['--demo', '2', '--interval', '0.5', 'snapshot']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^DEMO host .* cpu (\d+\.\d%|-) of \d+ CPUs \(100% = one CPU\)/);
    const header = lines.findIndex((l) => /^NAME\s+VCPU\s+.*CPU%/.test(l));
    expect(header, r.stdout).toBeGreaterThan(0);
    expect(lines.slice(header + 1).filter((l) => /^\S+\s+\d+\s+\d/.test(l))).toHaveLength(2);
  });

  it('watch on a host without guests falls back to the demo (note on stderr); --json never does', async () => {
    const human = await runCli(['--interval', '0.2', 'watch', '--count', '1']);
    const json = await runCli(['--interval', '0.2', 'watch', '--count', '1', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const real = JSON.parse(json.stdout);
    expect(real.demo).toBe(false);
    expect(human.code, human.stderr).toBe(0);
    if (real.guests.length === 0) {
      expect(human.stderr).toMatch(/showing the demo host/);
      expect(human.stdout).toMatch(/^DEMO host/);
    } else {
      expect(human.stderr).not.toMatch(/demo/);
    }
  });

  it('bad --count is a usage error (exit 2)', async () => {
    const r = await runCli(['watch', '--count', 'zero', '--root', '/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--count/);
  });
});
