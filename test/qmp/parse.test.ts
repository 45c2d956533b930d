// Tests the pure QMP pieces: the message framer (CRLF, pretty, chunked, strings with braces, garbage,
// size cap), the lossless number rules of both JSON paths, and the reply parsers (disk keys, ns -> µs,
// throttle limits, memdev, `info network`, fdinfo `iff:`, hugetlbfs mounts; schedstat and stat are procfs's, tested there).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QmpFramer, QmpFramingError } from '../../src/engine/node/qmp-framer.js';
import { parseQmpMessage } from '../../src/engine/node/socket-qmp.js';
import { parseQmpJson as parseJsonLossless } from '../../src/collector/qmp/json.js';
import {
  carryHistograms, diskKey, hugetlbfsFor, LATENCY_BOUNDARIES_NS, nsToUsec, parseBlockLimits, parseBlockstats, parseCpusFast, parseFdinfoIff,
  parseHugetlbfsMounts, parseInfoNetwork, parseUuid,
} from '../../src/collector/qmp/parse.js';
import { virshArgv } from '../../src/collector/qmp/virsh-channel.js';

describe('QmpFramer', () => {
  it('splits CRLF-terminated, pretty-printed and chunked objects; braces inside strings do not count', () => {
    const f = new QmpFramer(1000);
    expect(f.push('{"a": 1}\r\n{"b"')).toEqual(['{"a": 1}']);
    expect(f.pendingChars).toBe(4);
    expect(f.push(': {\r\n  "c": "}{\\"}"\r\n}}\r\n')).toEqual(['{"b": {\r\n  "c": "}{\\"}"\r\n}}']);
    expect(f.pendingChars).toBe(0);
    expect(f.push('  \r\n')).toEqual([]);
  });
  it('rejects garbage outside objects and messages past the cap', () => {
    expect(() => new QmpFramer(100).push('ok\r\n')).toThrow(QmpFramingError);
    expect(() => new QmpFramer(100).push('[1]')).toThrow(/garbage/);
    const f = new QmpFramer(10);
    expect(() => f.push('{"x": "0123456789"}')).toThrow(/cap/);
    const g = new QmpFramer(10);
    g.push('{"x":');
    expect(() => g.push('"0123456789')).toThrow(/cap/);
  });
});

describe('lossless numbers', () => {
  it('socket path: safe integers and floats as numbers, big integers as exact strings', () => {
    expect(parseQmpMessage('{"a": 9007199254740991, "b": 9007199254740993, "c": 1.5, "d": -18446744073709551615}'))
      .toEqual({ a: 9007199254740991, b: '9007199254740993', c: 1.5, d: '-18446744073709551615' });
    expect(() => parseQmpMessage('[1]')).toThrow(/object/);
    expect(() => parseQmpMessage('{bad}')).toThrow(/JSON/);
  });
  it('virsh path: the same rule, digits inside strings untouched', () => {
    expect(parseJsonLossless('{"return": {"n": 18446744073709551615, "s": "18446744073709551615", "m": 12, "e": 1e3}}'))
      .toEqual({ return: { n: '18446744073709551615', s: '18446744073709551615', m: 12, e: 1000 } });
  });
  it('digit runs inside fractions, exponents and strings are never quoted (fast path and slow path)', () => {
    expect(parseQmpMessage('{"f": 1.12345678901234567, "e": 1e+12345678901234567, "s": "x 12345678901234567 y", "n": 12345678901234567}'))
      .toEqual({ f: 1.12345678901234567, e: Infinity, s: 'x 12345678901234567 y', n: '12345678901234567' });
    expect(parseQmpMessage('{"a": [-9007199254740992, 9007199254740991, "\\\"12345678901234567"]}'))
      .toEqual({ a: ['-9007199254740992', 9007199254740991, '"12345678901234567'] });
    expect(parseQmpMessage('{"small": 42}')).toEqual({ small: 42 });
  });
  it('ns -> µs exact for decimal strings', () => {
    expect(nsToUsec('18446744073709551615')).toBe(Number(18446744073709551n));
    expect(nsToUsec(1999)).toBe(1);
    expect(nsToUsec(null)).toBeNull();
  });
});

