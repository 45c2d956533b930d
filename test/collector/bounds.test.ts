// boundRawSample: impossible values from corrupt kernel files or hostile QMP replies become null with
// one error entry each (a pure check on built samples).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundRawSample, listWithin } from '../../src/collector/bounds.js';
import { parseCpuList } from '../../src/engine/model/cpulist.js';
import { rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';
import type { RawSample } from '../../src/engine/model/sample.js';

describe('range checks of a sample', () => {
  it('nulls a negative memory figure, a weight of 1e23, a tid of 1e23, an unknown run state and a hostile cpuset', () => {
    const g = rawGuest('qemu:web01', { pid: 4242 });
    g.memory.currentBytes = -1;
    g.cpu.weight = 1e23;
    g.vcpus[0]!.tid = 1e23;
    g.vcpus[1]!.index = 1e308;
    g.state = 'exploded';
    g.cpu.cpuset = '9007199254740993';
    const raw = rawSample(1000, rawHost(), [g]);
    expect(boundRawSample(raw)).toBe(6);
    expect([g.memory.currentBytes, g.cpu.weight, g.vcpus[0]!.tid, g.vcpus[1]!.index, g.state, g.cpu.cpuset]).toEqual([null, null, null, null, null, null]);
    expect(raw.errors.map((e) => e.message)).toContain('guest qemu:web01.cpu.weight: impossible value 1e+23 (expected an integer 1..10000); shown as unknown');
    expect(raw.errors.every((e) => e.source === 'bounds' && e.guest === 'qemu:web01')).toBe(true);
  });

  it('leaves a sane sample alone', () => {
    const raw = rawSample(1000, rawHost(), [rawGuest('qemu:a', { pid: 10 })]);
    const before = JSON.stringify(raw);
    expect(boundRawSample(raw)).toBe(0);
    expect(JSON.stringify(raw)).toBe(before);
  });

  it('list bounds: a list element of 2^53 is refused at once instead of looping', () => {
    expect(listWithin('0-3,8', 8191)).toBe(true);
    expect(listWithin('9007199254740993', 8191)).toBe(false);
    expect(listWithin('1-', 8191)).toBe(false);
    expect(() => parseCpuList('9007199254740993')).toThrow(/above 65535/);
    expect(() => parseCpuList('0-9007199254740993')).toThrow(/above 65535/);
    expect(() => parseCpuList('4', 3)).toThrow(/above 3/);
  });

  it('names each impossible value by its path: keys, array positions, frozen parts replaced by a corrected copy', () => {
    const g = rawGuest('qemu:web01', { pid: 4242 });
    g.vcpus[1]!.index = -3;
    const group = Object.freeze({ usageUsec: 1, nrPeriods: 1, nrThrottled: 0, throttledUsec: 0, quotaUsec: 'max' as const, periodUsec: 5 });
    g.vcpus[0]!.cpuGroup = group;
    g.memory.backends = Object.freeze([Object.freeze({ id: 'pc.ram', sizeBytes: 1, merge: null, share: null, hugepages: null, pageSizeBytes: null, hostNodes: Object.freeze([2000]), policy: null, type: null })]) as unknown as typeof g.memory.backends;
    const host = rawHost();
    host.numaNodes[0]!.node = 5000;
    const raw = rawSample(1000, host, [g]);
    expect(boundRawSample(raw)).toBe(4);
    expect(raw.errors.map((e) => e.message.replace(/ \(.*$/, ''))).toEqual([
      'host.numaNodes[0].node: impossible value 5000',
      'guest qemu:web01.vcpus[0].cpuGroup.periodUsec: impossible value 5',
      'guest qemu:web01.vcpus[1].index: impossible value -3',
      'guest qemu:web01.memory.backends[0].hostNodes: impossible value 2000',
    ]);
    expect(g.vcpus[0]!.cpuGroup).not.toBe(group); // the frozen part is never written: a copy replaces it
    expect(g.vcpus[0]!.cpuGroup?.periodUsec).toBeNull();
    expect(group.periodUsec).toBe(5);
    expect(g.memory.backends?.[0]?.hostNodes).toBeNull();
  });

  it('a frozen part gives the same results as the same values unfrozen (the read-only check agrees with the walk), and is never written', () => {
    const deepFreeze = <T>(v: T): T => {
      if (v !== null && typeof v === 'object') { for (const x of Object.values(v)) deepFreeze(x); Object.freeze(v); }
      return v;
    };
    const num = fc.oneof(fc.integer({ min: -3, max: 300_000 }), fc.constantFrom(1e23, -1, 0.5, Number.NaN, 2 ** 53, 5_000_000));
    const list = fc.constantFrom('0-3', '1,5', '9007199254740993', '0-8192', 'x', '');
    fc.assert(fc.property(num, num, num, num, list, fc.constantFrom('running', 'exploded'), fc.boolean(), fc.integer({ min: 1, max: 3 }),
      (period, tid, nrThrottled, hostNode, cpus, state, freezeVcpu, rounds) => {
        const parts = (frozen: boolean) => {
          const f = <T>(v: T): T => (frozen ? deepFreeze(v) : v);
          const group = f({ usageUsec: 1, nrPeriods: 1, nrThrottled, throttledUsec: 0, quotaUsec: 'max' as const, periodUsec: period });
          const vcpu = { ...rawGuest('qemu:p').vcpus[0]!, tid, cpusAllowed: cpus, cpuGroup: group };
          return {
            vcpu: freezeVcpu ? f(vcpu) : vcpu,
            backends: f([{ id: 'pc.ram', sizeBytes: 1, merge: null, share: null, hugepages: null, pageSizeBytes: null, hostNodes: [hostNode], policy: null, type: null }]),
            cgroup: f({ path: '/x', version: 2 as const, own: true }),
          };
        };
        const sample = (p: ReturnType<typeof parts>): RawSample => {
          const g = rawGuest('qemu:p', { pid: 4242 });
          // the vCPU object itself is the sample's own unless it is frozen (a part carried as it is)
          g.vcpus = [Object.isFrozen(p.vcpu) ? p.vcpu : { ...p.vcpu }, g.vcpus[1]!];
          g.memory.backends = p.backends;
          g.cgroup = p.cgroup;
          g.state = state;
          return rawSample(1000, rawHost(), [g]);
        };
        const shared = parts(true);
        const before = JSON.stringify(shared);
        // the same frozen parts in sample after sample (carried): the same outcome as plain values, every time
        for (let i = 0; i < rounds; i++) {
          const plain = sample(parts(false));
          const frozen = sample(shared);
          const n = boundRawSample(plain);
          expect(boundRawSample(frozen)).toBe(n);
          expect(JSON.stringify(frozen)).toBe(JSON.stringify(plain));
          expect(frozen.errors).toEqual(plain.errors);
          expect(JSON.stringify(shared)).toBe(before); // never written
        }
      }), { numRuns: 300 });
  });
});
