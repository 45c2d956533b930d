// Real libvirtd and TCG domains, watched by the built CLI exactly as a user runs it: one long-lived
// virsh session and no further virsh process over many ticks (counted by a logging shim first on
// PATH), no "custom-monitor" taint on the domains (with a positive control that the log check sees
// one), each virtual disk once with its target beside the qdev id (host devices in blockDevices[]),
// a per-vCPU quota (libvirt's vcpuN group) visible with its throttling, checked against the
// group's cpu.stat and domstats; per-guest PSI from the unified tree of this hybrid host; and, through the sampler, a domain's start and stop noticed on the
// very next tick (not a discovery tick).

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GuestSnap, Snapshot } from '../../src/engine/model/snapshot.js';
import type { RawGuest } from '../../src/engine/model/sample.js';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { createLibvirtEnricher } from '../../src/collector/libvirt/enricher.js';
import { VirshSession } from '../../src/collector/qmp/virsh-channel.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { NodeProcessStarter } from '../../src/engine/node/process-starter.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { parseDomstats } from '../../src/collector/libvirt/parse-virsh.js';
import { runCli } from '../helpers/cli.js';
import { useLibvirt, virsh, type LibvirtDomain } from '../helpers/libvirt.js';

const lv = useLibvirt();
// 2 % of a CPU: low enough that the spinning vCPU reaches it even on a busy shared machine
const VCPU_QUOTA = 2_000;
const VCPU_PERIOD = 100_000;
let spin: LibvirtDomain;
let other: LibvirtDomain;

const qemuLog = (d: LibvirtDomain): string => readFileSync(`/var/log/libvirt/qemu/${d.name}.log`, 'utf8');

/** nr_periods / nr_throttled of a v1 cpu group */
function cpuStat(dir: string): { periods: number; throttled: number } {
  const t = readFileSync(path.join(dir, 'cpu.stat'), 'utf8');
  return { periods: Number(/nr_periods (\d+)/.exec(t)?.[1]), throttled: Number(/nr_throttled (\d+)/.exec(t)?.[1]) };
}

function vcpuTimeNs(name: string, index: number): number {
  const s = parseDomstats(virsh('domstats', '--raw', '--vcpu', name))[0];
  const v = s?.vcpuStats.find((x) => x.index === index);
  if (!v || v.timeUsec === null) throw new Error(`domstats has no vcpu.${index}.time for ${name}`);
  return v.timeUsec * 1000;
}

