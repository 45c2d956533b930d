// Families of cases for the procfs and sysfs parsers, with the quirks of host-interfaces.md: comm with
// spaces and ')', numa_maps policies with spaces, ksm_stat mixed syntax, fdinfo iff:, mountinfo escapes.
import { describe, expect, it } from 'vitest';
import { nsDigitsToUsec } from '../../src/collector/parse-common.js';
import {
  parseCmdline, parseFdinfoIff, parseKsmStat, parseMeminfo, parseMountinfo, parseNumaMaps, parsePidStat, parseProcCgroup,
  parseNetDev, parseProcStat, parseSchedstat, parseUptime, parseStatProcessor, parseStatus, parseVcpuComm, statusField, statusKbToBytes,
} from '../../src/collector/procfs/parse.js';
import {
  blockNameFromLink, parseBracketed, parseCounter, parseDistance, parseHugepagesDirName, parseNodeDirName, parseNodeMeminfo, parseUevent,
} from '../../src/collector/sysfs/parse.js';

const statOf = (comm: string, processor = 5): string =>
  `6051 (${comm}) R 1 6051 6051 0 -1 4194560 2161 0 0 0 199 3 0 0 20 0 6 0 26481 1000 900 18446744073709551615 ` +
  `1 1 0 0 0 0 0 0 0 0 0 0 17 ${processor} 0 0 0 150 0\n`;

describe('/proc/<pid>/stat', () => {
  it('ok: fields by proc(5) number', () => {
    const s = parsePidStat(statOf('qemu-system-x86'));
    expect(s).toMatchObject({ pid: 6051, comm: 'qemu-system-x86', state: 'R', utimeTicks: 199, stimeTicks: 3, numThreads: 6, processor: 5, guestTimeTicks: 150 });
  });
  it('comm with spaces and ")" is split after the last ")"', () => {
    const s = parsePidStat(statOf('CPU 0/KVM) x (y', 3));
    expect(s.comm).toBe('CPU 0/KVM) x (y');
    expect(s.utimeTicks).toBe(199);
    expect(parseStatProcessor(statOf('a) b', 7))).toBe(7);
  });
  it('malformed / empty', () => {
    expect(() => parsePidStat('')).toThrow();
    expect(() => parsePidStat('garbage')).toThrow();
    expect(parseStatProcessor('1 (x) R 1')).toBeNull();
  });
});

describe('/proc/stat', () => {
  it('aggregate and per-CPU ticks', () => {
    const r = parseProcStat('cpu  10 1 20 300 4 0 5 0 0 0\ncpu0 5 1 10 150 2 0 3 0 0 0\ncpu1 5 0 10 150 2 0 2 0 0 0\nintr 1 2\nctxt 5\n');
    expect(r.total).toMatchObject({ user: 10, nice: 1, system: 20, idle: 300, iowait: 4, softirq: 5 });
    expect(Object.keys(r.perCpu)).toEqual(['0', '1']);
  });
  it('old kernels with fewer columns: missing columns are 0; empty file has nothing', () => {
    expect(parseProcStat('cpu 1 2 3 4\n').total?.steal).toBe(0);
    expect(parseProcStat('')).toEqual({ total: null, perCpu: {} });
    expect(parseProcStat('cpu a b c d\n').total).toBeNull();
  });
});

describe('/proc/uptime', () => {
  it('the first field (seconds with two decimals) as integer milliseconds', () => {
    expect(parseUptime('350735.47 234388.90\n')).toBe(350_735_470);
    expect(parseUptime('0.05 0.01\n')).toBe(50);
    expect(parseUptime('12 7')).toBe(12_000);
  });
  it('malformed or empty: a parse error, never 0', () => {
    expect(() => parseUptime('')).toThrow(/cannot parse \/proc\/uptime/);
    expect(() => parseUptime('up 5 days\n')).toThrow(/cannot parse/);
    expect(() => parseUptime('-3.00 1.00\n')).toThrow(/cannot parse/);
  });
});

describe('meminfo / status', () => {
  it('kB → bytes, unitless values as is', () => {
    const m = parseMeminfo('MemTotal:       16318040 kB\nHugePages_Total:     512\nHugepagesize:       2048 kB\n');
    expect(m.get('MemTotal')).toBe(16318040 * 1024);
    expect(m.get('HugePages_Total')).toBe(512);
    expect(parseMeminfo('').size).toBe(0);
  });
  it('status fields', () => {
    const t = 'Name:\tqemu\nVmRSS:\t   36000 kB\nHugetlbPages:\t       0 kB\nCpus_allowed_list:\t0-1,3\n';
    expect(statusField(t, 'Name')).toBe('qemu');
    expect(statusField(t, 'Cpus_allowed_list')).toBe('0-1,3');
    expect(statusField(t, 'Missing')).toBeNull();
    expect(statusKbToBytes(statusField(t, 'VmRSS') ?? undefined)).toBe(36000 * 1024);
    expect(statusKbToBytes('abc')).toBeNull();
    expect(parseStatus(t).get('HugetlbPages')).toBe('0 kB');
  });
});

