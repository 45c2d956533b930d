// A CPU group without a quota of its own (libvirt's vcpuN / emulator with cpu.max 'max') has frozen
// throttling counters — the kernel counts periods and throttling only for a group with a quota — so the
// host sampler reads its cpu.stat on settings ticks only and carries the last reading in between; a
// group with a quota is read every tick; a quota set between settings ticks is seen, with fresh
// counters, on the next settings tick. Fixture tree (cgroup v2 cannot run here): libvirt-systemd-v2.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import type { RawGuest, RawSample } from '../../src/engine/model/sample.js';
import { fixtureHost, guestOf, TASKS } from '../helpers/fixture-host.js';
import { useLab } from '../helpers/lab.js';
import { ManualClock } from '../helpers/manual-clock.js';

const lab = useLab();
const { all: ALL, tick: TICK, settings: SETTINGS } = TASKS;

const stat = (periods: number, throttled: number, usec: number): string =>
  `usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods ${periods}\nnr_throttled ${throttled}\nthrottled_usec ${usec}\n`;

const web = (s: RawSample): RawGuest => guestOf(s, 'libvirt:web01');

describe('CPU groups without a quota: counters read on settings ticks only', () => {
  it('carries an unlimited group between settings ticks, reads a limited one every tick, and sees a new quota at the next settings tick', async () => {
    const h = fixtureHost(lab, 'libvirt-systemd-v2');
    const dir = path.join(h.root, 'sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/libvirt');
    // vcpu0 keeps the fixture's quota (50000 100000), vcpu1 gets none
    writeFileSync(path.join(dir, 'vcpu1/cpu.max'), 'max 100000\n');
    writeFileSync(path.join(dir, 'vcpu0/cpu.stat'), stat(10, 2, 300));
    writeFileSync(path.join(dir, 'vcpu1/cpu.stat'), stat(0, 0, 0));
    const sampler = createHostSampler({ fs: h.fs, clock: new ManualClock() });
    lab.defer(() => sampler.close());
    const a = web(await sampler.sample({ tasks: ALL }));
    expect(a.vcpus[0]?.cpuGroup).toMatchObject({ quotaUsec: 50000, nrPeriods: 10, nrThrottled: 2, throttledUsec: 300 });
    expect(a.vcpus[1]?.cpuGroup).toMatchObject({ quotaUsec: 'max', periodUsec: 100000, nrPeriods: 0, nrThrottled: 0, throttledUsec: 0 });

    // between settings ticks: the limited group's counters move and are read; the unlimited one is carried
    writeFileSync(path.join(dir, 'vcpu0/cpu.stat'), stat(20, 5, 900));
    writeFileSync(path.join(dir, 'vcpu1/cpu.stat'), stat(7, 0, 0));
    const b = web(await sampler.sample({ tasks: TICK }));
    expect(b.vcpus[0]?.cpuGroup).toMatchObject({ nrPeriods: 20, nrThrottled: 5, throttledUsec: 900 });
    expect(b.vcpus[1]?.cpuGroup).toBe(a.vcpus[1]?.cpuGroup);

    // a settings tick reads every group again
    const c = web(await sampler.sample({ tasks: SETTINGS }));
    expect(c.vcpus[1]?.cpuGroup).toMatchObject({ quotaUsec: 'max', nrPeriods: 7, nrThrottled: 0 });

    // someone sets a quota on vcpu1 (virsh schedinfo / a direct write): still the carried reading until the
    // next settings tick (as the quota itself), then quota and counters together
    writeFileSync(path.join(dir, 'vcpu1/cpu.max'), '20000 100000\n');
    writeFileSync(path.join(dir, 'vcpu1/cpu.stat'), stat(12, 4, 500));
    const d = web(await sampler.sample({ tasks: TICK }));
    expect(d.vcpus[1]?.cpuGroup).toBe(c.vcpus[1]?.cpuGroup);
    const e = web(await sampler.sample({ tasks: SETTINGS }));
    expect(e.vcpus[1]?.cpuGroup).toMatchObject({ quotaUsec: 20000, nrPeriods: 12, nrThrottled: 4, throttledUsec: 500 });
    // from then on it is read every tick
    writeFileSync(path.join(dir, 'vcpu1/cpu.stat'), stat(22, 9, 1500));
    const f = web(await sampler.sample({ tasks: TICK }));
    expect(f.vcpus[1]?.cpuGroup).toMatchObject({ quotaUsec: 20000, nrPeriods: 22, nrThrottled: 9, throttledUsec: 1500 });
  });
});
