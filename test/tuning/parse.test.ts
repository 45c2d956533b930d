// Parsing of the `virtune tune` change options: every accepted form, and every unparsable input as a
// VirtuneError(2) that names the input and the valid form.
import { describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import {
  parseDiskThrottle, parseHugepages, parseIoSpec, parseKsm, parseMemMax, parseNetSpec, parseQuota, parseTuneOptions, parseVcpuPin,
} from '../../src/engine/model/tuning-parse.js';
import { parseTcRateBits, parseTcSizeBytes } from '../../src/engine/model/units.js';

function bad(fn: () => unknown, re: RegExp): void {
  let e: unknown = null;
  try { fn(); } catch (x) { e = x; }
  expect(e).toBeInstanceOf(VirtuneError);
  expect((e as VirtuneError).exitCode).toBe(2);
  expect((e as VirtuneError).message).toMatch(re);
}

describe('tune option parsing', () => {
  it('quota forms: 150%, 2cpu, µs, max', () => {
    expect(parseQuota('150%')).toEqual({ kind: 'pct', pct: 150 });
    expect(parseQuota('2cpu')).toEqual({ kind: 'cpus', cpus: 2 });
    expect(parseQuota('0.5cpus')).toEqual({ kind: 'cpus', cpus: 0.5 });
    expect(parseQuota('25000')).toEqual({ kind: 'usec', usec: 25000 });
    expect(parseQuota('max')).toEqual({ kind: 'max' });
    bad(() => parseQuota('fast'), /--cpu-quota: 'fast' is not a quota \(valid: 150%, 2cpu/);
    bad(() => parseQuota('0%'), /must be above 0%/);
  });

  it('--io DEV:KEY=VAL with 1024-based suffixes and max', () => {
    expect(parseIoSpec('vda:riops=50,rbps=10M')).toEqual({ kind: 'io', device: 'vda', limits: { riops: 50, rbps: 10 * 2 ** 20 } });
    expect(parseIoSpec('8:16:wbps=1G,wiops=max')).toEqual({ kind: 'io', device: '8:16', limits: { wbps: 2 ** 30, wiops: 'max' } });
    expect(parseIoSpec('/dev/sdb:rbps=512K').device).toBe('/dev/sdb');
    bad(() => parseIoSpec('vda'), /is not of the form DEV:KEY=VAL/);
    bad(() => parseIoSpec('vda:speed=5'), /unknown key 'speed'.*riops, wiops, rbps, wbps/);
    bad(() => parseIoSpec('vda:riops=lots'), /'riops=lots' is not a number/);
    bad(() => parseIoSpec('vda:riops=0'), /use riops=max to remove/);
  });

  it('--disk-throttle with QMP names', () => {
    expect(parseDiskThrottle('virtio-disk0:iops_rd=50,bps_wr=1M,group=g1,bps_wr_max=2M,bps_wr_max_length=10'))
      .toEqual({ kind: 'diskThrottle', disk: 'virtio-disk0', args: { iops_rd: 50, bps_wr: 2 ** 20, group: 'g1', bps_wr_max: 2 * 2 ** 20, bps_wr_max_length: 10 } });
    bad(() => parseDiskThrottle('d:read_iops_sec=5'), /unknown key 'read_iops_sec'/);
    bad(() => parseDiskThrottle('d:iops=-1'), /not KEY=VALUE|non-negative/);
  });

  it('--net with tc rates and sizes', () => {
    expect(parseNetSpec('vnet0:in=10mbit,peak=20mbit,burst=32k,out=500kbit')).toEqual({
      kind: 'net', ifname: 'vnet0',
      in: { rateKbit: 10000, peakKbit: 20000, burstBytes: 32768 }, out: { rateKbit: 500, peakKbit: null, burstBytes: null },
    });
    expect(parseNetSpec('tap0:in=none')).toEqual({ kind: 'net', ifname: 'tap0', in: 'none' });
    expect(parseTcRateBits('1gbit')).toBe(1e9);
    expect(parseTcRateBits('100kbps')).toBe(800000);
    expect(parseTcRateBits('1000')).toBe(1000);
    expect(parseTcSizeBytes('1600b')).toBe(1600);
    expect(parseTcSizeBytes('1mbit')).toBe(131072);
    bad(() => parseNetSpec('tap0:in=fast'), /'in=fast' .* is not a tc rate \(valid: e\.g\. 500kbit/);
    bad(() => parseNetSpec('tap0:burst=4k'), /sets neither in= nor out=/);
    bad(() => parseNetSpec('tap0:out=1mbit,peak=2mbit'), /peak= and burst= .* need in=RATE/);
    bad(() => parseNetSpec('tap0:in=10mbit,peak=1mbit'), /peak=1000kbit is below in=10000kbit/);
  });

  it('--mem-max, --vcpu-pin, --ksm, --hugepages', () => {
    expect(parseMemMax('4G')).toBe(4 * 2 ** 30);
    expect(parseMemMax('max')).toBe('max');
    bad(() => parseMemMax('4 apples'), /--mem-max: '4 apples' is not a size/);
    expect(parseVcpuPin('1:2-3')).toEqual({ kind: 'vcpuPin', vcpu: 1, cpus: '2-3' });
    bad(() => parseVcpuPin('1'), /is not VCPU:LIST/);
    bad(() => parseVcpuPin('0:x'), /'x' is not a CPU\/node list/);
    expect(parseKsm('run=1,pages_to_scan=1000')).toEqual({ kind: 'ksm', settings: { run: 1, pages_to_scan: 1000 } });
    bad(() => parseKsm('run=3'), /run=3 is out of range/);
    bad(() => parseKsm('speed=1'), /unknown key 'speed'/);
    expect(parseHugepages('2M=128')).toEqual({ kind: 'hugepages', sizeKb: 2048, node: null, count: 128 });
    expect(parseHugepages('1G@1=4')).toEqual({ kind: 'hugepages', sizeKb: 1048576, node: 1, count: 4 });
    bad(() => parseHugepages('2M'), /is not SIZE\[@NODE\]=COUNT/);
  });

  it('options → request; weight 0, period range, lists, host-only knobs', () => {
    const r = parseTuneOptions('web01', { cpuQuota: '50%', cpuset: '0-1', io: ['vda:riops=5'], revertAfter: '30', isolate: true });
    expect(r).toMatchObject({ guest: 'web01', isolate: true, force: false, revertAfterSec: 30 });
    expect(r.changes.map((c) => c.kind)).toEqual(['cpuQuota', 'cpuset', 'io']);
    bad(() => parseTuneOptions('web01', { cpuWeight: '0' }), /--cpu-weight: 0 is out of range/);
    bad(() => parseTuneOptions('web01', { cpuPeriod: '500' }), /--cpu-period: 500 is out of range \(valid: 1000-1000000 µs\)/);
    bad(() => parseTuneOptions('web01', { cpuset: '3-1' }), /--cpuset: '3-1' is not a CPU\/node list/);
    bad(() => parseTuneOptions('web01', {}), /no change given/);
    bad(() => parseTuneOptions('web01', { ksm: 'run=1' }), /host settings; use 'virtune tune host/);
    bad(() => parseTuneOptions('host', { cpuQuota: '50%' }), /needs a guest/);
  });
});
