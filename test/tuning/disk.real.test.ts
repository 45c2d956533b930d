// Real-component tests of disk tuning: a real QEMU guest whose boot sector reads its disk forever
// (cache=none, so reads reach the block layer), tuned through the Tuner: a cgroup v1 read-IOPS limit
// of 50 on the image's backing device, and separately a QMP iops_rd limit of 50; measured read IOPS
// (query-blockstats over 3 s) must be within 20 % of 50. Undo removes both.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';
import { CALLER, liveGuest, liveSample, measureReadIops, qmpCall, realTuner } from './live.js';

/** MAJ:MIN of the block device holding a file (Linux dev_t encoding). */
function backingDevice(file: string): string {
  const dev = statSync(file).dev;
  const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
  return `${major}:${minor}`;
}

describe('disk tuning on a real QEMU guest', () => {
  const lab = useLab();

  it('cgroup v1 read-IOPS limit of 50 on the backing disk: measured read IOPS within 20 % of 50; undo lifts it', async () => {
    const cg = lab.cgroupV1(['cpu', 'cpuacct', 'cpuset', 'blkio']);
    const q = await startQemu(lab, { kind: 'ioloop', cacheNone: true });
    cg.addProcess(q.pid);
    const dev = backingDevice(q.image);
    const raw = liveSample([await liveGuest(q, { cgroupRel: cg.rel })]);
    const { tuner } = realTuner(lab);
    const plan = await tuner.apply({ guest: q.name, changes: [{ kind: 'io', device: dev, limits: { riops: 50 } }] }, raw, CALLER);
    expect(plan.steps).toEqual([{ kind: 'cgroup-write', path: `${cg.dir('blkio')}/blkio.throttle.read_iops_device`,
      from: `${dev} 0`, to: `${dev} 50`, note: expect.any(String) as string }]);
    await new Promise((r) => setTimeout(r, 500));
    const iops = await measureReadIops(q.qmpSocket, 'disk0', 3000);
    expect(iops).toBeGreaterThanOrEqual(40);
    expect(iops).toBeLessThanOrEqual(60);
    await tuner.undo(plan.changeId, CALLER);
    expect(cg.read('blkio', 'blkio.throttle.read_iops_device').trim()).toBe('');
    expect(await measureReadIops(q.qmpSocket, 'disk0', 2000)).toBeGreaterThan(100); // clearly above the lifted limit of 50
  });

  it('QMP iops_rd=50: block_set_io_throttle with all six values, measured within 20 % of 50; undo restores query-block', async () => {
    const q = await startQemu(lab, { kind: 'ioloop', cacheNone: true });
    const g = await liveGuest(q, { cgroupRel: null });
    const { tuner } = realTuner(lab);
    const plan = await tuner.apply({ guest: g.id, changes: [{ kind: 'diskThrottle', disk: 'disk0', args: { iops_rd: 50 } }] }, liveSample([g]), CALLER);
    const step = plan.steps[0];
    expect(step).toMatchObject({ kind: 'qmp', command: 'block_set_io_throttle', socket: q.qmpSocket,
      arguments: { device: 'disk0', bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 50, iops_wr: 0 },
      from: { device: 'disk0', bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 0, iops_wr: 0 } });
    await new Promise((r) => setTimeout(r, 500));
    const iops = await measureReadIops(q.qmpSocket, 'disk0', 3000);
    expect(iops).toBeGreaterThanOrEqual(40);
    expect(iops).toBeLessThanOrEqual(60);
    await tuner.undo(plan.changeId, CALLER);
    const blocks = await qmpCall<Array<{ device: string; inserted?: Record<string, unknown> }>>(q.qmpSocket, 'query-block');
    expect(blocks.find((b) => b.device === 'disk0')?.inserted?.iops_rd).toBe(0);
  });
});
