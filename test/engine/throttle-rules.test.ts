// Tests the one QEMU block_set_io_throttle rule check (engine/model/throttle-rules) that tuning and the
// demo's simulated QEMU share: each rule, the order in which the first broken one is named, and acceptance.

import { describe, expect, it } from 'vitest';
import { throttleViolation } from '../../src/engine/model/throttle-rules.js';

describe('throttleViolation', () => {
  it.each([
    [{ iops: 10, iops_wr: 5 }, { rule: 'totalWithReadWrite', kind: 'iops', suf: '' }],
    [{ bps_max: 10, bps_rd_max: 5 }, { rule: 'totalWithReadWrite', kind: 'bps', suf: '_max' }],
    [{ bps_wr: -1 }, { rule: 'range', key: 'bps_wr', value: -1 }],
    [{ iops_max: 5 }, { rule: 'maxWithoutBase', key: 'iops' }],
    [{ bps: 100, bps_max: 50 }, { rule: 'maxBelowBase', key: 'bps', max: 50, base: 100 }],
    [{ bps: 100, bps_max: 200, bps_max_length: 0 }, { rule: 'lengthZero', key: 'bps' }],
    [{ bps: 100, bps_max_length: 3 }, { rule: 'lengthWithoutMax', key: 'bps', length: 3 }],
    [{ bps: 100, bps_max: 200, bps_max_length: 4294967296 }, { rule: 'lengthRange', key: 'bps', length: 4294967296 }],
    [{ bps: 100, bps_max: 1e12, bps_max_length: 10000 }, { rule: 'burstTooHigh', key: 'bps' }],
    [{ bps: 100, iops_size: 4096 }, { rule: 'iopsSizeWithoutIops' }],
  ])('%j breaks %j', (a, v) => {
    expect(throttleViolation(a)).toEqual(v);
  });
  it('names the mix before a range error, and ignores the group string', () => {
    expect(throttleViolation({ bps: 1, bps_rd: 2e15 })?.rule).toBe('totalWithReadWrite');
    expect(throttleViolation({ group: 'g', iops_rd: 100, iops_rd_max: 200, iops_rd_max_length: 10, iops_size: 4096 })).toBeNull();
    expect(throttleViolation({ bps: 0, bps_rd: 0, iops: 0 })).toBeNull();
  });
});
