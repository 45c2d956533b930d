// Families of cases (ok, malformed, empty, quirks) for the cgroup v1/v2 parsers.
import { describe, expect, it } from 'vitest';
import {
  hugetlbLabel, numaStatBytes, parseBlkioRwstat, parseBlkioThrottleDevice, parseCfsQuota, parseCgroupInt, parseControllers,
  parseCpuacctUsage, parseCpuMax, parseCpusetList, parseCpuStat, parseHugetlbNumaStat, parseIdList, parseIoMax, parseIoStat,
  parseMemoryLimitV1, parseMemoryMax, parseMemoryNumaStat, parseMemoryStat, parsePsi,
} from '../../src/collector/cgroup/parse.js';

describe('cpu.stat', () => {
  it('ok v2: µs keys as is, unknown keys ignored', () => {
    const s = parseCpuStat('usage_usec 2049410\nuser_usec 655227\nsystem_usec 1394182\nnice_usec 0\ncore_sched.force_idle_usec 0\nnr_periods 3\nnr_throttled 2\nthrottled_usec 700\nnr_bursts 0\nburst_usec 0\n');
    expect(s).toEqual({ usageUsec: 2049410, userUsec: 655227, systemUsec: 1394182, nrPeriods: 3, nrThrottled: 2, throttledUsec: 700, nrBursts: 0, burstUsec: 0 });
  });
  it('ok v1: throttled_time and burst_time are ns → µs', () => {
    const s = parseCpuStat('nr_periods 31\nnr_throttled 31\nthrottled_time 2422486896\nnr_bursts 1\nburst_time 5000\n');
    expect(s.throttledUsec).toBe(2422486);
    expect(s.burstUsec).toBe(5);
    expect(s.usageUsec).toBeNull();
  });
  it('only usage keys (controller not enabled in the parent): throttling is null, not 0', () => {
    const s = parseCpuStat('usage_usec 10\nuser_usec 5\nsystem_usec 5\n');
    expect(s.nrThrottled).toBeNull();
    expect(s.throttledUsec).toBeNull();
  });
  it('empty and malformed: every key null', () => {
    expect(parseCpuStat('').usageUsec).toBeNull();
    expect(parseCpuStat('usage_usec abc\n').usageUsec).toBeNull();
  });
});

describe('cpu.max / cfs quota / single ints', () => {
  it('ok', () => {
    expect(parseCpuMax('max 100000\n')).toEqual({ quotaUsec: 'max', periodUsec: 100000 });
    expect(parseCpuMax('150000 100000\n')).toEqual({ quotaUsec: 150000, periodUsec: 100000 });
  });
  it('malformed and empty throw a parse error', () => {
    expect(() => parseCpuMax('')).toThrow(/cpu.max/);
    expect(() => parseCpuMax('max\n')).toThrow(/cannot parse/);
    expect(() => parseCpuMax('-1 100000')).toThrow();
  });
  it('v1 quota: -1 and any negative value are unlimited', () => {
    expect(parseCfsQuota('-1\n')).toBe('max');
    expect(parseCfsQuota('-5\n')).toBe('max');
    expect(parseCfsQuota('20000\n')).toBe(20000);
    expect(() => parseCfsQuota('')).toThrow();
  });
  it('weight / shares / period', () => {
    expect(parseCgroupInt('100\n', 'cpu.weight')).toBe(100);
    expect(() => parseCgroupInt('x', 'cpu.shares')).toThrow(/cpu.shares/);
    expect(() => parseCgroupInt('', 'cpu.weight')).toThrow();
  });
});

describe('cpuacct.usage', () => {
  it('ns → µs', () => expect(parseCpuacctUsage('59474730912\n')).toBe(59474730));
  it('past 2^53 ns stays exact through BigInt', () => {
    // 98765432101234567 ns is beyond 2^53; Number() of it would round
    expect(parseCpuacctUsage('98765432101234567\n')).toBe(98765432101234);
  });
  it('malformed / empty', () => {
    expect(() => parseCpuacctUsage('')).toThrow();
    expect(() => parseCpuacctUsage('-3')).toThrow();
  });
});

describe('cpuset lists', () => {
  it('ok, including the empty string (v2 unset)', () => {
    expect(parseCpusetList('0-4,6,8-10\n')).toBe('0-4,6,8-10');
    expect(parseCpusetList('\n')).toBe('');
  });
  it('malformed (libvirt ^ syntax is not kernel syntax)', () => {
    expect(() => parseCpusetList('1-4,^3')).toThrow();
  });
});

describe('io.stat / io.max', () => {
  it('ok, unknown keys ignored, devices keyed by MAJ:MIN', () => {
    const m = parseIoStat('254:0 rbytes=646766592 wbytes=212992 rios=1155 wios=25 dbytes=151552 dios=8 cost.vrate=100\n254:16 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n');
    expect(m.get('254:0')).toEqual({ rbytes: 646766592, wbytes: 212992, rios: 1155, wios: 25, dbytes: 151552, dios: 8 });
    expect(m.size).toBe(2);
  });
  it('empty (no device saw I/O) and malformed lines', () => {
    expect(parseIoStat('').size).toBe(0);
    expect(parseIoStat('garbage line\n').size).toBe(0);
    expect(parseIoStat('8:0 rbytes=x\n').get('8:0')?.rbytes).toBeNull();
  });
  it('io.max: max is a tagged value, missing keys null', () => {
    const m = parseIoMax('8:16 rbps=2097152 wbps=max riops=max wiops=120\n');
    expect(m.get('8:16')).toEqual({ rbps: 2097152, wbps: 'max', riops: 'max', wiops: 120 });
    expect(parseIoMax('').size).toBe(0);
    expect(parseIoMax('8:0 rbps=1\n').get('8:0')?.wiops).toBeNull();
  });
});

