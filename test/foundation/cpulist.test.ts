// Tests of the kernel and libvirt list syntax helpers (property tests with fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCpuList, parseCpuList, parseLibvirtList } from '../../src/engine/model/cpulist.js';

describe('cpu lists', () => {
  it('parses the kernel syntax', () => {
    expect(parseCpuList('0-4,6,8-10\n')).toEqual([0, 1, 2, 3, 4, 6, 8, 9, 10]);
    expect(parseCpuList('')).toEqual([]);
    expect(() => parseCpuList('1-')).toThrow();
    expect(() => parseCpuList('3-1')).toThrow();
    expect(() => parseCpuList('a')).toThrow();
  });
  it('formats with ranges and round-trips', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 64 }), (xs) => {
      const sorted = [...xs].sort((a, b) => a - b);
      expect(parseCpuList(formatCpuList(xs))).toEqual(sorted);
    }));
    expect(formatCpuList([0, 1, 3, 5, 6, 7])).toBe('0-1,3,5-7');
  });
  it('expands libvirt ^N exclusions', () => {
    expect(parseLibvirtList('0-3,^2,5')).toEqual([0, 1, 3, 5]);
    expect(parseLibvirtList('1-4,^3')).toEqual([1, 2, 4]);
    expect(() => parseLibvirtList('^1-2')).toThrow();
    expect(() => parseLibvirtList('')).toThrow();
  });
});
