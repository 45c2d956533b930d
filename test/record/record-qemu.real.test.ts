// Recording real QEMU guests (TCG, real QMP sockets) on this host for 5 s with the real CLI: the
// test's guests are in every sample with their pid, QMP state and growing CPU counters; replay gives
// back exactly the snapshots live derivation made; the report lists them with a busy vCPU's CPU use.

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CapacityReport } from '../../src/engine/model/report.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { runCli } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';
import { expectedPercentiles, jsonLines, liveSnapshots, recordedSamples } from './helpers.js';

describe('record real QEMU guests (real CLI on this host)', () => {
  const lab = useLab();

  it('records 5 s of two guests, replays them exactly and reports them', async () => {
    const spin = await startQemu(lab, { kind: 'spin' });
    const io = await startQemu(lab, { kind: 'ioloop' });
    const dir = lab.tmpdir('rec-qemu');
    const file = path.join(dir, 'qemu.vtr');
    const rec = await runCli(['--json', 'record', '-o', file, '--duration', '5', '--qmp', spin.qmpSocket, '--qmp', io.qmpSocket], { timeoutMs: 60_000 });
    expect(rec.code, rec.stderr).toBe(0);
    const samples = recordedSamples(file);
    expect(samples.length).toBeGreaterThanOrEqual(4);
    for (const q of [spin, io]) {
      const mine = samples.map((s) => s.guests.find((g) => g.pid === q.pid));
      expect(mine.every((g) => g !== undefined && g.name === q.name && g.uuid === q.uuid)).toBe(true);
      expect(mine.some((g) => g!.state === 'running')).toBe(true);
      const first = mine[0]!.vcpus[0]!.runUsec as number;
      const last = mine[mine.length - 1]!.vcpus[0]!.runUsec as number;
      expect(last).toBeGreaterThan(first); // the guest's vCPU ran between the first and last sample
    }
    const replay = await runCli(['replay', file, '--json', '--speed', '20'], { timeoutMs: 60_000 });
    expect(replay.code, replay.stderr).toBe(0);
    expect(jsonLines(replay.stdout) as Snapshot[]).toEqual(liveSnapshots(samples));

    const r = await runCli(['report', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as CapacityReport;
    const g = report.guests.find((x) => x.name === spin.name);
    expect(g).toBeDefined();
    expect(g!.vcpus).toBe(1);
    // the report's percentiles are those of the recorded samples (how much CPU TCG got depends on the
    // shared machine; that it ran at all does not)
    const cpu = liveSnapshots(samples).filter((s) => s.intervalSec !== null)
      .map((s) => s.guests.find((x) => x.pid === spin.pid)?.cpu.usagePct).filter((v): v is number => typeof v === 'number');
    expect(g!.metrics.cpuPct).toEqual(expectedPercentiles(cpu));
    expect(g!.metrics.cpuPct!.p50).toBeGreaterThan(0);
    expect(report.guests.find((x) => x.name === io.name)).toBeDefined();
  });
});
