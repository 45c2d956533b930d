// The host sampler on fixture trees of every layout (written from the reference; cgroup v2 and
// multi-node NUMA cannot run on this machine): guests, ids, managers, vCPUs, limits, per-node figures.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import type { RawGuest, RawSample } from '../../src/engine/model/sample.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { fixtureHost } from '../helpers/fixture-host.js';
import { useLab } from '../helpers/lab.js';
import { ManualClock } from '../helpers/manual-clock.js';

const ALL = new Set<SampleTask>(['discovery', 'counters', 'numa', 'static']);
const TICK = new Set<SampleTask>(['counters']);

function byId(s: RawSample, id: string): RawGuest {
  const g = s.guests.find((x) => x.id === id);
  if (!g) throw new Error(`no guest ${id} in ${s.guests.map((x) => x.id).join(', ')}`);
  return g;
}

describe('host sampler on fixture hosts', () => {
  const lab = useLab();
  const open = (scenario: string, extra: string[] = []) => {
    const h = fixtureHost(lab, scenario);
    const clock = new ManualClock();
    const sampler = createHostSampler({ fs: h.fs, clock, extraQmpSockets: extra });
    lab.defer(() => sampler.close());
    return { ...h, clock, sampler };
  };

  it('libvirt v1 hybrid (cgroup v1 fixture tree): guests, real names, vCPUs from vcpuN/tasks, shares, quota, v1 units', async () => {
    const { sampler } = open('libvirt-v1');
    const s = await sampler.sample({ tasks: ALL });
    expect(s.errors).toEqual([]);
    expect(s.host.cgroupVersion).toBe(1);
    expect(s.host.uptimeMs).toBe(864_123_450); // proc/uptime '864123.45 3400000.10'
    expect(s.guests.map((g) => g.id).sort()).toEqual(['libvirt:db_02.prod', 'libvirt:web01']);
    const web = byId(s, 'libvirt:web01');
    expect(web).toMatchObject({ manager: 'libvirt', pid: 4242, uuid: 'c7a5fdbd-cdaf-9455-926a-d65c16db1809', qmp: null, smp: 2 });
    expect(web.cgroup).toMatchObject({ path: '/machine/qemu-1-web01.libvirt-qemu', version: 1, own: true });
    expect(web.vcpus.map((v) => [v.index, v.tid, v.source])).toEqual([[0, 4250, 'cgroup'], [1, 4251, 'cgroup']]);
    expect(web.vcpus[1]).toMatchObject({ runUsec: 10_000_000, waitUsec: 200_000, lastCpu: 1, cpusAllowed: '1' });
    // cpuacct.usage beyond 2^53 ns, converted exactly
    expect(web.cpu).toMatchObject({ usageUsec: 98765432101234, shares: 2048, weight: null, quotaUsec: 150000, periodUsec: 100000,
      nrThrottled: 20, throttledUsec: 2422486, cpuset: '0-3', cpusetEffective: '0-3' });
    expect(web.memory).toMatchObject({ currentBytes: 4 * 2 ** 30, maxBytes: 8589934592, rssBytes: 4194304 * 1024, mems: '0-1', ksmMergingPages: 512, ksmZeroPages: 8 });
    const db = byId(s, 'libvirt:db_02.prod');
    expect(db.cgroup?.path).toBe('/machine/prod.partition/qemu-2-db02.prod.libvirt-qemu');
    expect(db.memory.maxBytes).toBe('max');
    expect(db.cpu.quotaUsec).toBe('max');
    // blkio: _recursive stats (QEMU threads sit in child groups), limits from *_device files
    const vda = web.disks.find((d) => d.device === '254:0');
    expect(vda).toMatchObject({ name: 'vda', source: 'cgroup', readBytes: 1048576, readOps: 256, writeBytes: 4096, writeOps: 1 });
    expect(vda?.limits).toMatchObject({ readIops: 500, writeBytesPerSec: 2097152, writeIops: null });
    expect(web.disks.find((d) => d.device === '8:16')?.limits.readBytesPerSec).toBe(10485760);
    // NIC from the fd libvirt passed (fdinfo iff:), counters flipped to the guest's view
    expect(web.nics).toEqual([expect.objectContaining({ ifname: 'vnet0', mac: '52:54:00:aa:bb:01', rxBytes: 50000, txBytes: 1000, rxDropped: 2, shaping: null })]);
    // numa_maps: every mapping's N<node> pages × page size
    expect(web.memory.perNodeBytes).toEqual({ 0: (1000 + 1000 + 33) * 4096, 1: (3000 + 10) * 4096 });
    expect(web.psi).toBeNull();
  });

  it('libvirt systemd v2 with the nested libvirt/ group (cgroup v2 fixture tree): scope counters, nested limits, vcpuN/cgroup.threads, PSI', async () => {
    const { sampler } = open('libvirt-systemd-v2');
    const s = await sampler.sample({ tasks: ALL });
    expect(s.errors).toEqual([]);
    expect(s.host).toMatchObject({ hostname: 'kvm-07', kernel: '6.1.0-26-amd64', cgroupVersion: 2, cpuCount: 4 });
    const web = byId(s, 'libvirt:web01');
    expect(web.cgroup).toMatchObject({ path: '/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope', own: true,
      nestedPath: '/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/libvirt' });
    expect(web.cpu).toMatchObject({ usageUsec: 30_000_000, weight: 100, shares: null, quotaUsec: 200000, periodUsec: 100000, cpuset: '0-1', cpusetEffective: '0-1' });
    expect(web.memory).toMatchObject({ currentBytes: 2 ** 31, maxBytes: 3 * 2 ** 30, anonHugeBytes: 209715200, mems: '0' });
    expect(web.vcpus.map((v) => v.tid)).toEqual([6110, 6111]);
    expect(web.vcpus[0]?.cgroupPath).toBe('/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/libvirt/vcpu0');
    expect(web.psi).toEqual({ cpuSomeUsec: 3100000, cpuFullUsec: 1000000, ioSomeUsec: 500000, ioFullUsec: 400000, memSomeUsec: 1200, memFullUsec: 600 });
    const sdb = web.disks.find((d) => d.device === '8:16');
    expect(sdb).toMatchObject({ name: 'sdb', readOps: 1048, readBytes: 35180544 });
    expect(sdb?.limits).toMatchObject({ readBytesPerSec: 2097152, writeIops: 120, writeBytesPerSec: null, readIops: null });
    const db = byId(s, 'libvirt:db-02');
    expect(db.cgroup?.path).toBe('/machine.slice/machine-qemu\\x2d2\\x2ddb\\x2d02.scope');
    expect(db.vcpus).toHaveLength(4);
    expect(db.cpu).toMatchObject({ weight: 500, quotaUsec: 'max', cpuset: '0-3' });
    // host: per-node figures, every hugepage size, KSM, THP, PSI
    expect(s.host.numaNodes.map((n) => [n.node, n.cpus, n.distances])).toEqual([[0, '0-1', [10, 21]], [1, '2-3', [21, 10]]]);
    expect(s.host.numaNodes[1]).toMatchObject({ memTotalBytes: 8159020 * 1024, memFreeBytes: 4000000 * 1024, inactiveFileBytes: 200000 * 1024 });
    expect(s.host.numaNodes[1]?.hugepages).toEqual({ 2048: { total: 256, free: 128 }, 1048576: { total: 1, free: 0 } });
    expect(s.host.hugepages['2048']).toEqual({ total: 512, free: 256, reserved: 4, surplus: 0 });
    expect(s.host.ksm).toMatchObject({ run: 1, pagesSharing: 5000, zeroPages: 24, pageSizeBytes: 4096 });
    expect(s.host.thp).toEqual({ enabled: 'madvise', defrag: 'madvise' });
    expect(s.host.psi?.ioFullUsec).toBe(100000);
    expect(Object.keys(s.host.cpuPerCpu ?? {})).toEqual(['0', '1', '2', '3']);
  });

  it('libvirt < 7.1 under systemd (no nested group): vCPUs directly under the scope, limits from the scope', async () => {
    const { sampler } = open('libvirt-systemd-v2-old');
    const s = await sampler.sample({ tasks: ALL });
    const web = byId(s, 'libvirt:web01');
    expect(web.cgroup?.nestedPath).toBeNull();
    expect(web.vcpus.map((v) => v.cgroupPath)).toEqual(['/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/vcpu0', '/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/vcpu1']);
    expect(web.disks.find((d) => d.device === '8:16')?.limits.writeIops).toBe(120);
    expect(web.cpu.quotaUsec).toBe('max');
    // cpuset.cpus empty (unset in v2): the effective set is what the guest gets
    expect(web.cpu.cpuset).toBe('0-3');
  });

  it('custom partition slice (cgroup v2 fixture tree)', async () => {
    const { sampler } = open('custom-partition');
    const s = await sampler.sample({ tasks: ALL });
    expect(s.guests.map((g) => g.id)).toEqual(['libvirt:web01']);
    expect(byId(s, 'libvirt:web01').cgroup?.path).toBe('/machine.slice/machine-prod.slice/machine-qemu\\x2d1\\x2dweb01.scope');
  });

  it('Proxmox (cgroup v2 fixture tree): pve:VMID, shared .qmp socket, tap<vmid>i<n>; a scope without QEMU and stale pidfiles are not guests', async () => {
    const { sampler } = open('proxmox-v2');
    const s = await sampler.sample({ tasks: ALL });
    expect(s.errors).toEqual([]);
    expect(s.guests.map((g) => g.id)).toEqual(['pve:100']);
    const g = byId(s, 'pve:100');
    expect(g).toMatchObject({ name: 'win-app', manager: 'proxmox', vmid: '100', uuid: '7d2f5a8e-1c3b-4d5e-9f60-718293a4b5c6', smp: 4 });
    expect(g.qmp).toEqual({ socket: '/var/run/qemu-server/100.qmp', dedicated: false, reachable: null });
    expect(g.cgroup).toMatchObject({ path: '/qemu.slice/100.scope', own: true });
    expect(g.vcpus.map((v) => [v.index, v.tid, v.source])).toEqual([[0, 7110, 'comm'], [1, 7111, 'comm'], [2, 7112, 'comm'], [3, 7113, 'comm']]);
    expect(g.cpu).toMatchObject({ quotaUsec: 200000, periodUsec: 100000, weight: 100 });
    expect(g.nics.map((n) => [n.ifname, n.mac])).toEqual([['tap100i0', 'bc:24:11:aa:bb:cc']]);
    expect(g.nics[0]).toMatchObject({ rxBytes: 9000, txBytes: 5000 });
  });

  it('bare QEMU in a shared session cgroup (cgroup v1 fixture tree): own=false, CPU from /proc/<pid>/stat, no cgroup counters; --qmp marks a socket dedicated', async () => {
    const { sampler } = open('bare-qemu', ['/tmp/scratch.qmp']);
    const s = await sampler.sample({ tasks: ALL });
    expect(s.errors).toEqual([]);
    expect(s.host.uptimeMs).toBeNull(); // this capture has no proc/uptime: unknown, not 0
    const g = byId(s, 'qemu:scratch');
    expect(g).toMatchObject({ manager: 'qemu', name: 'scratch', uuid: '11111111-2222-3333-4444-555555555555' });
    expect(g.cgroup).toMatchObject({ path: '/user.slice', own: false });
    expect(g.qmp).toEqual({ socket: '/tmp/scratch.qmp', dedicated: true, reachable: null });
    expect(g.cpu.usageUsec).toBe((1234 + 66) * 10_000);
    expect(g.memory.currentBytes).toBeNull();
    expect(g.disks).toEqual([]);
    expect(g.vcpus.map((v) => v.tid)).toEqual([8110, 8111]);
    expect(g.nics[0]).toMatchObject({ ifname: 'tap0', mac: '52:54:00:12:34:56', rxBytes: 300, txBytes: 700 });
    const anon = byId(s, 'qemu:8200');
    expect(anon.name).toBe('8200');
    expect(anon.qmp).toEqual({ socket: '/tmp/anon.sock', dedicated: false, reachable: null });
  });

  it('systemd-run machine.slice scopes (cgroup v2 fixture tree); a container scope is not a guest', async () => {
    const { sampler } = open('systemd-run', ['/nowhere.sock']);
    const s = await sampler.sample({ tasks: ALL });
    expect(s.guests.map((g) => g.id)).toEqual(['qemu:vm1', 'qemu:arm-test', 'qemu:9300']);
    expect(byId(s, 'qemu:vm1')).toMatchObject({ name: 'vm1', cgroup: { path: '/machine.slice/vm1.scope', own: true }, smp: 2 });
    expect(byId(s, 'qemu:vm1').cpu).toMatchObject({ weight: 200, quotaUsec: 50000 });
    expect(byId(s, 'qemu:vm1').memory.maxBytes).toBe(2 ** 30);
    expect(s.errors).toEqual([expect.objectContaining({ source: 'discovery', message: expect.stringContaining('/nowhere.sock') })]);
  });

  it('counters move between ticks; discovery is cached; numa_maps is read only on numa ticks and carried forward', async () => {
    const { root, sampler, clock } = open('libvirt-systemd-v2');
    const first = await sampler.sample({ tasks: ALL });
    const scope = path.join(root, 'sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope');
    writeFileSync(path.join(scope, 'cpu.stat'), 'usage_usec 31000000\nuser_usec 1\nsystem_usec 1\nnr_periods 1\nnr_throttled 1\nthrottled_usec 1\n');
    writeFileSync(path.join(root, 'proc/6100/numa_maps'), '7f0000000000 default anon=10 N1=10 kernelpagesize_kB=4\n');
    clock.advance(1000);
    const second = await sampler.sample({ tasks: TICK });
    expect(byId(second, 'libvirt:web01').cpu.usageUsec).toBe(31_000_000);
    expect(second.monoMs - first.monoMs).toBe(1000);
    expect(byId(second, 'libvirt:web01').memory.perNodeBytes).toEqual(byId(first, 'libvirt:web01').memory.perNodeBytes);
    expect(byId(second, 'libvirt:web01').memory.perNodeReadAtMs).toBe(first.monoMs);
    clock.advance(1000);
    const third = await sampler.sample({ tasks: new Set<SampleTask>(['counters', 'numa']) });
    expect(byId(third, 'libvirt:web01').memory.perNodeBytes).toEqual({ 1: 40960 });
    expect(typeof third.costUsec).toBe('number');
  });

  it('numa_maps missing: per-node memory from memory.numa_stat + hugetlb numa_stat', async () => {
    const { root, sampler } = open('libvirt-systemd-v2');
    const { rmSync } = await import('node:fs');
    rmSync(path.join(root, 'proc/6100/numa_maps'));
    const scope = path.join(root, 'sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope');
    writeFileSync(path.join(scope, 'hugetlb.2MB.numa_stat'), 'total=4194304 N0=0 N1=4194304\n');
    const s = await sampler.sample({ tasks: ALL });
    expect(byId(s, 'libvirt:web01').memory.perNodeBytes).toEqual({ 0: 2 ** 30, 1: 2 ** 30 + 4194304 });
  });

  it('NIC counters come from /proc/net/dev when the tree has it (one read for all NICs), flipped to the guest view', async () => {
    const { root, sampler } = open('libvirt-v1');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(root, 'proc/net'), { recursive: true });
    writeFileSync(path.join(root, 'proc/net/dev'), 'Inter-|\n face |\n  vnet0: 7 1 0 0 0 0 0 0 9 2 0 5 0 0 0 0\n');
    const s = await sampler.sample({ tasks: ALL });
    expect(byId(s, 'libvirt:web01').nics[0]).toMatchObject({ rxBytes: 9, txBytes: 7, rxPackets: 2, txPackets: 1, rxDropped: 5, txDropped: 0 });
    // vnet1 is not listed there: sysfs statistics
    expect(byId(s, 'libvirt:db_02.prod').nics[0]).toMatchObject({ rxBytes: 50000, txBytes: 1000 });
  });

  it('missing files are null, not 0', async () => {
    const { root, sampler } = open('proxmox-v2');
    const { rmSync } = await import('node:fs');
    for (const f of ['cpu.max', 'memory.max', 'io.stat', 'cpu.pressure']) rmSync(path.join(root, 'sys/fs/cgroup/qemu.slice/100.scope', f));
    rmSync(path.join(root, 'sys/class/net/tap100i0/statistics/rx_bytes'));
    rmSync(path.join(root, 'sys/kernel/mm/ksm'), { recursive: true });
    const s = await sampler.sample({ tasks: ALL });
    const g = byId(s, 'pve:100');
    expect(g.cpu.quotaUsec).toBeNull();
    expect(g.memory.maxBytes).toBeNull();
    expect(g.disks).toEqual([]);
    expect(g.psi?.cpuSomeUsec).toBeNull();
    expect(g.nics[0]?.txBytes).toBeNull();
    expect(s.host.ksm).toBeNull();
    expect(s.errors).toEqual([]);
  });

  it('a malformed /proc/uptime is null with one parse error', async () => {
    const { root, sampler } = open('libvirt-v1');
    writeFileSync(path.join(root, 'proc/uptime'), 'garbage\n');
    const s = await sampler.sample({ tasks: ALL });
    expect(s.host.uptimeMs).toBeNull();
    expect(s.errors).toEqual([expect.objectContaining({ source: 'proc', kind: 'parse', message: expect.stringContaining('/proc/uptime') })]);
  });
});
