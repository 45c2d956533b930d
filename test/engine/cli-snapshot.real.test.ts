// The snapshot and watch commands as real processes (dist/cli/main.js): on this machine's real host
// (--root /), on the demo host, the interactive watch's fallback to the demo when the host has no
// guests (never with --json), and bad input.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const hostUptimeSec = (): number => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);

describe('virtune snapshot / watch (real processes)', () => {
  it('snapshot --json samples twice --interval apart and prints one contract snapshot of the real host', async () => {
    const upBefore = hostUptimeSec();
    const r = await runCli(['snapshot', '--json', '--interval', '0.3', '--root', '/']);
    const upAfter = hostUptimeSec();
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0]!);
    expect(s.schemaVersion).toBe(1);
    expect(s.demo).toBe(false);
    // the two samples' counters were read at least --interval apart (the first, slow sample ends first)
    expect(s.intervalSec).toBeGreaterThan(0.29);
    expect(s.host.cpuUsagePct).toBeGreaterThanOrEqual(0);
    expect(s.host.cpuCount).toBeGreaterThan(0);
    // the host's own uptime, read while the command ran (not how long virtune ran)
    expect(s.host.uptimeSec).toBeGreaterThan(0);
    expect(s.host.uptimeSec).toBeGreaterThanOrEqual(upBefore - 1);
    expect(s.host.uptimeSec).toBeLessThanOrEqual(upAfter + 1);
    expect(Array.isArray(s.guests)).toBe(true);
  });

  it('snapshot --root on captured trees: uptime from the tree\'s proc/uptime, null when the capture has none', async () => {
    const withIt = await runCli(['snapshot', '--json', '--interval', '0.1', '--root', 'test/fixtures/hosts/libvirt-v1']);
    expect(withIt.code, withIt.stderr).toBe(0);
    expect(JSON.parse(withIt.stdout).host.uptimeSec).toBe(864123.45);
    const without = await runCli(['snapshot', '--json', '--interval', '0.1', '--root', 'test/fixtures/hosts/bare-qemu']);
    expect(without.code, without.stderr).toBe(0);
    expect(JSON.parse(without.stdout).host.uptimeSec).toBeNull();
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
    // the demo host has an uptime of its own, and it moves
    expect(snaps[0].host.uptimeSec).toBeGreaterThan(0);
    expect(snaps[2].host.uptimeSec).toBeGreaterThan(snaps[0].host.uptimeSec);
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
