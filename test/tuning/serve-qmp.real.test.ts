// Real-component test of tuning through the daemon: `virtune serve` samples in a worker thread while its
// tuner lives in the main thread, and QEMU's monitor serves one client at a time. A bare QEMU guest with
// a dedicated `-qmp` socket is throttled through `--connect ... tune --disk-throttle` (the daemon's
// tuner must reach the monitor between the sampler's ticks), read back with query-block, then undone;
// the daemon's next snapshots show the limit in disks[].limits and its removal after the undo (the tick
// after a change re-reads QEMU's throttles, not only the slow QMP batch every 30 s).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startServe } from '../helpers/daemon.js';
import { useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';
import { qmpCall } from './live.js';

type Block = { device: string; inserted?: Record<string, unknown> };

describe('tuning a bare QEMU guest through virtune serve (sampler in a worker thread)', () => {
  const lab = useLab();

  it('--disk-throttle over --connect reaches the monitor the sampler also reads; undo restores it', async () => {
    const q = await startQemu(lab, { kind: 'ioloop', cacheNone: true });
    const dir = lab.tmpdir('serve-qmp');
    const sock = path.join(dir, 'rw.sock');
    const globals = ['--interval', '0.5', '--state-dir', path.join(dir, 'state'), '--audit-log', path.join(dir, 'audit.log')];
    await startServe(lab, globals, ['--listen', `unix:${sock}`], /read-write/);
    // the daemon has sampled the guest (its QMP data included) before we tune
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = await runCli(['--connect', `unix:${sock}`, 'snapshot', '--json']);
      const g = s.code === 0 ? (JSON.parse(s.stdout) as { guests: Array<{ name: string; disks: Array<{ name: string }> }> }).guests.find((x) => x.name === q.name) : undefined;
      if (g && g.disks.some((d) => d.name.includes('disk0'))) break;
      if (Date.now() > deadline) throw new Error(`the daemon never showed ${q.name} with its QMP disks: ${s.stderr}${s.stdout.slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const t = await runCli(['--connect', `unix:${sock}`, '--json', 'tune', `qemu:${q.name}`, '--disk-throttle', 'disk0:iops_rd=70', '--yes']);
    expect(t.stderr).not.toMatch(/timed out|timeout/i);
    expect(t.code).toBe(0);
    const plan = JSON.parse(t.stdout) as { applied: boolean; changeId: string };
    expect(plan.applied).toBe(true);
    let blocks = await qmpCall<Block[]>(q.qmpSocket, 'query-block');
    expect(blocks.find((b) => b.device === 'disk0')?.inserted?.iops_rd).toBe(70);
    // the snapshot shows it within a few 0.5 s ticks (well before the 30 s slow QMP batch)
    const readIops = async (): Promise<number | null | undefined> => {
      const s = await runCli(['--connect', `unix:${sock}`, 'snapshot', '--json']);
      expect(s.code, s.stderr).toBe(0);
      const g = (JSON.parse(s.stdout) as { guests: Array<{ name: string; disks: Array<{ name: string; limits: { readIops: number | null } }> }> })
        .guests.find((x) => x.name === q.name);
      return g?.disks.find((d) => d.name.includes('disk0'))?.limits.readIops;
    };
    const waitReadIops = async (want: number | null): Promise<number | null | undefined> => {
      let got = await readIops();
      for (let i = 0; i < 20 && got !== want; i++) { await new Promise((r) => setTimeout(r, 500)); got = await readIops(); }
      return got;
    };
    expect(await waitReadIops(70)).toBe(70);
    const u = await runCli(['--connect', `unix:${sock}`, 'undo', plan.changeId]);
    expect(u.code).toBe(0);
    blocks = await qmpCall<Block[]>(q.qmpSocket, 'query-block');
    expect(blocks.find((b) => b.device === 'disk0')?.inserted?.iops_rd).toBe(0);
    expect(await waitReadIops(null)).toBeNull();
  });
});
