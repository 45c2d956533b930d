// Property tests of the hot-path parsers taken in place in session 5 (no split, regex or copy per
// field): parseSchedstat, statmResidentPages, parseProcStat, parseNetDev (procfs/parse.ts), parsePsi (and its totals-only parsePsiTotals) and parseIoStat
// (cgroup/parse.ts). On generated files — the real shapes, look-alikes, values of any length, garbage,
// and every kind of whitespace — each gives what the split/regex reading it replaced gave (copied below
// as it was), errors included.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIoStat, parsePsi, parsePsiTotals, type IoStatEntry, type Psi, type PsiLine } from '../../src/collector/cgroup/parse.js';
import { parseNetDev, parseProcStat, parseSchedstat, statmResidentPages, type NetDevCounters, type Schedstat } from '../../src/collector/procfs/parse.js';
import { nsDigitsToUsec, parseError, parseNestedKeyed, toFloat, toInt } from '../../src/collector/parse-common.js';
import type { RawCpuTimes } from '../../src/engine/model/sample.js';

function previousSchedstat(text: string): Schedstat {
  const m = /^(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(text.trim());
  if (!m) throw parseError('schedstat', text);
  return { runUsec: nsDigitsToUsec(m[1] as string), waitUsec: nsDigitsToUsec(m[2] as string), timeslices: Number(m[3]) };
}

const previousStatm = (t: string): number | null => toInt(t.trim().split(/\s+/)[1]);

function previousPsi(text: string): Psi {
  const out: Psi = { some: null, full: null };
  for (const line of text.split('\n')) {
    const m = /^(some|full) avg10=([\d.]+) avg60=([\d.]+) avg300=([\d.]+) total=(\d+)$/.exec(line.trim());
    if (!m) continue;
    const l: PsiLine = { avg10: toFloat(m[2]) ?? 0, avg60: toFloat(m[3]) ?? 0, avg300: toFloat(m[4]) ?? 0, totalUsec: Number(m[5]) };
    if (m[1] === 'some') out.some = l; else out.full = l;
  }
  return out;
}

function previousIoStat(text: string): Map<string, IoStatEntry> {
  const out = new Map<string, IoStatEntry>();
  for (const [dev, kv] of [...parseNestedKeyed(text)].filter(([d]) => /^\d+:\d+$/.test(d))) {
    out.set(dev, {
      rbytes: toInt(kv.get('rbytes')), wbytes: toInt(kv.get('wbytes')), rios: toInt(kv.get('rios')),
      wios: toInt(kv.get('wios')), dbytes: toInt(kv.get('dbytes')), dios: toInt(kv.get('dios')),
    });
  }
  return out;
}

function previousNetDev(text: string): Map<string, NetDevCounters> {
  const out = new Map<string, NetDevCounters>();
  for (const line of text.split('\n')) {
    const c = line.indexOf(':');
    if (c < 0) continue;
    const name = line.slice(0, c).trim();
    const f = line.slice(c + 1).trim().split(/\s+/).map((x) => toInt(x));
    if (name === '' || f.length < 16 || f.some((x) => x === null)) continue;
    const n = f as number[];
    out.set(name, { rxBytes: n[0] as number, rxPackets: n[1] as number, rxDropped: n[3] as number, txBytes: n[8] as number, txPackets: n[9] as number, txDropped: n[11] as number });
  }
  return out;
}

const CPU_KEYS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guestNice'] as const;
function previousProcStat(text: string): { total: RawCpuTimes | null; perCpu: Record<string, RawCpuTimes> } {
  let total: RawCpuTimes | null = null;
  const perCpu: Record<string, RawCpuTimes> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const parts = line.trim().split(/\s+/);
    const label = parts[0] as string;
    const nums = parts.slice(1).map((s) => toInt(s));
    if (nums.length < 4 || nums.some((n) => n === null)) continue;
    const t = {} as RawCpuTimes;
    CPU_KEYS.forEach((k, i) => { t[k] = nums[i] ?? 0; });
    if (label === 'cpu') total = t;
    else if (/^cpu\d+$/.test(label)) perCpu[label.slice(3)] = t;
  }
  return { total, perCpu };
}

