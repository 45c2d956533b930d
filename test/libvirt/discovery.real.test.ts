// Real libvirtd (lab.md section 5) with a TCG domain booting the spin sector: the libvirt enricher
// (alone and inside the real host sampler) finds it with the right name, uuid, QEMU pid and vCPU thread
// ids (checked against QEMU's query-cpus-fast and the threads' names), its tap and disk, and the
// data only libvirt holds (domstats vCPU delay, per-disk times, balloon) — with the default URI and
// with an explicit one passed as `-c URI` to every virsh call.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RawGuest, SourceErrorInfo } from '../../src/engine/model/sample.js';
import type { CommandRunner } from '../../src/engine/ports/command-runner.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { createLibvirtEnricher } from '../../src/collector/libvirt/enricher.js';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { useLibvirt, virsh, type LibvirtDomain } from '../helpers/libvirt.js';

const lv = useLibvirt();
let dom: LibvirtDomain;
let qmpTids: number[];

/** ExecRunner that records every argv */
function recording(): CommandRunner & { argvs: string[][] } {
  const inner = new ExecRunner();
  const argvs: string[][] = [];
  return { argvs, has: (p) => inner.has(p), run: (a, o) => { argvs.push([...a]); return inner.run(a, o); } };
}

function checkGuest(g: RawGuest | undefined): void {
  expect(g).toBeDefined();
  const guest = g as RawGuest;
  expect(guest).toMatchObject({ id: `libvirt:${dom.name}`, name: dom.name, uuid: dom.uuid, manager: 'libvirt', pid: dom.pid, state: 'running' });
  expect(guest.vcpus.map((v) => v.tid)).toEqual(qmpTids);
  for (const v of guest.vcpus) {
    expect(readFileSync(`/proc/${dom.pid}/task/${v.tid}/comm`, 'utf8').trim()).toBe(`CPU ${v.index}/TCG`);
  }
  expect(guest.nics.map((n) => n.ifname)).toContain(dom.tap);
  expect(guest.disks.find((d) => d.name === 'virtio-disk0' || d.qdev === 'virtio-disk0')?.readOps).toBeGreaterThan(0);
  const l = guest.libvirt;
  expect(l?.disks.map((d) => [d.target, d.alias, d.cache])).toEqual([['vda', 'virtio-disk0', 'none']]);
  expect(l?.interfaces.map((i) => [i.ifname, i.type])).toEqual([[dom.tap, 'ethernet']]);
  expect(l?.vcpuStats.map((s) => s.index)).toEqual([0, 1]);
  expect(l?.vcpuStats[0]?.delayUsec).toEqual(expect.any(Number));
  expect(l?.vcpuStats[0]?.timeUsec).toBeGreaterThan(0);
  expect(l?.balloon?.currentKiB).toBe(65536);
  expect(l?.vcpuCount).toBe(2);
  expect(l?.persistent).toBe(true);
}

describe('libvirt discovery (real libvirtd, TCG domain)', () => {
  beforeAll(async () => {
    dom = await lv.startDomain({ kind: 'spin' });
    const reply = JSON.parse(virsh('qemu-monitor-command', dom.name, '{"execute":"query-cpus-fast"}')) as { return: Array<{ 'thread-id': number }> };
    qmpTids = reply.return.map((c) => c['thread-id']);
    expect(qmpTids).toHaveLength(2);
  });

  it('the enricher alone finds the domain (default URI: no -c) with name, uuid, pid, vCPU tids, tap, disk and domstats', async () => {
    const runner = recording();
    const en = createLibvirtEnricher({ runner, fs: new NodeHostFs('/'), uri: null });
    const guests: RawGuest[] = [];
    const errors: SourceErrorInfo[] = [];
    await en.enrich(guests, { tasks: new Set(['discovery', 'counters']), errors, monoMs: 0 });
    expect(errors).toEqual([]);
    checkGuest(guests.find((g) => g.name === dom.name));
    expect(runner.argvs.length).toBeGreaterThan(0);
    expect(runner.argvs.every((a) => a[0] === 'virsh' && !a.includes('-c'))).toBe(true);
  });

  it('with --libvirt-uri every virsh call carries -c URI; the guest found by the real host sampler is enriched', async () => {
    const runner = recording();
    const fs = new NodeHostFs('/');
    const sampler = createHostSampler({ fs, clock: new SystemClock(), enrichers: [createLibvirtEnricher({ runner, fs, uri: lv.uri })] });
    try {
      const raw = await sampler.sample({ tasks: new Set(['discovery', 'counters', 'static']) });
      const mine = raw.guests.filter((g) => g.pid === dom.pid);
      expect(mine).toHaveLength(1);
      checkGuest(mine[0]);
      expect(mine[0]?.libvirt?.uri).toBe(lv.uri);
      expect(raw.errors.filter((e) => e.source === 'libvirt')).toEqual([]);
      expect(runner.argvs.every((a) => a[0] === 'virsh' && a[1] === '-c' && a[2] === lv.uri)).toBe(true);
    } finally {
      await sampler.close();
    }
  });

  it('settings made through libvirt show up on the next discovery (vcpupin, shares, iotune)', async () => {
    virsh('vcpupin', dom.name, '1', '1', '--live');
    virsh('schedinfo', dom.name, '--live', '--set', 'cpu_shares=700');
    virsh('blkdeviotune', dom.name, 'vda', '--live', '--read-bytes-sec', '1048576');
    try {
      const en = createLibvirtEnricher({ runner: new ExecRunner(), fs: new NodeHostFs('/'), uri: lv.uri });
      const guests: RawGuest[] = [];
      await en.enrich(guests, { tasks: new Set(['discovery']), errors: [], monoMs: 0 });
      const g = guests.find((x) => x.name === dom.name);
      expect(g?.libvirt?.cputune).toMatchObject({ shares: 700, vcpupin: [{ vcpu: 1, cpuset: '1' }] });
      expect(g?.libvirt?.disks[0]?.iotune).toEqual({ read_bytes_sec: 1048576 });
      expect(g?.disks.find((d) => d.qdev === 'virtio-disk0')?.limits.readBytesPerSec).toBe(1048576);
    } finally {
      virsh('vcpupin', dom.name, '1', '0-1', '--live');
      virsh('blkdeviotune', dom.name, 'vda', '--live', '--read-bytes-sec', '0');
    }
  });
});