describe('libvirt guests watched by virtune (real libvirtd)', () => {
  beforeAll(async () => {
    spin = await lv.startDomain({ kind: 'spin', vcpus: 2, nic: false });
    other = await lv.startDomain({ kind: 'spin', vcpus: 1, nic: false });
    // <cputune><quota> on the live domain: libvirt writes it into each vcpuN/cpu.cfs_quota_us
    virsh('schedinfo', spin.name, '--live', `vcpu_quota=${VCPU_QUOTA}`, `vcpu_period=${VCPU_PERIOD}`);
  }, 120_000);

  it('watch: one virsh process for 8 ticks, one disk entry per virtual disk with its target, the per-vCPU quota and its throttling, no taint', async () => {
    const shims = lv.lab.tmpdir('virsh-shim');
    const log = path.join(shims, 'spawns.log');
    for (const prog of ['virsh']) {
      writeFileSync(path.join(shims, prog), `#!/bin/sh\necho "${prog} $*" >> '${log}'\nexec /usr/bin/${prog} "$@"\n`);
      chmodSync(path.join(shims, prog), 0o755);
    }
    const groupDir = (g: GuestSnap): string => `/sys/fs/cgroup/cpu${g.cgroup?.path ?? '/nowhere'}/vcpu0`;
    const before = { timeNs: vcpuTimeNs(spin.name, 0), at: Date.now() };
    const r = await runCli(['watch', '--json', '--interval', '1', '--count', '8'], {
      timeoutMs: 90_000, env: { PATH: `${shims}:${process.env.PATH ?? ''}`, CI: process.env.CI ?? '' },
    });
    const after = { timeNs: vcpuTimeNs(spin.name, 0), at: Date.now() };
    expect(r.code, r.stderr).toBe(0);
    const snaps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Snapshot);
    expect(snaps).toHaveLength(8);

    // zero virsh processes per tick: the one session, started once
    const spawned = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '') : [];
    expect(spawned).toHaveLength(1);
    expect(spawned[0]).toMatch(/^virsh -q( -c \S+)?$/);

    const mine = snaps.map((s) => s.guests.find((g) => g.name === spin.name) as GuestSnap);
    for (const g of mine) {
      expect(g).toBeDefined();
      expect(g.id).toBe(`libvirt:${spin.name}`);
      expect(g.state).toBe('running');
      // one entry per virtual disk, named by its qdev id with its target beside it; the host device apart
      expect(g.disks.map((d) => [d.name, d.target, d.source])).toEqual([['virtio-disk0', 'vda', 'libvirt']]);
      expect(g.blockDevices.every((d) => d.source === 'cgroup' && d.target === null)).toBe(true);
    }
    // per-guest PSI on this hybrid host: from the guest's group in the unified (v2) tree
    const psiFile = `/sys/fs/cgroup/unified${mine[0]?.cgroup?.path ?? '/nowhere'}/cpu.pressure`;
    expect(existsSync(psiFile), psiFile).toBe(true);
    for (const g of mine.slice(1)) {
      expect(g.psi.cpuSomePct).toEqual(expect.any(Number));
      expect(g.psi.ioSomePct).toEqual(expect.any(Number));
    }
    // the per-vCPU quota as the kernel holds it
    const last = mine[mine.length - 1] as GuestSnap;
    const dir = groupDir(last);
    expect(Number(readFileSync(path.join(dir, 'cpu.cfs_quota_us'), 'utf8'))).toBe(VCPU_QUOTA);
    expect(last.vcpus[0]).toMatchObject({ quotaUsec: VCPU_QUOTA, periodUsec: VCPU_PERIOD, quotaUnlimited: false });
    expect(last.cpu.quotaUnlimited).toBe(false);
    // throttling: the spinning vCPU 0 is held to 2 % and throttled in most periods; virtune's figure
    // against the group's own cpu.stat over a fresh window, and its usage against domstats' vcpu.0.time
    const throttled = mine.slice(1).map((g) => g.vcpus[0]?.throttledPct as number);
    const s0 = cpuStat(dir);
    await new Promise((res) => setTimeout(res, 3000));
    const s1 = cpuStat(dir);
    const kernelPct = ((s1.throttled - s0.throttled) / (s1.periods - s0.periods)) * 100;
    const seen = `virtune ${JSON.stringify(throttled)}, kernel ${kernelPct.toFixed(1)} %`;
    expect(kernelPct, seen).toBeGreaterThan(30);
    const meanThrottled = throttled.reduce((a, b) => a + b, 0) / throttled.length;
    expect(meanThrottled, seen).toBeGreaterThan(30);
    expect(Math.abs(meanThrottled - kernelPct), seen).toBeLessThan(30);
    expect(Math.min(...mine.slice(1).map((g) => g.cpu.throttledPct as number))).toBeGreaterThan(10);
    const usage = mine.slice(1).map((g) => g.vcpus[0]?.usagePct as number);
    const meanUsage = usage.reduce((a, b) => a + b, 0) / usage.length;
    const domstatsPct = ((after.timeNs - before.timeNs) / ((after.at - before.at) * 1e6)) * 100;
    const use = `virtune ${JSON.stringify(usage)}, domstats ${domstatsPct.toFixed(2)} %`;
    expect(meanUsage, use).toBeLessThan(VCPU_QUOTA / VCPU_PERIOD * 100 + 3);
    expect(Math.abs(meanUsage - domstatsPct), use).toBeLessThan(3);

    // no "custom-monitor" taint: virtune never used qemu-monitor-command ...
    const taints = (d: LibvirtDomain): string[] => qemuLog(d).split('\n').filter((l) => /taint/.test(l));
    expect(taints(spin).join('\n')).not.toMatch(/custom-monitor/);
    expect(taints(other).join('\n')).not.toMatch(/custom-monitor/);
    // ... and the check would see one (positive control on the other domain)
    virsh('qemu-monitor-command', other.name, '{"execute":"query-status"}');
    expect(qemuLog(other)).toMatch(/tainted: custom-monitor/);
  });

  it('a domain started or stopped between two ticks is seen on the next tick, which is not a discovery tick', async () => {
    const fs = new NodeHostFs('/');
    const session = new VirshSession({ starter: new NodeProcessStarter(), uri: lv.uri });
    const sampler = createHostSampler({
      fs, clock: new SystemClock(),
      enrichers: [createLibvirtEnricher({ runner: new ExecRunner(), fs, uri: lv.uri, exec: session.exec })],
    });
    const names = (gs: RawGuest[]): string[] => gs.map((g) => g.name);
    try {
      const t0 = await sampler.sample({ tasks: new Set(['discovery', 'counters', 'settings', 'static']) });
      expect(names(t0.guests)).toEqual(expect.arrayContaining([spin.name, other.name]));
      const late = await lv.startDomain({ kind: 'spin', vcpus: 1, nic: false });
      const t1 = await sampler.sample({ tasks: new Set(['counters']) });
      const g = t1.guests.find((x) => x.name === late.name);
      expect(g).toMatchObject({ id: `libvirt:${late.name}`, pid: late.pid, state: 'running', manager: 'libvirt' });
      await sampler.sample({ tasks: new Set(['discovery', 'counters']) });
      virsh('destroy', late.name);
      const t2 = await sampler.sample({ tasks: new Set(['counters']) });
      expect(names(t2.guests)).not.toContain(late.name);
      expect(names(t2.guests)).toEqual(expect.arrayContaining([spin.name, other.name]));
      expect(session.spawns).toBe(1);
    } finally {
      await sampler.close();
      await session.close();
      fs.close();
    }
  });
});