/** the outcome of a parser that may throw, comparable with toEqual (the error's message included) */
function outcome<T>(f: () => T): { ok: T } | { err: string } {
  try { return { ok: f() }; } catch (e) { return { err: (e as Error).message }; }
}

const space = fc.constantFrom(' ', '  ', '\t', '\r', '\v', '\f', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u2028');
const spaces = fc.string({ unit: space, maxLength: 3 });
const digits = fc.oneof(
  fc.nat({ max: 99999 }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
  fc.string({ unit: fc.constantFrom('0', '9'), minLength: 14, maxLength: 17 }),
);
const anyDigits = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 20 });
const decimal = fc.oneof(
  digits,
  fc.tuple(digits, digits).map(([a, b]) => `${a}.${b}`),
  fc.tuple(anyDigits, anyDigits).map(([a, b]) => `${a}.${b}`),
  fc.constantFrom('0.00', '1.5', '.5', '5.', '1..2', '1.2.3', '', '-1', '1e3', 'x', '12345678901234.56', '0.1234567890123456789012345'),
);
const value = fc.oneof(digits, digits.map((d) => `-${d}`), fc.constantFrom('-', '--1', '1.5', 'max', '12a', '+3', '', '='), fc.string({ maxLength: 4 }));
const join = (lines: string[], trailing: boolean): string => lines.join('\n') + (trailing ? '\n' : '');

/** check(text) for 5000 texts of up to maxLines lines drawn from `line`, with or without a final newline */
const forTexts = (line: fc.Arbitrary<string>, maxLines: number, check: (t: string) => void): void =>
  fc.assert(fc.property(fc.array(line, { maxLength: maxLines }), fc.boolean(), (lines, trailing) => check(join(lines, trailing))), { numRuns: 5000 });

