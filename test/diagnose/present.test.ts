// The diagnosis panel view-model and text (what every face draws), and the "who suffers most" order
// of the guest table: from one snapshot, unknown last, never a guessed 0.

import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/engine/model/diagnosis.js';
import { bySuffering, diagnosisLines, diagnosisPanel, evidenceText, sufferingScore } from '../../src/engine/present/diagnosis.js';
import { disk, guest } from './build.js';

const D: Diagnosis = {
  guest: 'qemu:web01', name: 'web01', windowSec: 10, coveredSec: 10, samples: 11, verdict: 'cpu-contention',
  causes: [
    { cause: 'cpu-contention', share: 0.48, evidence: { runDelayPct: 48.2, hostCpusBusyPct: null, cpus: '1' }, fix: 'virtune tune qemu:web01 --cpuset 0' },
    { cause: 'remote-numa', share: 0.05, evidence: { remoteBytes: 3 * 2 ** 30 }, fix: null },
  ],
  neighbours: [{ guest: 'qemu:batch7', name: 'batch7', resource: 'cpu', share: 0.9, evidence: { sharedCpus: '1', usagePct: 50.2 } }],
};

describe('diagnosis panel', () => {
  it('view-model: verdict, severity, share bars, evidence with units and unknown as -, fixes, neighbours', () => {
    const p = diagnosisPanel(D);
    expect(p).toMatchObject({ title: 'web01 (qemu:web01): cpu-contention', severity: 'bad', window: 'last 10 s (11 samples over 10.0 s)' });
    expect(p.causes[0]).toMatchObject({ sharePct: '48%', bar: 0.48, evidence: 'runDelayPct=48.2% hostCpusBusyPct=- cpus=1', fix: 'virtune tune qemu:web01 --cpuset 0' });
    expect(p.causes[1]?.evidence).toBe('remoteBytes=3.0 GiB');
    expect(p.neighbours).toEqual([{ guest: 'qemu:batch7', name: 'batch7', resource: 'cpu', share: 0.9, sharePct: '90%', evidence: 'sharedCpus=1 usagePct=50.2%' }]);
    expect(diagnosisPanel({ ...D, verdict: 'none', causes: [], neighbours: [] }).severity).toBe('ok');
    expect(evidenceText({ latencyMs: 2.5 })).toBe('latencyMs=2.5 ms');
  });

  it('text: one line per cause with a bar, its evidence and fix, then the neighbours', () => {
    const lines = diagnosisLines(D, 10);
    expect(lines[0]).toBe('web01 (qemu:web01): cpu-contention — waiting for host CPUs other guests hold');
    expect(lines).toContain('     48% #####..... cpu-contention: waiting for host CPUs other guests hold');
    expect(lines).toContain('         fix: virtune tune qemu:web01 --cpuset 0');
    expect(lines.at(-1)).toBe('     90% batch7 (qemu:batch7) cpu: sharedCpus=1 usagePct=50.2%');
  });
});

describe('who suffers most', () => {
  it('scores run delay over demand, throttling, not running and limits; unknown is null', () => {
    const waiting = guest('waiting', { vcpus: [{ index: 0, tid: 1, usagePct: 40, runDelayPct: 60, lastCpu: 0, cpusAllowed: null, quotaUsec: null, periodUsec: null, quotaUnlimited: null, throttledPct: null, nrThrottled: null }] });
    const throttled = guest('throttled', { cpu: { throttledPct: 30 } });
    const paused = guest('paused', { state: 'paused' });
    const limited = guest('limited', { state: null, disks: [disk('d', { readIops: 95, limits: { readIops: 100, writeIops: null, readBytesPerSec: null, writeBytesPerSec: null, totalIops: null, totalBytesPerSec: null } })] });
    const unknown = guest('unknown', { state: null });
    const fine = guest('fine', { vcpus: [{ index: 0, tid: 1, usagePct: 90, runDelayPct: 0, lastCpu: 0, cpusAllowed: null, quotaUsec: null, periodUsec: null, quotaUnlimited: null, throttledPct: null, nrThrottled: null }] });
    expect(sufferingScore(waiting)).toBeCloseTo(0.6, 6);
    expect(sufferingScore(throttled)).toBeCloseTo(0.3, 6);
    expect(sufferingScore(paused)).toBe(1);
    expect(sufferingScore(limited)).toBe(1);
    expect(sufferingScore(unknown)).toBeNull();
    expect(sufferingScore(fine)).toBe(0);
    expect(bySuffering([unknown, fine, throttled, waiting, limited, paused]).map((g) => g.name)).toEqual(['limited', 'paused', 'waiting', 'throttled', 'fine', 'unknown']);
  });
});
