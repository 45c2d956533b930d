// Unit tests of the libvirt enricher with virsh outputs captured from the lab's libvirt 9 and a host
// tree in a tmpdir (status XML, a vCPU thread's schedstat/stat): merge by pid, by name, adding a missed
// domain, `-c URI` on every call, timeouts on every call, failures as errors entries, and discovery
// cached between 'discovery' tasks.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawGuest, SourceErrorInfo } from '../../src/engine/model/sample.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { createLibvirtEnricher } from '../../src/collector/libvirt/enricher.js';
import { blankGuest } from '../../src/collector/libvirt/guest.js';
import { useLab } from '../helpers/lab.js';
import { cannedVirsh, fx, sub } from './fixtures.js';
import { ManualClock } from '../helpers/manual-clock.js';

const lab = useLab();

function host(opts: { status?: boolean; proc?: boolean } = {}): NodeHostFs {
  const root = lab.tmpdir('libvirt-host');
  const put = (p: string, text: string): void => {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), text);
  };
  if (opts.status !== false) put('/run/libvirt/qemu/web01.xml', fx('status.xml'));
  put('/run/libvirt/qemu/web01.pid', '18624');
  if (opts.proc !== false) {
    put('/proc/18624/stat', '18624 (qemu-system-x86) S 1 0 0');
    put('/proc/18624/task/18630/schedstat', '2300000000 180662516 411\n');
    put('/proc/18624/task/18630/stat', `18630 (CPU 0/TCG) R ${Array.from({ length: 36 }, (_, i) => (i === 35 ? '1' : '0')).join(' ')} 0 0\n`);
  }
  const fs = new NodeHostFs(root);
  lab.defer(() => fs.close());
  return fs;
}

const ctx = (tasks: SampleTask[], errors: SourceErrorInfo[] = []) => ({ tasks: new Set(tasks), errors, monoMs: 0 });

