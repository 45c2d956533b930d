// Tests applyVcpus (qmp/guest-apply): QMP's vCPU map merged into the vCPUs the collector read this tick —
// against a plain model of the rule (a thread the collector read keeps its counters and takes QMP's index;
// one it did not read gets its counters read now; the last of two entries with one thread id wins), for
// small guests (merged in place) and large ones (found through a map), duplicates included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyVcpus } from '../../src/collector/qmp/guest-apply.js';
import type { QmpVcpu } from '../../src/collector/qmp/parse.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import type { RawVcpu } from '../../src/engine/model/sample.js';
import { useLab } from '../helpers/lab.js';
import { rawGuest } from '../engine/raw-builders.js';

/** The rule, written plainly: every map entry becomes a new object. */
function model(old: RawVcpu[], map: QmpVcpu[]): { vcpus: unknown[]; fresh: boolean } {
  const byTid = new Map(old.filter((v) => v.tid !== null).map((v) => [v.tid as number, v]));
  let fresh = true;
  const vcpus = map.map((q) => {
    const known = byTid.get(q.tid);
    if (known && known.runUsec !== null) return { ...known, index: q.index, source: 'qmp' };
    fresh = false; // the threads of this test have no /proc files: the read finds nothing
    return {
      index: q.index, tid: q.tid, source: 'qmp', runUsec: null, waitUsec: null, timeslices: null,
      lastCpu: null, cpusAllowed: null, cgroupPath: known?.cgroupPath ?? null,
    };
  });
  return { vcpus, fresh };
}

describe('applyVcpus', () => {
  const lab = useLab();

  it('gives what the rule gives, each entry its own object, for small and large guests and duplicate thread ids', () => {
    const fs = new NodeHostFs(lab.tmpdir('apply-vcpus'));
    const tid = fc.integer({ min: 100, max: 140 });
    const vcpu = fc.record({
      tid: fc.option(tid, { nil: null }), runUsec: fc.option(fc.nat(), { nil: null }), cgroupPath: fc.option(fc.constant('/vcpu'), { nil: null }),
      group: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(vcpu, { maxLength: 40 }), fc.array(tid, { maxLength: 40 }), (olds, tids) => {
      const make = (): RawVcpu[] => olds.map((o, i) => {
        const v: RawVcpu = { index: 90 + i, tid: o.tid, source: 'proc' as RawVcpu['source'], runUsec: o.runUsec, waitUsec: 5, timeslices: 6, lastCpu: 0, cpusAllowed: '0-3', cgroupPath: o.cgroupPath };
        if (o.group) v.cpuGroup = Object.freeze({ usageUsec: 1, nrPeriods: 1, nrThrottled: 0, throttledUsec: 0, quotaUsec: 'max' as const, periodUsec: 100000 });
        return v;
      });
      const map: QmpVcpu[] = tids.map((t, i) => ({ index: i, tid: t, qomPath: null }));
      const want = model(make(), map);
      const g = rawGuest('qemu:a', { pid: 4242 });
      g.vcpus = make();
      const fresh = applyVcpus(fs, g, map);
      expect(JSON.stringify(g.vcpus)).toBe(JSON.stringify(want.vcpus));
      expect(fresh).toBe(want.fresh);
      expect(new Set(g.vcpus).size).toBe(g.vcpus.length);
    }), { numRuns: 500 });
  });
});
