// Tests the QMP enricher deterministically: the real SocketQmpConnector talks to a replaying unix
// socket server (recorded / hand-written transcripts in test/fixtures/qmp) inside a temp root that
// also holds the /proc and /sys files the enricher reads (schedstat, fdinfo, mountinfo, tap counters).
// Also: connection policy (short vs dedicated), cadence (qmp / qmpSlow / discovery), libvirt guests
// through virsh (recording runner) or an error when virsh is absent, and a hung socket's deadline.

import { mkdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { SourceErrorInfo } from '../../src/engine/model/sample.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { createQmpEnricher } from '../../src/collector/qmp/enricher.js';
import { useLab, type Lab } from '../helpers/lab.js';
import { RecordingRunner } from '../helpers/recording-runner.js';
import { bareGuest } from './guest-fixture.js';
import { loadTranscript, startReplayServer } from './replay-server.js';

function put(root: string, p: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  writeFileSync(path.join(root, p), text);
}

/** A host root for the Proxmox-shaped transcript: QEMU pid 4300, vCPU threads 4302/4303. */
async function pveHost(lab: Lab): Promise<{ root: string; fs: NodeHostFs; srv: Awaited<ReturnType<typeof startReplayServer>> }> {
  const root = lab.tmpdir('qmp-host');
  put(root, '/proc/4300/task/4302/schedstat', '5000000000 20000000 100\n');
  const after = Array.from({ length: 50 }, (_, i) => (i === 36 ? '3' : i === 0 ? 'R' : '0'));
  put(root, '/proc/4300/task/4302/stat', `4302 (CPU 0/KVM) ${after.join(' ')}\n`);
  put(root, '/proc/4300/task/4302/status', 'Name:\tCPU 0/KVM\nCpus_allowed_list:\t0-3\n');
  put(root, '/proc/4300/task/4303/schedstat', '1000000 0 2\n');
  put(root, '/proc/4300/fdinfo/29', 'pos:\t0\nflags:\t0104002\nmnt_id:\t15\nino:\t1051\niff:\tvnet7\n');
  put(root, '/proc/4300/mountinfo', '25 1 0:23 / /dev/hugepages rw,relatime shared:10 - hugetlbfs hugetlbfs rw,pagesize=1024M\n');
  for (const [f, v] of Object.entries({ rx_bytes: 1000, tx_bytes: 5000, rx_packets: 10, tx_packets: 50, rx_dropped: 0, tx_dropped: 3 })) {
    put(root, `/sys/class/net/tap100i0/statistics/${f}`, `${v}\n`);
  }
  mkdirSync(path.join(root, 'run/qemu-server'), { recursive: true });
  const srv = await startReplayServer(lab, path.join(root, 'run/qemu-server/100.qmp'), loadTranscript('pve-hugepages.jsonl'));
  const fs = new NodeHostFs(root);
  lab.defer(() => fs.close());
  return { root, fs, srv };
}

const ctx = (tasks: SampleTask[]): { tasks: Set<SampleTask>; errors: SourceErrorInfo[]; monoMs: number } =>
  ({ tasks: new Set(tasks), errors: [], monoMs: 0 });

describe('createQmpEnricher (replayed transcripts)', () => {
  const lab = useLab();

  it('fills state, vCPU tids, per-disk counters and limits, backends, balloon and NICs from QMP', async () => {
    const { fs, srv } = await pveHost(lab);
    const en = createQmpEnricher({ fs, qmp: new SocketQmpConnector(), runner: new RecordingRunner([]), clock: new SystemClock() });
    lab.defer(() => en.close());
    const g = bareGuest({ id: 'pve:100', name: '100', pid: 4300, manager: 'proxmox', socket: '/run/qemu-server/100.qmp' });
    // the collector's guess: thread-name based, vCPU 0 mapped to a wrong thread
    g.vcpus = [{ index: 0, tid: 4303, source: 'comm', runUsec: 1000, waitUsec: 0, timeslices: 2, lastCpu: null, cpusAllowed: null, cgroupPath: null }];
    const c = ctx(['discovery', 'counters', 'qmp', 'qmpSlow']);
    await en.enrich([g], c);
    expect(c.errors).toEqual([]);
    expect(g.state).toBe('running');
    expect(g.name).toBe('db01');
    expect(g.uuid).toBe('0b3c1d2e-1111-4222-8333-944455556666');
    expect(g.qmp?.reachable).toBe(true);
    // vCPU map from query-cpus-fast; numbers belong to the thread now mapped to each index
    expect(g.vcpus.map((v) => [v.index, v.tid, v.source])).toEqual([[0, 4302, 'qmp'], [1, 4303, 'qmp']]);
    expect(g.vcpus[0]).toMatchObject({ runUsec: 5_000_000, waitUsec: 20_000, timeslices: 100, lastCpu: 3, cpusAllowed: '0-3' });
    expect(g.vcpus[1]).toMatchObject({ runUsec: 1000, timeslices: 2 });
    // disks keyed by device, or node name for an anonymous -blockdev disk; ns -> µs exactly
    const scsi = g.disks.find((d) => d.name === 'drive-scsi0');
    expect(scsi).toMatchObject({
      source: 'qmp', qdev: '/machine/peripheral/scsi0/virtio-backend', readOps: 9007199254740993, writeOps: 1, flushOps: 3,
      readTimeUsec: 9007199254740993, writeTimeUsec: 2, flushTimeUsec: 0, writeBytes: 4096,
    });
    expect(scsi?.limits).toEqual({
      readIops: null, writeIops: 2000, totalIops: null, readBytesPerSec: 104857600, writeBytesPerSec: null, totalBytesPerSec: null,
      extra: { bps_rd_max: 209715200, bps_rd_max_length: 10, group: 'drive-scsi0' },
    });
    expect(g.disks.find((d) => d.name === 'drive-efidisk0')).toMatchObject({ readOps: 1, readTimeUsec: 1 });
    expect(g.memory.balloonActualBytes).toBe(4294967296);
    expect(g.memory.backends).toEqual([{
      id: 'pc.ram', sizeBytes: 4294967296, merge: false, share: false, hugepages: true, pageSizeBytes: 1 << 30,
      hostNodes: [0, 1], policy: 'bind', type: 'memory-backend-file',
    }]);
    // tap100i0 from ifname=, vnet7 from fd=29 via fdinfo; counters in the guest's direction
    expect(g.nics.map((n) => [n.ifname, n.mac])).toEqual([['tap100i0', 'BC:24:11:AA:BB:CC'], ['vnet7', '52:54:00:00:00:02']]);
    expect(g.nics[0]).toMatchObject({ rxBytes: 5000, txBytes: 1000, rxPackets: 50, txPackets: 10, rxDropped: 3, txDropped: 0 });
    expect(g.nics[1]).toMatchObject({ rxBytes: null, txBytes: null });
    // a short connection per tick for a shared socket
    expect(srv.connections).toBe(1);
  });

  it('cadence: cheap commands on qmp ticks, slow ones only on qmpSlow, cpus-fast cached until discovery', async () => {
    const { fs, srv } = await pveHost(lab);
    const en = createQmpEnricher({ fs, qmp: new SocketQmpConnector(), runner: new RecordingRunner([]), clock: new SystemClock() });
    lab.defer(() => en.close());
    const guest = (): ReturnType<typeof bareGuest> => bareGuest({ id: 'pve:100', name: '100', pid: 4300, socket: '/run/qemu-server/100.qmp' });
    const cmds = (): string[] => srv.received.splice(0).map((r) => r.execute).filter((x) => x !== 'qmp_capabilities').sort();
    await en.enrich([guest()], ctx(['discovery', 'qmp']));
    expect(cmds()).toEqual(expect.arrayContaining(['query-cpus-fast', 'query-memdev', 'query-block', 'human-monitor-command']));
    const g2 = guest();
    await en.enrich([g2], ctx(['qmp']));
    expect(cmds()).toEqual(['query-balloon', 'query-blockstats', 'query-status']);
    // slow values carried forward on a cheap tick
    expect(g2.memory.backends?.[0]?.hugepages).toBe(true);
    expect(g2.disks.find((d) => d.name === 'drive-scsi0')?.limits.writeIops).toBe(2000);
    expect(g2.vcpus.map((v) => v.tid)).toEqual([4302, 4303]);
    const g3 = guest();
    await en.enrich([g3], ctx(['counters']));
    expect(cmds()).toEqual([]); // no QMP at all on a tick without qmp tasks
    expect(g3.state).toBe('running');
    expect(g3.disks).toEqual([]); // counters only when read this tick
    await en.enrich([guest()], ctx(['discovery', 'qmp']));
    expect(cmds()).toEqual(['query-balloon', 'query-blockstats', 'query-cpus-fast', 'query-status']);
    await en.enrich([guest()], ctx(['qmpSlow']));
    expect(cmds()).toEqual(expect.arrayContaining(['query-memdev', 'qom-get', 'query-iothreads', 'query-name']));
  });

  it('keeps one long-lived connection for a dedicated socket and tracks state from events', async () => {
    const { fs, srv } = await pveHost(lab);
    const en = createQmpEnricher({ fs, qmp: new SocketQmpConnector(), runner: new RecordingRunner([]), clock: new SystemClock() });
    lab.defer(() => en.close());
    const mk = (): ReturnType<typeof bareGuest> => bareGuest({ id: 'qemu:db01', name: 'db01', pid: 4300, socket: '/run/qemu-server/100.qmp', dedicated: true });
    for (let i = 0; i < 3; i++) {
      const g = mk();
      const c = ctx(['qmp']);
      await en.enrich([g], c);
      expect(c.errors).toEqual([]);
      expect(g.state).toBe('running');
    }
    expect(srv.connections).toBe(1);
    await en.close();
  });

  it('on a dedicated connection state and balloon follow events: a steady tick asks only query-blockstats', async () => {
    const { fs, srv } = await pveHost(lab);
    const en = createQmpEnricher({ fs, qmp: new SocketQmpConnector(), runner: new RecordingRunner([]), clock: new SystemClock() });
    lab.defer(() => en.close());
    const mk = (): ReturnType<typeof bareGuest> => bareGuest({ id: 'qemu:db01', name: 'db01', pid: 4300, socket: '/run/qemu-server/100.qmp', dedicated: true });
    const cmds = (): string[] => srv.received.splice(0).map((r) => r.execute).filter((x) => x !== 'qmp_capabilities').sort();
    const tick = async (tasks: SampleTask[]): Promise<ReturnType<typeof bareGuest>> => {
      const g = mk();
      const c = ctx(tasks);
      await en.enrich([g], c);
      expect(c.errors).toEqual([]);
      return g;
    };
    await tick(['discovery', 'qmp', 'qmpSlow']);
    expect(cmds()).toEqual(expect.arrayContaining(['query-balloon', 'query-blockstats', 'query-status']));
    let g = await tick(['qmp']);
    expect(cmds()).toEqual(['query-blockstats']);
    expect(g.state).toBe('running');
    expect(g.memory.balloonActualBytes).toBe(4294967296);
    // another client stops the guest: QEMU says STOP on every monitor, the next tick asks again
    srv.override('query-status', '{"execute":"query-status","return":{"status":"paused","running":false}}');
    srv.event('{"event":"STOP","timestamp":{"seconds":1,"microseconds":0}}');
    await sleep(50);
    g = await tick(['qmp']);
    expect(cmds()).toEqual(['query-blockstats', 'query-status']);
    expect(g.state).toBe('paused');
    g = await tick(['qmp']);
    expect(cmds()).toEqual(['query-blockstats']);
    expect(g.state).toBe('paused');
    // the balloon's new size comes with its event, without a query
    srv.event('{"event":"BALLOON_CHANGE","data":{"actual":2147483648},"timestamp":{"seconds":2,"microseconds":0}}');
    await sleep(50);
    g = await tick(['qmp']);
    expect(cmds()).toEqual(['query-blockstats']);
    expect(g.memory.balloonActualBytes).toBe(2147483648);
    // slow ticks confirm both
    await tick(['qmp', 'qmpSlow']);
    expect(cmds()).toEqual(expect.arrayContaining(['query-balloon', 'query-status']));
  });

  it('begin() sends the steady batch before enrich; enrich takes its replies instead of asking again', async () => {
    const { fs, srv } = await pveHost(lab);
    const en = createQmpEnricher({ fs, qmp: new SocketQmpConnector(), runner: new RecordingRunner([]), clock: new SystemClock() });
    lab.defer(() => en.close());
    const mk = (): ReturnType<typeof bareGuest> => bareGuest({ id: 'qemu:db01', name: 'db01', pid: 4300, socket: '/run/qemu-server/100.qmp', dedicated: true });
    const tasks = new Set<SampleTask>(['qmp']);
    en.begin?.(tasks); // nothing known yet: nothing sent
    await sleep(50);
    expect(srv.received).toEqual([]);
    await en.enrich([mk()], ctx(['discovery', 'qmp', 'qmpSlow']));
    srv.received.splice(0);
    en.begin?.(tasks);
    await sleep(50);
    expect(srv.received.map((r) => r.execute)).toEqual(['query-blockstats']); // sent before enrich
    const g = mk();
    const c = ctx(['qmp']);
    await en.enrich([g], c);
    expect(c.errors).toEqual([]);
    expect(srv.received.map((r) => r.execute)).toEqual(['query-blockstats']); // not asked twice
    expect(g.disks.find((d) => d.name === 'drive-scsi0')?.readOps).toBeGreaterThan(0);
    expect(g.disks.every((d) => d.source !== 'qmp' || d.atMonoMs !== null)).toBe(true);
    // a discovery tick is not sent early (the vCPU map may change)
    srv.received.splice(0);
    en.begin?.(new Set<SampleTask>(['discovery', 'qmp']));
    await sleep(50);
    expect(srv.received).toEqual([]);
  });

  it('a socket that never greets delays the tick by at most its deadline and reports a timeout', async () => {
    const { root, fs } = await pveHost(lab);
    const server = net.createServer(() => undefined);
    await new Promise<void>((r) => server.listen(path.join(root, 'hung.sock'), () => r()));
    lab.defer(() => new Promise<void>((r) => server.close(() => r())));
    const en = createQmpEnricher({ fs, qmp: new SocketQmpConnector(), runner: new RecordingRunner([]), clock: new SystemClock(), timeoutMs: 300 });
    lab.defer(() => en.close());
    const hung = bareGuest({ id: 'qemu:hung', name: 'hung', pid: 999999, socket: '/hung.sock' });
    const ok = bareGuest({ id: 'pve:100', name: '100', pid: 4300, socket: '/run/qemu-server/100.qmp' });
    const c = ctx(['qmp', 'qmpSlow']);
    const t0 = performance.now();
    await en.enrich([hung, ok], c);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    expect(c.errors).toEqual([expect.objectContaining({ source: 'qmp', guest: 'qemu:hung', kind: 'timeout' })]);
    expect(hung.qmp?.reachable).toBe(false);
    expect(hung.state).toBeNull();
  });

  it('libvirt guests by default: no QMP at all (no qemu-monitor-command, no socket, no error); domstats carries them', async () => {
    const { fs } = await pveHost(lab);
    const runner = new RecordingRunner(['virsh']);
    const qmp = { connect: async (): Promise<never> => { throw new Error('must not connect to a libvirt socket'); } };
    const en = createQmpEnricher({ fs, qmp, runner, clock: new SystemClock(), libvirtUri: 'qemu:///system' });
    const g = bareGuest({ id: 'libvirt:web01', name: 'web01', pid: 4300, manager: 'libvirt', socket: '/var/lib/libvirt/qemu/domain-1-web01/monitor.sock' });
    const c = ctx(['discovery', 'qmp', 'qmpSlow']);
    await en.enrich([g], c);
    expect(runner.calls).toHaveLength(0);
    expect(c.errors).toEqual([]);
    expect(g.disks).toEqual([]);
  });

  it('libvirt guests with libvirtQmp opted in go through virsh qemu-monitor-command (never the socket), with -c', async () => {
    const { fs } = await pveHost(lab);
    const transcript = loadTranscript('web01-blockdev.jsonl').slice(1).map((l) => JSON.parse(l) as { execute: string; arguments?: unknown; return?: unknown; error?: unknown });
    const runner = new RecordingRunner(['virsh']).on((a) => a.includes('qemu-monitor-command'), (argv) => {
      if (argv.includes('--hmp')) return { stdout: 'net0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:aa:bb:cc\r\n \\ hostnet0: index=0,type=tap,fd=29\r\n' };
      const req = JSON.parse(argv[argv.length - 1] as string) as { execute: string; arguments?: unknown };
      const hit = transcript.find((t) => t.execute === req.execute && JSON.stringify(t.arguments) === JSON.stringify(req.arguments));
      const { execute: _e, arguments: _a, ...answer } = hit ?? { execute: '', error: { class: 'CommandNotFound', desc: 'nope' } };
      return { stdout: `${JSON.stringify({ ...answer, id: 'libvirt-42' })}\n` };
    });
    const qmp = { connect: async (): Promise<never> => { throw new Error('must not connect to a libvirt socket'); } };
    const en = createQmpEnricher({ fs, qmp, runner, clock: new SystemClock(), libvirtUri: 'qemu:///system', libvirtQmp: true });
    const g = bareGuest({ id: 'libvirt:web01', name: 'web01', pid: 4300, manager: 'libvirt', socket: '/var/lib/libvirt/qemu/domain-1-web01/monitor.sock' });
    const c = ctx(['discovery', 'qmp', 'qmpSlow']);
    await en.enrich([g], c);
    expect(c.errors).toEqual([]);
    expect(runner.calls[0]?.argv.slice(0, 5)).toEqual(['virsh', '-c', 'qemu:///system', 'qemu-monitor-command', 'web01']);
    expect(runner.calls.some((x) => x.argv.includes('--hmp') && x.argv.includes('info network'))).toBe(true);
    expect(g.state).toBe('running');
    const disk = g.disks.find((d) => d.name === 'virtio-disk0');
    expect(disk).toMatchObject({ source: 'qmp', qdev: '/machine/peripheral/virtio-disk0/virtio-backend' });
    expect(disk?.limits).toMatchObject({ readIops: 500, extra: { iops_rd_max: 1000, iops_rd_max_length: 5, group: 'g1' } });
    expect(g.memory.backends).toEqual([expect.objectContaining({ id: 'ram-node0', type: 'memory-backend-memfd', hugepages: false, merge: true, share: true })]);
    expect(g.memory.balloonActualBytes).toBe(67108864);
    expect(g.iothreads?.map((i) => i.id)).toEqual(['iothread1']);
    expect(g.nics.map((n) => n.ifname)).toEqual(['vnet7']);
  });

  it('libvirt guests without virsh: an error says QMP data is unavailable, nothing connects', async () => {
    const { fs } = await pveHost(lab);
    const qmp = { connect: async (): Promise<never> => { throw new Error('must not connect'); } };
    const en = createQmpEnricher({ fs, qmp, runner: new RecordingRunner([]), clock: new SystemClock(), libvirtQmp: true });
    const g = bareGuest({ id: 'libvirt:web01', name: 'web01', pid: 4300, manager: 'libvirt', socket: '/x.sock' });
    const c = ctx(['qmp']);
    await en.enrich([g], c);
    expect(c.errors).toEqual([expect.objectContaining({ source: 'qmp', guest: 'libvirt:web01', message: expect.stringMatching(/unavailable.*virsh/) })]);
    expect(g.state).toBeNull();
  });

  it('libvirt guests of a tree under --root: the local virsh is never asked', async () => {
    const { fs } = await pveHost(lab);
    const qmp = { connect: async (): Promise<never> => { throw new Error('must not connect'); } };
    const runner = new RecordingRunner();
    const en = createQmpEnricher({ fs, qmp, runner, clock: new SystemClock(), useVirsh: false, libvirtQmp: true });
    const g = bareGuest({ id: 'libvirt:web01', name: 'web01', pid: 4300, manager: 'libvirt', socket: '/x.sock' });
    const c = ctx(['qmp', 'qmpSlow']);
    await en.enrich([g], c);
    expect(runner.calls).toHaveLength(0);
    expect(c.errors).toEqual([expect.objectContaining({ guest: 'libvirt:web01', message: expect.stringMatching(/--root.*--libvirt-uri/) })]);
  });
});
