// The sampler under kernel errors mid-sample (FaultyFs on a fixture tree): a guest that vanished
// between discovery and reading is dropped; EACCES/ENODEV on one file is an `errors` entry and null;
// a throwing enricher is an `errors` entry; tids an enricher adds get their per-thread counters.
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import type { RawGuest } from '../../src/engine/model/sample.js';
import type { GuestEnricher, SampleTask } from '../../src/engine/ports/sources.js';
import { FaultyFs } from '../helpers/faulty-fs.js';
import { fixtureHost } from '../helpers/fixture-host.js';
import { useLab } from '../helpers/lab.js';
import { ManualClock } from '../helpers/manual-clock.js';

const ALL = new Set<SampleTask>(['discovery', 'counters', 'numa']);
const TICK = new Set<SampleTask>(['counters']);
const SCOPE = '/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope';

describe('sampler with a faulty filesystem', () => {
  const lab = useLab();
  const open = (enrichers: GuestEnricher[] = []) => {
    const h = fixtureHost(lab, 'libvirt-systemd-v2');
    const fs = new FaultyFs(h.fs);
    const sampler = createHostSampler({ fs, clock: new ManualClock(), enrichers });
    lab.defer(() => sampler.close());
    return { root: h.root, fs, sampler };
  };

  it('a guest whose process vanished after discovery (ENOENT in /proc, ENODEV in its cgroup) is dropped, not an error', async () => {
    const { root, fs, sampler } = open();
    const first = await sampler.sample({ tasks: ALL });
    expect(first.guests).toHaveLength(2);
    rmSync(path.join(root, 'proc/6100'), { recursive: true });
    fs.inject({ match: SCOPE, errno: 'ENODEV' });
    const s = await sampler.sample({ tasks: TICK });
    expect(s.guests.map((g) => g.id)).toEqual(['libvirt:db-02']);
    expect(s.errors.filter((e) => e.guest === 'libvirt:web01')).toEqual([]);
    // and it stays gone on the next ticks and after rediscovery
    expect((await sampler.sample({ tasks: TICK })).guests).toHaveLength(1);
    expect((await sampler.sample({ tasks: ALL })).guests).toHaveLength(1);
  });

  it('EACCES on one cgroup file: the guest is listed, the value is null and the failure is in errors', async () => {
    const { fs, sampler } = open();
    fs.inject({ match: `${SCOPE}/memory.current`, errno: 'EACCES' });
    const s = await sampler.sample({ tasks: ALL });
    const web = s.guests.find((g) => g.id === 'libvirt:web01') as RawGuest;
    expect(web.memory.currentBytes).toBeNull();
    expect(web.cpu.usageUsec).toBe(30_000_000);
    expect(s.errors).toEqual([expect.objectContaining({ guest: 'libvirt:web01', kind: 'permission', source: 'cgroup' })]);
  });

  it('ENODEV on a cgroup file while the process lives: kept, error kind vanished', async () => {
    const { fs, sampler } = open();
    await sampler.sample({ tasks: ALL });
    fs.inject({ match: `${SCOPE}/io.stat`, errno: 'ENODEV' });
    const s = await sampler.sample({ tasks: TICK });
    expect(s.guests).toHaveLength(2);
    expect(s.errors).toEqual([expect.objectContaining({ guest: 'libvirt:web01', kind: 'vanished' })]);
  });

  it('ENOENT on a vCPU thread mid-sample: that vCPU has null counters, the guest stays', async () => {
    const { fs, sampler } = open();
    await sampler.sample({ tasks: ALL });
    fs.inject({ match: '/proc/6100/task/6111/', errno: 'ENOENT' });
    const s = await sampler.sample({ tasks: TICK });
    const web = s.guests.find((g) => g.id === 'libvirt:web01') as RawGuest;
    expect(web.vcpus[1]).toMatchObject({ tid: 6111, runUsec: null, lastCpu: null });
    expect(web.vcpus[0]?.runUsec).toBe(5_000_000);
  });

  it('a throwing enricher becomes an errors entry; tids an enricher adds get schedstat', async () => {
    const boom: GuestEnricher = { name: 'qmp', enrich: async () => { throw new Error('socket hung'); }, close: async () => {} };
    const adder: GuestEnricher = {
      name: 'libvirt',
      enrich: async (guests) => {
        const g = guests.find((x) => x.id === 'libvirt:web01');
        if (g) g.vcpus = [{ index: 0, tid: 6111, source: 'libvirt', runUsec: null, waitUsec: null, timeslices: null, lastCpu: null, cpusAllowed: null, cgroupPath: null }];
      },
      close: async () => {},
    };
    const { sampler } = open([boom, adder]);
    const s = await sampler.sample({ tasks: ALL });
    expect(s.errors).toEqual([{ source: 'qmp', guest: null, message: 'socket hung' }]);
    expect(s.guests.find((g) => g.id === 'libvirt:web01')?.vcpus[0]).toMatchObject({ tid: 6111, source: 'libvirt', runUsec: 10_000_000 });
  });

  it('discovery under EACCES on /proc/<pid>/cgroup: the guest is still found (no cgroup), never a crash', async () => {
    const { fs, sampler } = open();
    fs.inject({ match: '/proc/6200/cgroup', errno: 'EACCES' });
    const s = await sampler.sample({ tasks: ALL });
    const db = s.guests.find((g) => g.id === 'libvirt:db-02') as RawGuest;
    expect(db.cgroup).toBeNull();
    expect(db.cpu.usageUsec).not.toBeNull();
    expect(s.errors.some((e) => e.kind === 'permission')).toBe(true);
  });
});