describe('in-place parsers give what the split/regex readings gave (property)', () => {
  it('parseSchedstat', () => {
    const text = fc.oneof(
      fc.tuple(spaces, digits, spaces, space, digits, space, spaces, digits, spaces).map((p) => p.join('')),
      fc.tuple(spaces, value, fc.constantFrom(' ', '\t', ''), value, fc.constantFrom(' ', ''), value, spaces, fc.constantFrom('', '\n', ' 9')).map((p) => p.join('')),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(fc.property(text, (t) => {
      expect(outcome(() => parseSchedstat(t))).toEqual(outcome(() => previousSchedstat(t)));
    }), { numRuns: 5000 });
    expect(parseSchedstat('123456789012 345678 42\n')).toEqual({ runUsec: 123456789, waitUsec: 345, timeslices: 42 });
  });

  it('statmResidentPages', () => {
    const text = fc.oneof(
      fc.array(fc.oneof(value, digits), { maxLength: 8 }).chain((ts) => fc.tuple(spaces, fc.array(fc.tuple(space, spaces).map((p) => p.join('')), { minLength: ts.length, maxLength: ts.length }), spaces)
        .map(([a, seps, z]) => a + ts.map((x, i) => x + (i < ts.length - 1 ? seps[i] : '')).join('') + z)),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(fc.property(text, (t) => {
      expect(statmResidentPages(t)).toEqual(previousStatm(t));
    }), { numRuns: 5000 });
    expect(statmResidentPages('1234 567 89 1 0 100 0\n')).toBe(567);
  });

  it('parsePsi', () => {
    const line = fc.oneof(
      fc.tuple(spaces, fc.constantFrom('some', 'full', 'some ', 'sume', 'ful'), fc.constantFrom(' avg10=', ' avg10 =', 'avg10='), decimal,
        fc.constantFrom(' avg60=', '  avg60='), decimal, fc.constantFrom(' avg300=', ' avg30='), decimal, fc.constantFrom(' total=', ' total= '),
        fc.oneof(digits, value), spaces).map((p) => p.join('')),
      fc.string({ maxLength: 16 }),
    );
    forTexts(line, 4, (t) => {
      expect(parsePsi(t)).toEqual(previousPsi(t));
      // the totals-only reading the sampler uses takes the same lines
      const prev = previousPsi(t);
      expect(parsePsiTotals(t)).toEqual({ someUsec: prev.some?.totalUsec ?? null, fullUsec: prev.full?.totalUsec ?? null });
    });
    expect(parsePsi('some avg10=1.25 avg60=0.10 avg300=0.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=99\n')).toEqual({
      some: { avg10: 1.25, avg60: 0.1, avg300: 0, totalUsec: 123456 }, full: { avg10: 0, avg60: 0, avg300: 0, totalUsec: 99 },
    });
  });

  it('parseIoStat', () => {
    const dev = fc.oneof(fc.tuple(fc.nat({ max: 300 }), fc.nat({ max: 300 })).map(([a, b]) => `${a}:${b}`), fc.constantFrom('8:0', '253:1', '8:', ':0', '8:0x', 'x', '8', '8:0:1'));
    const kv = fc.tuple(fc.constantFrom('rbytes', 'wbytes', 'rios', 'wios', 'dbytes', 'dios', 'rbyte', 'rbytes=', '', 'x'), fc.constantFrom('=', '', '=='), value).map((p) => p.join(''));
    const line = fc.oneof(
      fc.tuple(spaces, dev, fc.array(fc.tuple(fc.oneof(space, fc.constant(' ')), kv).map((p) => p.join('')), { maxLength: 8 }), spaces).map(([a, d, kvs, z]) => a + d + kvs.join('') + z),
      fc.string({ maxLength: 16 }),
    );
    forTexts(line, 5, (t) => {
      const a = parseIoStat(t);
      const b = previousIoStat(t);
      expect([...a]).toEqual([...b]);
    });
  });

  it('parseNetDev', () => {
    const name = fc.oneof(fc.constantFrom('lo', 'eth0', 'vnet12', 'macvtap3', 'a:b', ''), fc.string({ maxLength: 6 }));
    const line = fc.oneof(
      fc.tuple(spaces, name, fc.constantFrom(':', ': ', ' :', ''), fc.array(fc.tuple(fc.oneof(space, fc.constant(' ')), fc.oneof(digits, digits, value)).map((p) => p.join('')), { minLength: 10, maxLength: 18 }), spaces)
        .map(([a, nm, colon, f, z]) => a + nm + colon + f.join('') + z),
      fc.constantFrom('Inter-|   Receive                            |  Transmit', ' face |bytes    packets errs drop fifo frame compressed multicast|bytes'),
      fc.string({ maxLength: 16 }),
    );
    forTexts(line, 5, (t) => {
      const a = parseNetDev(t);
      const b = previousNetDev(t);
      expect([...a]).toEqual([...b]);
      expect(JSON.stringify([...a])).toBe(JSON.stringify([...b]));
    });
    expect(parseNetDev('    lo: 100 2 0 1 0 0 0 0 300 4 0 5 0 0 0 0\n').get('lo')).toEqual({ rxBytes: 100, rxPackets: 2, rxDropped: 1, txBytes: 300, txPackets: 4, txDropped: 5 });
  });

  it('parseProcStat', () => {
    const label = fc.oneof(fc.constant('cpu'), fc.nat({ max: 300 }).map((n) => `cpu${n}`), fc.constantFrom('cpux', 'cpu1a', 'intr', ' cpu', 'cp', 'cpu007'));
    const line = fc.oneof(
      fc.tuple(label, fc.array(fc.tuple(fc.oneof(space, fc.constant(' ')), fc.oneof(digits, digits, value)).map((p) => p.join('')), { maxLength: 12 }), spaces)
        .map(([l, f, z]) => l + f.join('') + z),
      fc.string({ maxLength: 16 }),
    );
    forTexts(line, 6, (t) => {
      const a = parseProcStat(t);
      const b = previousProcStat(t);
      expect(a).toEqual(b);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    });
  });
});