describe('libvirt enricher', () => {
  it('merges libvirt data into the guest the collector found (matched by pid)', async () => {
    const runner = cannedVirsh();
    const en = createLibvirtEnricher({ runner, fs: host(), uri: null });
    const g = blankGuest('qemu:web01', 'web01', 18624);
    g.manager = 'qemu';
    g.vcpus = [{ index: 0, tid: 999, source: 'comm', runUsec: 5, waitUsec: 6, timeslices: 7, lastCpu: 0, cpusAllowed: null, cgroupPath: null }];
    const errors: SourceErrorInfo[] = [];
    await en.enrich([g], ctx(['discovery', 'counters'], errors));
    expect(errors).toEqual([]);
    expect(g).toMatchObject({ id: 'libvirt:web01', name: 'web01', manager: 'libvirt', uuid: '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', state: 'running', smp: 2 });
    expect(g.vcpus.map((v) => [v.index, v.tid, v.source])).toEqual([[0, 18630, 'libvirt'], [1, 18631, 'libvirt']]);
    expect(g.vcpus[0]).toMatchObject({ runUsec: 5, waitUsec: 6 }); // the collector's counters are kept
    expect(g.vcpus[1]).toMatchObject({ runUsec: null, waitUsec: expect.any(Number) }); // thread not in the tree; delay from domstats
    expect(g.disks).toEqual([expect.objectContaining({ name: 'virtio-disk0', source: 'libvirt', qdev: 'virtio-disk0', readOps: expect.any(Number),
      limits: expect.objectContaining({ readIops: 50, writeIops: null }) })]);
    expect(g.nics).toEqual([expect.objectContaining({ ifname: 'vnet0', mac: expect.stringMatching(/^52:54/), macvtap: false, rxBytes: expect.any(Number) })]);
    expect(g.memory.balloonActualBytes).toBe(65536 * 1024);
    expect(g.cpu.usageUsec).toBe(504131);
    expect(g.libvirt).toMatchObject({ uri: null, domId: 1, persistent: true, autostart: false, vcpuCount: 2, partition: '/machine',
      cputune: expect.objectContaining({ shares: 512 }), balloon: expect.objectContaining({ rssKiB: 45052 }) });
    expect(g.libvirt?.vcpuStats[0]).toEqual({ index: 0, state: 1, timeUsec: 230000, waitUsec: 0, delayUsec: 180662 });
    expect(runner.calls.every((c) => !c.argv.includes('-c') && typeof c.opts?.timeoutMs === 'number')).toBe(true);
  });

  it('adds an active domain the collector missed, reading its vCPU thread counters; every call carries -c URI', async () => {
    const runner = cannedVirsh();
    const en = createLibvirtEnricher({ runner, fs: host(), uri: 'qemu:///system' });
    const guests: RawGuest[] = [];
    await en.enrich(guests, ctx(['discovery', 'counters']));
    expect(guests).toHaveLength(1);
    expect(guests[0]).toMatchObject({ id: 'libvirt:web01', pid: 18624, manager: 'libvirt' });
    expect(guests[0]?.vcpus[0]).toMatchObject({ tid: 18630, runUsec: 2300000, waitUsec: 180662, timeslices: 411, lastCpu: 1 });
    expect(guests[0]?.libvirt?.uri).toBe('qemu:///system');
    expect(runner.calls.length).toBeGreaterThan(0);
    expect(runner.calls.every((c) => c.argv[1] === '-c' && c.argv[2] === 'qemu:///system')).toBe(true);
  });

  it('without the status XML: pid from the pidfile, and never qemu-monitor-command (it would taint the domain)', async () => {
    const runner = cannedVirsh({ 'qemu-monitor-command': { stdout: fx('query-cpus-fast.json') } });
    const en = createLibvirtEnricher({ runner, fs: host({ status: false }), uri: null });
    const guests: RawGuest[] = [];
    await en.enrich(guests, ctx(['discovery', 'counters', 'settings', 'qmp', 'qmpSlow']));
    expect(guests[0]?.pid).toBe(18624);
    expect(guests[0]?.vcpus).toEqual([]);
    expect(runner.calls.some((c) => c.argv.includes('qemu-monitor-command'))).toBe(false);
  });

  it('a domain that appears in domstats is described in that tick; one that leaves it is dropped in that tick', async () => {
    const domstats = fx('domstats.txt');
    let active = false;
    const runner = cannedVirsh({
      get domstats() { return { stdout: active ? domstats : '' }; },
      get list() { return { stdout: active ? fx('list-uuid-name.txt') : '\n' }; },
    });
    const en = createLibvirtEnricher({ runner, fs: host(), uri: null });
    const t0: RawGuest[] = [];
    await en.enrich(t0, ctx(['discovery', 'counters']));
    expect(t0).toEqual([]);
    active = true; // the domain starts between two ticks; the next tick is not a discovery tick
    const t1: RawGuest[] = [];
    const e1: SourceErrorInfo[] = [];
    await en.enrich(t1, ctx(['counters'], e1));
    expect(e1).toEqual([]);
    expect(t1.map((g) => [g.id, g.state, g.pid])).toEqual([['libvirt:web01', 'running', 18624]]);
    active = false; // and stops
    const t2: RawGuest[] = [];
    await en.enrich(t2, ctx(['counters']));
    expect(t2).toEqual([]);
  });

  it('with a clock, the disk counters carry the time the domstats reply arrived (their rate interval)', async () => {
    const clock = new ManualClock(5000);
    const en = createLibvirtEnricher({ runner: cannedVirsh(), fs: host(), uri: null, clock });
    const g = blankGuest('libvirt:web01', 'web01', 18624);
    await en.enrich([g], ctx(['discovery', 'counters']));
    expect(g.disks.map((d) => [d.name, d.target, d.atMonoMs])).toEqual([['virtio-disk0', 'vda', 5000]]);
  });

  it('a remote URI matches by name only and never reads local pids', async () => {
    const runner = cannedVirsh();
    const en = createLibvirtEnricher({ runner, fs: host(), uri: 'qemu+ssh://kvm7/system' });
    const none: RawGuest[] = [];
    await en.enrich(none, ctx(['discovery']));
    expect(none).toEqual([]);
    const g = blankGuest('libvirt:web01', 'web01', 4242);
    await en.enrich([g], ctx(['counters']));
    expect(g.uuid).toBe('4dea22b3-1d52-d8f3-2516-782e98ab3fa0');
    expect(g.vcpus).toEqual([]);
  });

  it('discovery is cached between discovery tasks; domstats runs on counters ticks only', async () => {
    const runner = cannedVirsh();
    const en = createLibvirtEnricher({ runner, fs: host(), uri: null });
    await en.enrich([], ctx(['discovery', 'counters']));
    const n = runner.calls.length;
    await en.enrich([], ctx(['counters']));
    expect(runner.calls.slice(n).map((c) => sub(c.argv)[0])).toEqual(['domstats']);
    await en.enrich([], ctx(['qmp']));
    expect(runner.calls.length).toBe(n + 1);
  });

  it('the live domain comes from the readable status XML: no dumpxml on discovery or settings ticks', async () => {
    const runner = cannedVirsh();
    const en = createLibvirtEnricher({ runner, fs: host(), uri: null });
    const g = blankGuest('libvirt:web01', 'web01', 18624);
    const errors: SourceErrorInfo[] = [];
    await en.enrich([g], ctx(['discovery', 'counters'], errors));
    await en.enrich([g], ctx(['settings', 'counters'], errors));
    expect(errors).toEqual([]);
    expect(runner.calls.map((c) => sub(c.argv)[0])).not.toContain('dumpxml');
    // the status file's <domain> is the live definition: limits, disks (with libvirt's QOM path), taps
    expect(g.libvirt?.disks).toEqual([expect.objectContaining({ target: 'vda', alias: 'virtio-disk0' })]);
    expect(g.disks[0]?.limits.readIops).toBe(50);
    expect(g.nics[0]?.ifname).toBe('vnet0');
  });

  it('settings ticks: an unchanged status XML keeps what it gave; a rewritten one (a live change) shows in that tick', async () => {
    const runner = cannedVirsh();
    const fs = host();
    const en = createLibvirtEnricher({ runner, fs, uri: null });
    const tick = async (tasks: SampleTask[]): Promise<RawGuest> => {
      const g = blankGuest('libvirt:web01', 'web01', 18624);
      const errors: SourceErrorInfo[] = [];
      await en.enrich([g], ctx(tasks, errors));
      expect(errors).toEqual([]);
      return g;
    };
    const first = await tick(['discovery', 'counters']);
    const same = await tick(['settings', 'counters']);
    // the same text: the same parsed definition (not parsed again), the same figures
    expect(same.libvirt?.disks).toBe(first.libvirt?.disks);
    expect(same.disks[0]?.limits.readIops).toBe(50);
    // libvirtd rewrites the file on a live change (here: `virsh blkdeviotune --live` to 75 read iops)
    const file = path.join(fs.root, 'run/libvirt/qemu/web01.xml');
    writeFileSync(file, fx('status.xml').replace('<read_iops_sec>50</read_iops_sec>', '<read_iops_sec>75</read_iops_sec>'));
    const counters = await tick(['counters']);
    expect(counters.disks[0]?.limits.readIops).toBe(50); // read on settings ticks only, as before
    const changed = await tick(['settings', 'counters']);
    expect(changed.disks[0]?.limits.readIops).toBe(75);
    expect(changed.libvirt?.disks).not.toBe(first.libvirt?.disks);
    expect(runner.calls.map((c) => sub(c.argv)[0])).not.toContain('dumpxml');
  });

  it('no readable status XML (not root): the live domain is asked with dumpxml on settings ticks', async () => {
    const runner = cannedVirsh();
    const en = createLibvirtEnricher({ runner, fs: host({ status: false }), uri: null });
    await en.enrich([], ctx(['discovery', 'counters']));
    const n = runner.calls.length;
    await en.enrich([], ctx(['settings', 'counters']));
    expect(runner.calls.slice(n).map((c) => sub(c.argv)[0])).toEqual(['domstats', 'dumpxml']);
  });

  it('failures become errors entries with the guest id; dumpxml failing falls back to domiflist/domblklist', async () => {
    const runner = cannedVirsh({ dumpxml: { code: 1, stderr: 'error: internal error: boom\n' } });
    const en = createLibvirtEnricher({ runner, fs: host({ status: false }), uri: null });
    const g = blankGuest('libvirt:web01', 'web01', 18624);
    const errors: SourceErrorInfo[] = [];
    await en.enrich([g], ctx(['discovery', 'counters'], errors));
    expect(errors).toEqual([{ source: 'libvirt', guest: 'libvirt:web01', message: 'virsh dumpxml: boom', kind: 'io' }]);
    expect(g.libvirt?.disks).toEqual([expect.objectContaining({ target: 'vda', source: '/var/lib/libvirt/images/web01.img' })]);
    expect(g.nics[0]?.ifname).toBe('vnet0');
  });

  it('no daemon: silent without libvirt guests, one error entry with them; a timeout is kind timeout', async () => {
    const down = cannedVirsh({ list: { code: 1, stderr: 'error: failed to connect to the hypervisor\nerror: Failed to connect socket\n' } });
    const en = createLibvirtEnricher({ runner: down, fs: host(), uri: null });
    const e1: SourceErrorInfo[] = [];
    await en.enrich([blankGuest('qemu:x', 'x', 1)].map((g) => ({ ...g, manager: 'qemu' as const })), ctx(['discovery'], e1));
    expect(e1).toEqual([]);
    const e2: SourceErrorInfo[] = [];
    await en.enrich([blankGuest('libvirt:web01', 'web01', 18624)], { ...ctx(['discovery'], e2), monoMs: 30_000 });
    expect(e2).toEqual([{ source: 'libvirt', guest: null, kind: 'io', message: 'virsh list: failed to connect to the hypervisor; Failed to connect socket' }]);
    const calls = down.calls.length;
    await en.enrich([blankGuest('libvirt:web01', 'web01', 18624)], { ...ctx(['discovery', 'counters']), monoMs: 59_999 });
    expect(down.calls.length).toBe(calls); // no virsh storm while the daemon is down: one try per 30 s
    await en.enrich([blankGuest('libvirt:web01', 'web01', 18624)], { ...ctx(['discovery', 'counters']), monoMs: 60_000 });
    expect(down.calls.length).toBe(calls + 1);
    const slow = cannedVirsh({ list: { code: null as unknown as number } });
    slow.calls = [];
    const timed = createLibvirtEnricher({ runner: { has: () => true, run: async (a, o) => ({ ...(await slow.run(a, o)), timedOut: true, code: null }) }, fs: host(), uri: null });
    const e3: SourceErrorInfo[] = [];
    await timed.enrich([blankGuest('libvirt:web01', 'web01', 1)], ctx(['discovery'], e3));
    expect(e3).toEqual([{ source: 'libvirt', guest: null, kind: 'timeout', message: 'virsh list timed out after 5000 ms' }]);
  });
});