describe('schedstat', () => {
  it('ns -> µs without BigInt up to 15 digits gives exactly what BigInt division gives (every boundary near a whole µs)', () => {
    const cases: string[] = [];
    for (const base of [0n, 999n, 1000n, 123456789000n, 999999999999000n, 999999999999999n, 100000000000000n, 1000000000000000n, 9007199254740993n, 18446744073709551615n]) {
      for (const d of [-1n, 0n, 1n, 999n]) if (base + d >= 0n) cases.push(String(base + d));
    }
    // 2000 spread 15-digit values ending in 999 (the quotient just below the next µs), a fixed sequence
    let x = 123456789;
    for (let i = 0; i < 2000; i++) { x = (x * 1103515245 + 12345) % 2147483648; cases.push(`${100000000000 + x * 419}999`); }
    for (const c of cases) {
      expect(nsDigitsToUsec(c)).toBe(Number(BigInt(c) / 1000n));
      expect(parseSchedstat(`${c} ${c} 1\n`).runUsec).toBe(Number(BigInt(c) / 1000n));
    }
  });
  it('ns → µs; precise beyond 2^53 ns', () => {
    expect(parseSchedstat('168451261 127380380 133\n')).toEqual({ runUsec: 168451, waitUsec: 127380, timeslices: 133 });
    expect(parseSchedstat('98765432101234567 0 1').runUsec).toBe(98765432101234);
  });
  it('sched_info off reads 0 0 0; malformed throws', () => {
    expect(parseSchedstat('0 0 0\n').runUsec).toBe(0);
    expect(() => parseSchedstat('')).toThrow();
    expect(() => parseSchedstat('1 2')).toThrow();
  });
});

describe('cmdline', () => {
  it('NUL-separated with a trailing NUL; empty arguments kept', () => {
    expect(parseCmdline('qemu-system-x86_64\0-name\0guest=a b\0\0x\0')).toEqual(['qemu-system-x86_64', '-name', 'guest=a b', '', 'x']);
    expect(parseCmdline('')).toEqual([]);
  });
});

describe('numa_maps', () => {
  it('sums N<node>= × kernelpagesize_kB, policies with spaces, hugetlb separately', () => {
    const text = [
      '556a2562b000 default file=/usr/bin/bash mapped=47 mapmax=5 N0=47 kernelpagesize_kB=4',
      '7f3a6ad56000 prefer (many):0-1 anon=129 dirty=129 N0=100 N1=29 kernelpagesize_kB=4',
      '7f3a6ad57000 weighted interleave:0-1 anon=10 N1=10 kernelpagesize_kB=4',
      '7e0000000000 bind:1 file=/dev/hugepages/libvirt/qemu/1-vm huge dirty=3 N1=3 kernelpagesize_kB=2048',
      '7f0000000000 default kernelpagesize_kB=4 anon=2 N0=2',
      '7f0000001000 default',
    ].join('\n');
    const r = parseNumaMaps(text);
    expect(r.perNodeBytes).toEqual({ 0: (47 + 100 + 2) * 4096, 1: (29 + 10) * 4096 + 3 * 2048 * 1024 });
    expect(r.hugeBytesPerNode).toEqual({ 1: 3 * 2048 * 1024 });
    expect(r.anonBytesPerNode['0']).toBe((100 + 2) * 4096);
  });
  it('empty', () => expect(parseNumaMaps('').perNodeBytes).toEqual({}));
});

describe('ksm_stat', () => {
  it('mixed "key value" and "key: yes|no"; profit may be negative', () => {
    const k = parseKsmStat('ksm_rmap_items 0\nksm_zero_pages 3\nksm_merging_pages 12\nksm_process_profit -4096\nksm_merge_any: no\nksm_mergeable: yes\n');
    expect(k).toEqual({ rmapItems: 0, zeroPages: 3, mergingPages: 12, processProfit: -4096, mergeAny: false, mergeable: true });
  });
  it('old kernel (6.1) has only ksm_rmap_items: the rest null', () => {
    expect(parseKsmStat('ksm_rmap_items 5\n')).toMatchObject({ mergingPages: null, mergeAny: null });
    expect(parseKsmStat('').rmapItems).toBeNull();
  });
});

