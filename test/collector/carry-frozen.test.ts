// Parts of a raw sample that rarely change are carried between samples as the same frozen object (the
// recorder's encoder skips such a subtree; record/codec): the host sampler on a fixture tree (cgroup v2
// cannot run here) keeps a guest's cgroup description, cgroup disk limits and vCPU CPU groups while they
// are unchanged and builds new ones when the files change; QMP limits are frozen and the libvirt
// enricher's iotune merge replaces such an object instead of writing into it.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { boundRawSample } from '../../src/collector/bounds.js';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { createLibvirtEnricher } from '../../src/collector/libvirt/enricher.js';
import { blankGuest } from '../../src/collector/libvirt/guest.js';
import { applyDisks } from '../../src/collector/qmp/guest-apply.js';
import { parseBlockLimits } from '../../src/collector/qmp/parse.js';
import type { RawGuest, RawSample, SourceErrorInfo } from '../../src/engine/model/sample.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { fixtureHost, guestOf, TASKS } from '../helpers/fixture-host.js';
import { useLab } from '../helpers/lab.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { cannedVirsh, fx } from '../libvirt/fixtures.js';

const lab = useLab();
const { all: ALL, tick: TICK, settings: SETTINGS } = TASKS;

const web = (s: RawSample): RawGuest => guestOf(s, 'libvirt:web01');

describe('unchanged parts carried as the same frozen object', () => {
  it('host sampler: cgroup, cgroup disk limits and vCPU groups kept while unchanged, rebuilt when the files change', async () => {
    const h = fixtureHost(lab, 'libvirt-systemd-v2');
    const sampler = createHostSampler({ fs: h.fs, clock: new ManualClock() });
    lab.defer(() => sampler.close());
    const a = web(await sampler.sample({ tasks: ALL }));
    const b = web(await sampler.sample({ tasks: TICK }));
    expect(b.cgroup).toBe(a.cgroup);
    expect(Object.isFrozen(b.cgroup)).toBe(true);
    const sdb = (g: RawGuest) => g.disks.find((d) => d.device === '8:16');
    expect(sdb(b)?.limits).toBe(sdb(a)?.limits);
    expect(Object.isFrozen(sdb(b)?.limits)).toBe(true);
    expect(b.vcpus[0]?.cpuGroup).toMatchObject({ quotaUsec: 50000, periodUsec: 100000 });
    expect(b.vcpus[0]?.cpuGroup).toBe(a.vcpus[0]?.cpuGroup);

    const scope = path.join(h.root, 'sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/libvirt');
    writeFileSync(path.join(scope, 'io.max'), '8:16 rbps=4194304 wbps=max riops=max wiops=120\n');
    writeFileSync(path.join(scope, 'vcpu0/cpu.max'), '20000 100000\n');
    const c = web(await sampler.sample({ tasks: SETTINGS }));
    expect(sdb(c)?.limits).toMatchObject({ readBytesPerSec: 4194304, writeIops: 120 });
    expect(sdb(a)?.limits.readBytesPerSec).toBe(2097152); // the earlier sample keeps what was read then
    expect(c.vcpus[0]?.cpuGroup).toMatchObject({ quotaUsec: 20000 });
    expect(a.vcpus[0]?.cpuGroup).toMatchObject({ quotaUsec: 50000 });
  });

  it('QMP limits are frozen; the libvirt enricher adds iotune limits by replacing the object', async () => {
    const limits = parseBlockLimits([{ device: 'virtio-disk0', qdev: 'virtio-disk0', inserted: { iops_rd: 0 } }]);
    expect(Object.isFrozen(limits.get('virtio-disk0'))).toBe(true);
    const g = blankGuest('qemu:web01', 'web01', 18624);
    g.manager = 'qemu';
    applyDisks(g, [{ name: 'virtio-disk0', source: 'qmp', device: null, qdev: 'virtio-disk0', readOps: 1, writeOps: 1, flushOps: 1, readBytes: 1,
      writeBytes: 1, readTimeUsec: 1, writeTimeUsec: 1, flushTimeUsec: 1, limits: limits.get('virtio-disk0')! }], limits);
    const shared = g.disks[0]!.limits;
    const root = lab.tmpdir('libvirt-frozen');
    mkdirSync(path.join(root, 'run/libvirt/qemu'), { recursive: true });
    writeFileSync(path.join(root, 'run/libvirt/qemu/web01.xml'), fx('status.xml'));
    writeFileSync(path.join(root, 'run/libvirt/qemu/web01.pid'), '18624');
    const fs = new NodeHostFs(root);
    lab.defer(() => fs.close());
    const errors: SourceErrorInfo[] = [];
    await createLibvirtEnricher({ runner: cannedVirsh(), fs, uri: null }).enrich([g], { tasks: new Set(['discovery', 'counters']), errors, monoMs: 0 });
    expect(g.disks).toHaveLength(1);
    expect(g.disks[0]?.limits).toMatchObject({ readIops: 50, writeIops: null });
    expect(shared.readIops).toBeNull();
  });

  it('the range check replaces a frozen part holding an impossible value by a corrected copy, leaving the shared one as it was', async () => {
    const h = fixtureHost(lab, 'libvirt-systemd-v2');
    const sampler = createHostSampler({ fs: h.fs, clock: new ManualClock() });
    lab.defer(() => sampler.close());
    const s = await sampler.sample({ tasks: ALL });
    const g = web(s);
    const bad = Object.freeze({ quotaUsec: 50000, periodUsec: 1, nrPeriods: 0, nrThrottled: 0, throttledUsec: 0 });
    g.vcpus[0]!.cpuGroup = bad;
    s.errors = [];
    expect(boundRawSample(s)).toBe(1);
    expect(g.vcpus[0]?.cpuGroup).toMatchObject({ quotaUsec: 50000, periodUsec: null });
    expect(bad.periodUsec).toBe(1);
    expect(s.errors).toEqual([expect.objectContaining({ source: 'bounds', message: expect.stringContaining('periodUsec') })]);
  });
});
