// Property test of cpu.stat parsing (collector/cgroup/parse.ts, lines taken in place since session 4):
// on generated files — real keys and look-alikes, v1 ns and v2 µs keys in any order and repeated,
// values of any length, signs, garbage, colons and every kind of whitespace — parseCpuStat gives what
// the map-based reading it replaced gave (parseFlatKeyed, then toInt or nsTextToUsec per key).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCpuStat, type CpuStat } from '../../src/collector/cgroup/parse.js';
import { nsTextToUsec, parseFlatKeyed, toInt } from '../../src/collector/parse-common.js';

function previousParseCpuStat(text: string): CpuStat {
  const kv = parseFlatKeyed(text);
  const usecOrNs = (usecKey: string, nsKey: string): number | null =>
    kv.has(usecKey) ? toInt(kv.get(usecKey)) : nsTextToUsec(kv.get(nsKey));
  return {
    usageUsec: toInt(kv.get('usage_usec')), userUsec: toInt(kv.get('user_usec')), systemUsec: toInt(kv.get('system_usec')),
    nrPeriods: toInt(kv.get('nr_periods')), nrThrottled: toInt(kv.get('nr_throttled')),
    throttledUsec: usecOrNs('throttled_usec', 'throttled_time'), nrBursts: toInt(kv.get('nr_bursts')),
    burstUsec: usecOrNs('burst_usec', 'burst_time'),
  };
}

const KEYS = ['usage_usec', 'user_usec', 'system_usec', 'nr_periods', 'nr_throttled', 'throttled_usec', 'throttled_time',
  'nr_bursts', 'burst_usec', 'burst_time', 'usage_use', 'usage_usecs', 'core_sched.force_idle_usec', 'x(y)', 'a-b', ''];
const spaces = fc.string({ unit: fc.constantFrom(' ', '\t', '\r', '\v', '\f', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u2028'), maxLength: 3 });
const digits = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String), fc.string({ unit: fc.constantFrom('0', '9'), minLength: 14, maxLength: 17 }));
const val = fc.oneof(digits, digits.map((d) => `-${d}`), fc.constantFrom('-', '--1', '1.5', '1e3', 'max', '12a', '+3', ''), fc.string({ maxLength: 4 }));
const line = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('', ':', '::'), spaces, val, spaces).map((p) => p.join('')),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(' ', ': '), val).map((p) => p.join('')),
  fc.string({ maxLength: 12 }),
);

describe('parseCpuStat (property)', () => {
  it('gives what the map-based reading gave, on any lines', () => {
    fc.assert(fc.property(fc.array(line, { maxLength: 14 }), fc.boolean(), (lines, trailing) => {
      const text = lines.join('\n') + (trailing ? '\n' : '');
      expect(parseCpuStat(text)).toEqual(previousParseCpuStat(text));
    }), { numRuns: 5000 });
  });
  it('reads a real v2 and a real v1 file', () => {
    expect(parseCpuStat('usage_usec 123456789\nuser_usec 100\nsystem_usec 23\nnr_periods 7\nnr_throttled 2\nthrottled_usec 5000\nnr_bursts 0\nburst_usec 0\n'))
      .toEqual({ usageUsec: 123456789, userUsec: 100, systemUsec: 23, nrPeriods: 7, nrThrottled: 2, throttledUsec: 5000, nrBursts: 0, burstUsec: 0 });
    expect(parseCpuStat('nr_periods 10\nnr_throttled 1\nthrottled_time 18446744073709551615\n'))
      .toEqual({ usageUsec: null, userUsec: null, systemUsec: null, nrPeriods: 10, nrThrottled: 1, throttledUsec: Number(18446744073709551n), nrBursts: null, burstUsec: null });
  });
});