describe('QMP reply parsers', () => {
  it('keys disks by device, qdev id, node name, then qdev path', () => {
    expect(diskKey('drive-virtio0', null, null)).toBe('drive-virtio0');
    expect(diskKey('', '/machine/peripheral/virtio-disk0/virtio-backend', 'libvirt-1-format')).toBe('virtio-disk0');
    expect(diskKey('', '/machine/peripheral-anon/device[0]/virtio-backend', 'n1')).toBe('n1');
    expect(diskKey('', '/machine/peripheral-anon/device[0]/virtio-backend', null)).toBe('/machine/peripheral-anon/device[0]/virtio-backend');
    expect(diskKey('', null, null)).toBeNull();
    expect(diskKey('', '/machine/peripheral/', 'n2')).toBe('n2'); // an empty id step is no id
    expect(diskKey('', '/machine/peripheral//x', null)).toBe('/machine/peripheral//x');
    expect(diskKey('', '/machine/peripheral/scsi0-0-0-0', null)).toBe('scsi0-0-0-0');
  });
  it('the qdev id step of a disk key is the one the path pattern ^/machine/peripheral/([^/]+) names', () => {
    const byPattern = (qdev: string): string | null => /^\/machine\/peripheral\/([^/]+)/.exec(qdev)?.[1] ?? null;
    const step = fc.string({ unit: fc.constantFrom('a', '/', '-', '0', '\n', 'é'), maxLength: 6 });
    fc.assert(fc.property(fc.constantFrom('/machine/peripheral/', '/machine/peripheral', '/machine/', ''), step, (head, tail) => {
      const qdev = head + tail;
      expect(diskKey('', qdev, 'node')).toBe(byPattern(qdev) ?? 'node');
    }));
  });
  it('query-blockstats: absent counters stay null, not zero', () => {
    const [d] = parseBlockstats([{ device: 'd0', stats: { rd_operations: 5, rd_total_time_ns: 5000 } }]);
    expect(d).toMatchObject({ name: 'd0', readOps: 5, readTimeUsec: 5, writeOps: null, flushTimeUsec: null, qdev: null });
  });
  it('latency histograms: a kind unchanged since last tick is handed over as one frozen object, the same one from then on', () => {
    const n = LATENCY_BOUNDARIES_NS.length;
    const bins = (k: number): number[] => Array.from({ length: n + 1 }, (_, i) => (i === 3 ? k : 0));
    const reply = (rd: number, wr: number): unknown => [{
      device: 'd0', stats: {
        rd_operations: 1, rd_latency_histogram: { boundaries: [...LATENCY_BOUNDARIES_NS], bins: bins(rd) },
        wr_latency_histogram: { boundaries: [...LATENCY_BOUNDARIES_NS], bins: bins(wr) },
      },
    }];
    const hist = (rd: number, wr: number) => parseBlockstats(reply(rd, wr))[0]!.latencyHistograms ?? null;
    const t1 = carryHistograms(hist(5, 7), undefined);
    // read unchanged, write changed: read frozen (a copy of this tick's), write as parsed
    const t2 = carryHistograms(hist(5, 8), t1)!;
    expect(Object.isFrozen(t2.read)).toBe(true);
    expect(Object.isFrozen(t2.read!.bins)).toBe(true);
    expect(Object.isFrozen(t2.write)).toBe(false);
    expect(t2.read!.bins).toEqual(bins(5));
    expect(t2.write!.bins).toEqual(bins(8));
    // read still unchanged: the same object; write unchanged once: frozen now, the set as well
    const t3 = carryHistograms(hist(5, 8), t2)!;
    expect(t3.read).toBe(t2.read);
    expect(Object.isFrozen(t3.write)).toBe(true);
    expect(Object.isFrozen(t3)).toBe(true);
    // nothing changed: last tick's set itself
    expect(carryHistograms(hist(5, 8), t3)).toBe(t3);
    // a change after that: a fresh (unfrozen) kind with the new counts, the other kind still carried
    const t5 = carryHistograms(hist(6, 8), t3)!;
    expect(t5).not.toBe(t3);
    expect(t5.read!.bins).toEqual(bins(6));
    expect(Object.isFrozen(t5.read)).toBe(false);
    expect(t5.write).toBe(t3.write);
    // other boundaries are a change too
    const other = parseBlockstats([{ device: 'd0', stats: { rd_latency_histogram: { boundaries: [1, 2], bins: [0, 0, 0] } } }])[0]!.latencyHistograms;
    const was = carryHistograms(parseBlockstats([{ device: 'd0', stats: { rd_latency_histogram: { boundaries: [1, 3], bins: [0, 0, 0] } } }])[0]!.latencyHistograms ?? null, undefined);
    expect(carryHistograms(other ?? null, was)!.read!.boundariesNs).toEqual([1, 2]);
    expect(Object.isFrozen(carryHistograms(other ?? null, was)!.read)).toBe(false);
  });

  it('query-block: 0 = no limit (null); burst and group as extra', () => {
    const m = parseBlockLimits([{ device: 'd0', inserted: { iops: 0, iops_rd: 50, bps_wr: 1024, iops_rd_max: 0, group: 'd0', iops_size: 4096 } },
      { device: 'cd', type: 'unknown' }]);
    expect(m.get('d0')).toEqual({ readIops: 50, writeIops: null, totalIops: null, readBytesPerSec: null, writeBytesPerSec: 1024, totalBytesPerSec: null, extra: { group: 'd0', iops_size: 4096 } });
    expect(m.has('cd')).toBe(false);
  });
  it('query-cpus-fast uses the host thread-id, not props.thread-id', () => {
    expect(parseCpusFast([{ 'cpu-index': 1, 'thread-id': 22, props: { 'thread-id': 0 } }, { 'cpu-index': 0, 'thread-id': 21 }, { junk: 1 }]))
      .toEqual([{ index: 0, tid: 21, qomPath: null }, { index: 1, tid: 22, qomPath: null }]);
  });
  it('query-uuid: all zeros means none', () => {
    expect(parseUuid({ UUID: '00000000-0000-0000-0000-000000000000' })).toBeNull();
  });
  it('info network: ifname, fd, multiqueue fds, filters and hubs', () => {
    const text = 'net0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:01:02:03\r\n \\ hostnet0: index=0,type=tap,fd=29\r\n' +
      'filters:\r\n  - f0: type=filter-buffer\r\n' +
      'net1: index=0,type=nic,model=e1000,macaddr=52:54:00:01:02:04\r\n \\ n1: index=0,type=tap,ifname=tap9,script=no,downscript=no\r\n' +
      'hub0port0: index=0,type=hub,hub=0\r\n';
    expect(parseInfoNetwork(text)).toEqual([
      { nic: 'net0', model: 'virtio-net-pci', mac: '52:54:00:01:02:03', netdev: 'hostnet0', type: 'tap', ifname: null, fds: [29] },
      { nic: 'net1', model: 'e1000', mac: '52:54:00:01:02:04', netdev: 'n1', type: 'tap', ifname: 'tap9', fds: [] },
    ]);
    expect(parseInfoNetwork('')).toEqual([]);
  });
  it('fdinfo iff, hugetlbfs mounts (octal escapes, page sizes), schedstat and stat field 39', () => {
    expect(parseFdinfoIff('pos:\t0\nflags:\t02\niff:\tvnet3\n')).toBe('vnet3');
    expect(parseFdinfoIff('pos:\t0\n')).toBeNull();
    const mounts = parseHugetlbfsMounts('22 1 0:20 / /dev/hugepages rw - hugetlbfs hugetlbfs rw,pagesize=2M\n' +
      '23 1 0:21 / /mnt/huge\\0401g rw shared:3 - hugetlbfs none rw,pagesize=1024M\n30 1 8:1 / / rw - ext4 /dev/vda rw\n');
    expect(mounts).toEqual([{ mountPoint: '/dev/hugepages', pageSizeBytes: 2 << 20 }, { mountPoint: '/mnt/huge 1g', pageSizeBytes: 1 << 30 }]);
    expect(hugetlbfsFor('/dev/hugepages/libvirt/qemu/1-vm1', mounts)?.pageSizeBytes).toBe(2 << 20);
    expect(hugetlbfsFor('/dev/hugepagesX/a', mounts)).toBeNull();
  });
  it('virsh argv: JSON passthrough, --hmp for HMP, --connect when a URI is set', () => {
    expect(virshArgv(null, 'vm1', 'query-status')).toEqual(['virsh', 'qemu-monitor-command', 'vm1', '{"execute":"query-status"}']);
    expect(virshArgv('qemu:///system', 'vm1', 'human-monitor-command', { 'command-line': 'info network' }))
      .toEqual(['virsh', '--connect', 'qemu:///system', 'qemu-monitor-command', 'vm1', '--hmp', 'info network']);
  });
});
