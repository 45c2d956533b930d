// Real: QEMU TCG guests diagnosed the way a user runs it — `virtune why GUEST --json` samples the
// host itself for --window seconds. Two spinning guests pinned (cpuset cgroup v1) to the same host
// CPU are each other's noisy neighbour (cpu-contention); a spinning guest under a 20 % CFS quota is
// cpu-quota with a --cpu-quota fix; a disk-loop guest under a QMP iops_rd limit is disk-limit and its
// read latency percentiles (QEMU's block latency histograms) are there and ordered; a stopped guest is
// paused. The machine is shared and busy: the assertions are the verdict and the named neighbour.

import { describe, expect, it } from 'vitest';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import type { Diagnosis } from '../../src/engine/model/diagnosis.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { runCli } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';
import { startQemu, type QemuGuest } from '../helpers/qemu.js';

async function qmp(guest: QemuGuest, command: string, args?: Record<string, unknown>): Promise<unknown> {
  const ch = await new SocketQmpConnector().connect(guest.qmpSocket, { timeoutMs: 5000 });
  try {
    return await ch.execute(command, args, { timeoutMs: 5000 });
  } finally {
    await ch.close();
  }
}

async function why(guest: QemuGuest, windowSec: number): Promise<Diagnosis> {
  const r = await runCli(['why', `qemu:${guest.name}`, '--window', String(windowSec), '--json'], { timeoutMs: (windowSec + 40) * 1000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Diagnosis;
}

describe('virtune why on real QEMU guests', () => {
  const lab = useLab();

  it('two spinning guests pinned to the same host CPU: cpu-contention, each names the other as its CPU neighbour', async () => {
    const cpu = '1';
    const guests: QemuGuest[] = [];
    for (let i = 0; i < 2; i++) {
      const group = lab.cgroupV1(['cpuset']);
      group.write('cpuset', 'cpuset.cpus', cpu);
      const q = await startQemu(lab, { kind: 'spin' });
      group.addProcess(q.pid);
      guests.push(q);
    }
    const [a, b] = guests as [QemuGuest, QemuGuest];
    const [da, db] = await Promise.all([why(a, 8), why(b, 8)]);
    for (const [d, self, other] of [[da, a, b], [db, b, a]] as const) {
      expect(d.guest).toBe(`qemu:${self.name}`);
      expect(d.verdict, JSON.stringify(d)).toBe('cpu-contention');
      const c = d.causes[0];
      expect(c?.share).toBeGreaterThanOrEqual(0.1);
      expect(c?.evidence.cpus).toBe(cpu);
      expect(d.neighbours, JSON.stringify(d.neighbours)).toContainEqual(expect.objectContaining({
        guest: `qemu:${other.name}`, resource: 'cpu', evidence: expect.objectContaining({ sharedCpus: cpu }),
      }));
      const n = d.neighbours.find((x) => x.guest === `qemu:${other.name}`);
      expect(n?.share).toBeGreaterThan(0.2); // it took a real part of that CPU while this guest waited
    }
  });

  it('a spinning guest under a 20 % CFS quota: cpu-quota, and the fix raises --cpu-quota', async () => {
    const group = lab.cgroupV1(['cpu', 'cpuacct']);
    group.write('cpu', 'cpu.cfs_period_us', '100000');
    group.write('cpu', 'cpu.cfs_quota_us', '20000');
    const q = await startQemu(lab, { kind: 'spin' });
    group.addProcess(q.pid);
    const d = await why(q, 8);
    expect(d.verdict, JSON.stringify(d)).toBe('cpu-quota');
    const c = d.causes[0];
    expect(c?.share).toBeGreaterThan(0.5); // it wants a whole CPU and may use a fifth of one
    expect(c?.evidence.quotaPct).toBe(20);
    expect(c?.fix).toMatch(new RegExp(`^virtune tune qemu:${q.name} --cpu-quota \\d+%$`));
  });

  it('a disk-loop guest under a QMP iops_rd limit: disk-limit; its read latency p50/p99 are known and ordered', async () => {
    const q = await startQemu(lab, { kind: 'ioloop' });
    await qmp(q, 'block_set_io_throttle', { device: 'disk0', bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 20, iops_wr: 0 });
    // the first virtune to attach, one-shot: it turns the histograms on (QEMU creates them empty), so
    // the one snapshot of `virtune snapshot` (two samples) already has an interval to take percentiles over
    const r = await runCli(['snapshot', '--json'], { timeoutMs: 40_000 });
    expect(r.code, r.stderr).toBe(0);
    const last = JSON.parse(r.stdout) as Snapshot;
    const disk = last.guests.find((g) => g.pid === q.pid)?.disks.find((x) => x.name === 'disk0');
    const read = disk?.latencyMs.read;
    expect(read, JSON.stringify(disk)).not.toBeNull();
    expect(read?.p50).toBeGreaterThan(0);
    expect(read?.p50 as number).toBeLessThanOrEqual(read?.p90 as number);
    expect(read?.p90 as number).toBeLessThanOrEqual(read?.p99 as number);
    expect(disk?.latencyMs.flush).toBeNull(); // the loop never flushes: nothing measured, nothing made up
    const d = await why(q, 8);
    expect(d.verdict, JSON.stringify(d)).toBe('disk-limit');
    expect(d.causes[0]).toMatchObject({ evidence: { disk: 'disk0', limit: 'readIops', limitValue: 20 }, fix: `virtune tune qemu:${q.name} --disk-throttle disk0:iops_rd=40` });
  });

  it('a stopped guest: paused', async () => {
    const q = await startQemu(lab, { kind: 'spin' });
    await qmp(q, 'stop');
    const d = await why(q, 4);
    expect(d.verdict, JSON.stringify(d)).toBe('paused');
    expect(d.causes[0]).toMatchObject({ cause: 'paused', share: 1, evidence: { state: 'paused' } });
  });
});