describe('fdinfo / comm / cgroup', () => {
  it('iff: line of a tap fd', () => {
    expect(parseFdinfoIff('pos:\t0\nflags:\t0104002\nmnt_id:\t25\nino:\t1234\niff:\tvnet3\n')).toBe('vnet3');
    expect(parseFdinfoIff('pos:\t0\nflags:\t02\n')).toBeNull();
    expect(parseFdinfoIff('')).toBeNull();
  });
  it('vCPU thread names', () => {
    expect(parseVcpuComm('CPU 3/KVM\n')).toEqual({ index: 3, accel: 'KVM' });
    expect(parseVcpuComm('CPU 0/TCG')).toEqual({ index: 0, accel: 'TCG' });
    expect(parseVcpuComm('worker')).toBeNull();
  });
  it('/proc/<pid>/cgroup v1, named and v2 lines; (deleted) stripped', () => {
    const c = parseProcCgroup('9:name=systemd:/\n3:cpu,cpuacct:/machine/a.libvirt-qemu/emulator\n4:memory:/x (deleted)\n0::/\n');
    expect(c.v1.get('cpu')).toBe('/machine/a.libvirt-qemu/emulator');
    expect(c.v1.get('cpuacct')).toBe('/machine/a.libvirt-qemu/emulator');
    expect(c.v1.get('name=systemd')).toBe('/');
    expect(c.v1.get('memory')).toBe('/x');
    expect(c.v2).toBe('/');
    expect(parseProcCgroup('').v2).toBeNull();
  });
});

describe('mountinfo', () => {
  it('optional fields, super options, octal escapes', () => {
    const m = parseMountinfo('34 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:13 master:2 - cgroup cgroup rw,cpu,cpuacct\n' +
      '50 1 8:1 / /mnt/with\\040space rw - ext4 /dev/sda1 rw\nbroken line\n');
    expect(m).toHaveLength(2);
    expect(m[0]).toMatchObject({ mountPoint: '/sys/fs/cgroup/cpu,cpuacct', fstype: 'cgroup', superOptions: ['rw', 'cpu', 'cpuacct'] });
    expect(m[1]?.mountPoint).toBe('/mnt/with space');
    expect(parseMountinfo('')).toEqual([]);
  });
});

describe('sysfs', () => {
  it('node meminfo', () => {
    const m = parseNodeMeminfo('Node 0 MemTotal:        3761952 kB\nNode 0 MemFree:         3389040 kB\nNode 0 HugePages_Total:     0\n');
    expect(m.get('MemTotal')).toBe(3761952 * 1024);
    expect(m.get('HugePages_Total')).toBe(0);
    expect(parseNodeMeminfo('').size).toBe(0);
  });
  it('distance', () => {
    expect(parseDistance('10 21\n')).toEqual([10, 21]);
    expect(() => parseDistance('')).toThrow();
    expect(() => parseDistance('10 x')).toThrow();
  });
  it('THP brackets', () => {
    expect(parseBracketed('always [madvise] never\n')).toBe('madvise');
    expect(parseBracketed('always defer defer+madvise [madvise] never')).toBe('madvise');
    expect(parseBracketed('always madvise never')).toBeNull();
  });
  it('names, uevent, block links, counters', () => {
    expect(parseHugepagesDirName('hugepages-1048576kB')).toBe(1048576);
    expect(parseHugepagesDirName('foo')).toBeNull();
    expect(parseNodeDirName('node12')).toBe(12);
    expect(parseNodeDirName('online')).toBeNull();
    expect(parseUevent('MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n').get('DEVNAME')).toBe('vda');
    expect(blockNameFromLink('../../devices/pci0000:00/0000:00:04.0/virtio2/block/vda')).toBe('vda');
    expect(parseCounter('18446744\n', 'rx_bytes')).toBe(18446744);
    expect(() => parseCounter('', 'rx_bytes')).toThrow(/rx_bytes/);
  });
});

describe('/proc/net/dev', () => {
  it('per interface rx/tx bytes, packets, drops; header and malformed lines skipped', () => {
    const t = 'Inter-|   Receive                                                |  Transmit\n' +
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
      '  vnet0: 1000 10 0 2 0 0 0 0 50000 40 0 3 0 0 0 0\n    lo: x\n';
    expect(parseNetDev(t).get('vnet0')).toEqual({ rxBytes: 1000, rxPackets: 10, rxDropped: 2, txBytes: 50000, txPackets: 40, txDropped: 3 });
    expect(parseNetDev(t).size).toBe(1);
    expect(parseNetDev('').size).toBe(0);
  });
});