describe('blkio (v1)', () => {
  it('rwstat per device plus the final Total', () => {
    const r = parseBlkioRwstat('8:0 Read 1048576\n8:0 Write 4096\n8:0 Sync 1052672\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 1052672\nTotal 1052672\n');
    expect(r.devices.get('8:0')).toEqual({ read: 1048576, write: 4096, discard: 0, total: 1052672 });
    expect(r.total).toBe(1052672);
  });
  it('an idle cgroup shows only "Total 0"', () => {
    const r = parseBlkioRwstat('Total 0\n');
    expect(r.devices.size).toBe(0);
    expect(r.total).toBe(0);
  });
  it('throttle *_device files', () => {
    expect([...parseBlkioThrottleDevice('254:0 50\n8:16 51200\n')]).toEqual([['254:0', 50], ['8:16', 51200]]);
    expect(parseBlkioThrottleDevice('').size).toBe(0);
    expect(parseBlkioThrottleDevice('nonsense\n').size).toBe(0);
  });
});

describe('memory', () => {
  it('v2 memory.max: bytes or max', () => {
    expect(parseMemoryMax('max\n')).toBe('max');
    expect(parseMemoryMax('1073741824\n')).toBe(1073741824);
    expect(() => parseMemoryMax('')).toThrow();
  });
  it('v1 limit_in_bytes: the huge unlimited value is max (4 KiB and 64 KiB page variants)', () => {
    expect(parseMemoryLimitV1('9223372036854771712\n')).toBe('max');
    expect(parseMemoryLimitV1('9223372036854710272\n')).toBe('max');
    expect(parseMemoryLimitV1('8589934592\n')).toBe(8589934592);
    expect(parseMemoryLimitV1('-1')).toBe('max');
    expect(() => parseMemoryLimitV1('lots')).toThrow();
  });
  it('memory.stat flat keyed', () => {
    const m = parseMemoryStat('anon 1794048\nfile 784244736\nanon_thp 0\nbad line here\n');
    expect(m.get('anon')).toBe(1794048);
    expect(m.has('bad')).toBe(false);
  });
  it('numa_stat: v2 bytes, v1 pages (× page size)', () => {
    const v2 = parseMemoryNumaStat('anon N0=1794048 N1=4096\nfile N0=784244736 N1=0\nkernel_stack N0=507904\n');
    expect(numaStatBytes(v2, 2, 4096)).toEqual({ 0: 1794048 + 784244736, 1: 4096 });
    const v1 = parseMemoryNumaStat('total=3655 N0=3655\nfile=199 N0=199\nanon=374 N0=374\nunevictable=3082 N0=3082\nhierarchical_total=38847 N0=38847\n');
    expect(numaStatBytes(v1, 1, 4096)).toEqual({ 0: 38847 * 4096 });
    expect(numaStatBytes(parseMemoryNumaStat(''), 2, 4096)).toBeNull();
  });
  it('hugetlb numa_stat (bytes) and size labels', () => {
    expect(parseHugetlbNumaStat('total=4194304 N0=2097152 N1=2097152\n')).toEqual({ 0: 2097152, 1: 2097152 });
    expect(parseHugetlbNumaStat('total=0 N0=0\nhierarchical_total=2097152 N0=2097152\n')).toEqual({ 0: 2097152 });
    expect(parseHugetlbNumaStat('')).toBeNull();
    expect(hugetlbLabel(2048)).toBe('2MB');
    expect(hugetlbLabel(1048576)).toBe('1GB');
    expect(hugetlbLabel(64)).toBe('64KB');
  });
});

describe('PSI', () => {
  it('some and full lines; totals are µs', () => {
    const p = parsePsi('some avg10=0.32 avg60=0.43 avg300=0.12 total=700735\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
    expect(p.some).toEqual({ avg10: 0.32, avg60: 0.43, avg300: 0.12, totalUsec: 700735 });
    expect(p.full?.totalUsec).toBe(0);
  });
  it('cpu before 5.13 has only a some line: full is null, not 0', () => {
    expect(parsePsi('some avg10=1.00 avg60=0.00 avg300=0.00 total=5\n').full).toBeNull();
  });
  it('empty / malformed', () => {
    expect(parsePsi('')).toEqual({ some: null, full: null });
    expect(parsePsi('some avg10=x\n').some).toBeNull();
  });
});

describe('id lists and controllers', () => {
  it('procs may repeat; deduplicated', () => {
    expect(parseIdList('12\n13\n12\n')).toEqual([12, 13]);
    expect(parseIdList('')).toEqual([]);
    expect(() => parseIdList('12\nabc\n')).toThrow();
  });
  it('controllers', () => {
    expect(parseControllers('cpuset cpu io memory hugetlb pids\n')).toEqual(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids']);
    expect(parseControllers('\n')).toEqual([]);
  });
});
