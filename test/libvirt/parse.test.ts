// Fixture tests of the libvirt parsers: outputs captured from the real libvirt 9.0.0 of the lab
// (test/fixtures/libvirt/*.txt, dumpxml-live.xml, status.xml) plus one hand-written domain XML for what
// this machine cannot produce (dumpxml-rich.synthetic.xml), and the malformed/empty cases.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/engine/model/errors.js';
import { parseDomainXml, parseStatusXml } from '../../src/collector/libvirt/parse-domain.js';
import {
  parseDomblklist, parseDominfo, parseDomiflist, parseDomstats, parseListUuidName, virshErrorLine,
} from '../../src/collector/libvirt/parse-virsh.js';
import { parseXml } from '../../src/collector/libvirt/parse-xml.js';
import {
  intValue, parseDeviceList, parseEmulatorpin, parseIothreadinfo, parseKeyValues, parseVcpupin,
} from '../../src/tuning/libvirt/getters.js';
import { FIXTURES } from '../helpers/fixture-host.js';

const fx = (name: string): string => readFileSync(path.join(FIXTURES, 'libvirt', name), 'utf8');

describe('parseXml (minimal reader for libvirt-generated XML)', () => {
  it('reads elements, attributes in both quote styles, entities, text, and skips comments/declarations', () => {
    const x = parseXml(`<?xml version="1.0"?>\n<!-- c --><a k="1" j='x&amp;y'><b>t &lt;1&#62; &#x41;</b><c/><![CDATA[raw<>]]></a>`);
    expect(x.name).toBe('a');
    expect(x.attrs).toEqual({ k: '1', j: 'x&y' });
    expect(x.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(x.children[0]?.text).toBe('t <1> A');
    expect(x.text).toBe('raw<>');
  });
  it('keeps `>` inside quoted attribute values', () => {
    expect(parseXml(`<a v='x>y'/>`).attrs.v).toBe('x>y');
  });
  it.each([
    ['empty', ''],
    ['unclosed', '<a><b></b>'],
    ['mismatched', '<a></b>'],
    ['two roots', '<a/><b/>'],
    ['text outside', 'x<a/>'],
    ['unterminated tag', '<a'],
  ])('malformed (%s) → HostError parse', (_n, text) => {
    expect(() => parseXml(text)).toThrow(HostError);
    try { parseXml(text); } catch (e) { expect((e as HostError).kind).toBe('parse'); }
  });
});

describe('parseDomainXml', () => {
  it('live XML captured from libvirt 9 (tuned: shares, vcpupin, blkiotune, iotune)', () => {
    const d = parseDomainXml(fx('dumpxml-live.xml'));
    expect(d.name).toBe('web01');
    expect(d.uuid).toBe('4dea22b3-1d52-d8f3-2516-782e98ab3fa0');
    expect(d.domId).toBe(1);
    expect(d.type).toBe('qemu');
    expect(d.vcpuCount).toBe(2);
    expect(d.maxMemoryKiB).toBe(65536);
    expect(d.partition).toBe('/machine');
    expect(d.cputune?.shares).toBe(512);
    expect(d.cputune?.vcpupin).toEqual([{ vcpu: 0, cpuset: '1' }]);
    expect(d.cputune?.globalQuota).toBeNull();
    expect(d.blkiotune?.devices).toEqual([{ path: '/dev/vda', weight: null, readIopsSec: 40, writeIopsSec: null, readBytesSec: null, writeBytesSec: null }]);
    expect(d.disks).toHaveLength(1);
    expect(d.disks[0]).toMatchObject({ target: 'vda', alias: 'virtio-disk0', type: 'file', device: 'disk', bus: 'virtio', cache: 'none', iotune: { read_iops_sec: 50 } });
    expect(d.disks[0]?.source).toBe('/var/lib/libvirt/images/web01.img');
    expect(d.interfaces).toEqual([{ ifname: 'vnet0', mac: expect.stringMatching(/^52:54:00:/), type: 'ethernet', model: 'virtio', alias: 'net0', inbound: null, outbound: null }]);
    expect(d.numatune).toBeNull();
    expect(d.memoryBacking).toBeNull();
    expect(d.memtune).toBeNull();
  });

  it('every tuning element (hand-written XML: hugepages, memtune, bandwidth, restrictive numatune, iothreadpin)', () => {
    const d = parseDomainXml(fx('dumpxml-rich.synthetic.xml'));
    expect(d.name).toBe('db&cache 02');
    expect(d.uuid).toBe('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
    expect(d.vcpuCount).toBe(4);
    expect(d.maxMemoryKiB).toBe(8 * 1024 * 1024);
    expect(d.cputune).toMatchObject({ shares: 2048, period: 1000000, quota: -1, globalPeriod: 100000, globalQuota: 150000,
      emulatorpin: '1-3', iothreadpin: [{ iothread: 1, cpuset: '6-7' }] });
    expect(d.cputune?.vcpupin).toEqual([{ vcpu: 0, cpuset: '1-4,^2' }, { vcpu: 1, cpuset: '5' }]);
    expect(d.numatune).toEqual({ mode: 'restrictive', nodeset: '0-1', placement: null });
    expect(d.memtune).toEqual({ hardLimitKiB: 9216 * 1024, softLimitKiB: 7340032, swapHardLimitKiB: null });
    expect(d.memoryBacking).toEqual({ hugepages: true, pageSizesKiB: [2048, 1048576], locked: true, nosharepages: true,
      source: 'memfd', access: 'shared', allocation: 'immediate' });
    expect(d.blkiotune?.weight).toBe(800);
    expect(d.disks.map((k) => k.target)).toEqual(['sda', 'hdc']);
    expect(d.disks[0]?.iotune).toEqual({ total_iops_sec: 2000, total_iops_sec_max: 4000, group_name: 'db' });
    expect(d.disks[0]?.source).toBe('/dev/vg0/db02');
    expect(d.interfaces[0]).toMatchObject({ ifname: 'vnet3', type: 'bridge',
      inbound: { average: 1000, peak: 5000, burst: 5120, floor: 200 }, outbound: { average: 128, peak: 256, burst: 256, floor: null } });
    expect(d.interfaces[1]).toMatchObject({ ifname: 'macvtap0', type: 'direct', inbound: null });
  });

  it('rejects a document that is not a <domain>', () => {
    expect(() => parseDomainXml('<domstatus/>')).toThrow(/expected <domain>/);
  });
});

describe('parseStatusXml (/run/libvirt/qemu/<name>.xml)', () => {
  it('QEMU pid, vCPU thread ids and the nested live domain', () => {
    const s = parseStatusXml(fx('status.xml'));
    expect(s.state).toBe('running');
    expect(s.pid).toBe(18624);
    expect(s.vcpus).toEqual([{ index: 0, tid: 18630 }, { index: 1, tid: 18631 }]);
    expect(s.iothreads).toEqual([]);
    expect(s.domain?.name).toBe('web01');
    expect(s.domain?.disks[0]?.qomPath).toBe('/machine/peripheral/virtio-disk0/virtio-backend');
  });
});

describe('virsh text outputs', () => {
  it('list --uuid --name (names with spaces kept)', () => {
    expect(parseListUuidName(fx('list-uuid-name.txt'))).toEqual([{ uuid: '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', name: 'web01' }]);
    expect(parseListUuidName('0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0 db cache 02\n\n')).toEqual([{ uuid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', name: 'db cache 02' }]);
    expect(parseListUuidName('\n')).toEqual([]);
  });
  it('dominfo', () => {
    expect(parseDominfo(fx('dominfo.txt'))).toEqual({ id: 1, name: 'web01', uuid: '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', state: 'running',
      vcpus: 2, maxMemoryKiB: 65536, usedMemoryKiB: 65536, persistent: true, autostart: false });
    expect(parseDominfo('')).toMatchObject({ id: null, state: null, persistent: null });
  });
  it('domiflist and domblklist', () => {
    expect(parseDomiflist(fx('domiflist.txt'))).toEqual([{ ifname: 'vnet0', type: 'ethernet', source: null, model: 'virtio', mac: expect.stringMatching(/^52:54:00/) }]);
    expect(parseDomblklist(fx('domblklist.txt'))).toEqual([{ target: 'vda', source: '/var/lib/libvirt/images/web01.img' }]);
    expect(parseDomblklist(' Target   Source\n-----------------\n hdc      -\n sda      /var/lib/my images/a b.qcow2\n')).toEqual([
      { target: 'hdc', source: null }, { target: 'sda', source: '/var/lib/my images/a b.qcow2' }]);
    expect(parseDomiflist('garbage')).toEqual([]);
  });
  it('domstats --raw: vCPU delay/wait, balloon, per-disk and per-NIC counters (ns → µs)', () => {
    const [s, ...rest] = parseDomstats(fx('domstats.txt'));
    expect(rest).toEqual([]);
    expect(s?.name).toBe('web01');
    expect(s?.stateCode).toBe(1);
    expect(s?.cpuTimeUsec).toBe(504131);
    expect(s?.vcpuStats).toEqual([
      { index: 0, state: 1, timeUsec: 230000, waitUsec: 0, delayUsec: 180662 },
      { index: 1, state: 1, timeUsec: expect.any(Number), waitUsec: 0, delayUsec: expect.any(Number) },
    ]);
    expect(s?.balloon).toMatchObject({ currentKiB: 65536, maximumKiB: 65536, rssKiB: 45052, usableKiB: null });
    expect(s?.blocks[0]).toMatchObject({ name: 'vda', readOps: expect.any(Number), readTimeUsec: expect.any(Number), writeOps: 0 });
    expect(s?.nets[0]).toMatchObject({ ifname: 'vnet0', rxBytes: expect.any(Number), txPackets: 0 });
  });
  it('domstats: several domains, an inactive one with state only, big ns counters stay exact', () => {
    const t = "Domain: 'a'\n  state.state=1\n  cpu.time=18446744073709551615\n\nDomain: 'b c'\n  state.state=5\n  state.reason=0\n";
    const [a, b] = parseDomstats(t);
    expect(a?.cpuTimeUsec).toBe(18446744073709551);
    expect(b).toMatchObject({ name: 'b c', stateCode: 5, vcpuStats: [], balloon: null, blocks: [], nets: [] });
    expect(parseDomstats('')).toEqual([]);
  });
  it('virsh errors become one line without the generic preface', () => {
    expect(virshErrorLine('error: Unable to set interface parameters\nerror: internal error: Child process (tc qdisc add dev v parent 1:1 handle 2: sfq perturb 10) unexpected exit status 2: Error: Specified qdisc kind is unknown.\n\n'))
      .toBe('Child process (tc qdisc add dev v parent 1:1 handle 2: sfq perturb 10) unexpected exit status 2: Error: Specified qdisc kind is unknown.');
    expect(virshErrorLine("error: failed to get domain 'x'\n")).toBe("failed to get domain 'x'");
    expect(virshErrorLine('', '')).toBe('virsh failed without a message');
  });
});

describe('virsh getter outputs (tuning)', () => {
  it('schedinfo live and config (unset config values read 0)', () => {
    const live = parseKeyValues(fx('schedinfo.txt'));
    expect(intValue(live, 'cpu_shares')).toBe(512);
    expect(intValue(live, 'global_quota')).toBe(-1);
    expect(live.get('Scheduler')).toBe('posix');
    expect(intValue(parseKeyValues(fx('schedinfo-config.txt')), 'global_quota')).toBe(0);
  });
  it('blkiotune device lists, blkdeviotune, numatune, domiftune', () => {
    const b = parseKeyValues(fx('blkiotune.txt'));
    expect(parseDeviceList(b.get('device_read_iops_sec'))).toEqual(new Map([['/dev/vda', 40]]));
    expect(parseDeviceList(b.get('device_write_iops_sec'))).toEqual(new Map());
    expect(parseDeviceList('/dev/vda,40,/dev/sdb,10')).toEqual(new Map([['/dev/vda', 40], ['/dev/sdb', 10]]));
    const t = parseKeyValues(fx('blkdeviotune.txt'));
    expect(intValue(t, 'read_iops_sec')).toBe(50);
    expect(t.get('group_name')).toBe('/machine/peripheral/virtio-disk0/virtio-backend');
    expect(parseKeyValues(fx('numatune.txt')).get('numa_nodeset')).toBe('');
    expect(intValue(parseKeyValues(fx('domiftune.txt')), 'inbound.average')).toBe(0);
    expect(intValue(parseKeyValues('hard_limit     : unlimited\n'), 'hard_limit')).toBeNull();
  });
  it('vcpupin, emulatorpin, iothreadinfo tables', () => {
    expect(parseVcpupin(fx('vcpupin.txt'))).toEqual(new Map([[0, '1'], [1, '0-1']]));
    expect(parseEmulatorpin(fx('emulatorpin.txt'))).toBe('0-1');
    expect(parseIothreadinfo(fx('iothreadinfo.txt'))).toEqual(new Map());
    expect(parseIothreadinfo(' IOThread ID   CPU Affinity\n---------------------------\n 1             2-3\n 4             0\n')).toEqual(new Map([[1, '2-3'], [4, '0']]));
  });
});
