// Host-level knobs on fixture trees (KSM, hugepage pools with the kernel's short allocation), QEMU's
// throttle rules, and tc planning against recorded tap states (kernel features as detected: with and
// without sfq/police; an explicit noqueue root; changing an existing virtune HTB; foreign qdiscs).
import { describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import type { TuningChange } from '../../src/engine/model/tuning.js';
import { planTuning } from '../../src/tuning/plan.js';
import type { PlanCtx } from '../../src/tuning/plan-context.js';
import { validateThrottle } from '../../src/tuning/plan-io.js';
import { planNet } from '../../src/tuning/plan-net.js';
import { createTuner } from '../../src/tuning/tuner.js';
import { FlockStateLock } from '../../src/engine/node/state-lock.js';
import type { TapState } from '../../src/tuning/tc.js';
import { useLab } from '../helpers/lab.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { RecordingRunner } from '../helpers/recording-runner.js';
import { rawHost, rawSample } from '../engine/raw-builders.js';
import { makeTree } from './tree.js';

const KSM = '/sys/kernel/mm/ksm';
const HP = '/sys/kernel/mm/hugepages/hugepages-2048kB';

function err(fn: () => unknown): VirtuneError {
  try { fn(); } catch (e) { return e as VirtuneError; }
  throw new Error('did not throw');
}

describe('host knobs (fixture tree)', () => {
  const lab = useLab();
  const host = (over: Record<string, string> = {}) => makeTree(lab, {
    [`${KSM}/run`]: '0\n', [`${KSM}/pages_to_scan`]: '100\n', [`${KSM}/sleep_millisecs`]: '20\n',
    [`${KSM}/merge_across_nodes`]: '1\n', [`${KSM}/pages_shared`]: '10\n', [`${KSM}/pages_sharing`]: '40\n',
    [`${HP}/nr_hugepages`]: '0\n', '/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages': '0\n', ...over,
  });
  const deps = (fs: ReturnType<typeof host>['fs']) => ({ fs, runner: new RecordingRunner(), libvirtUri: null, tcCaps: async () => ({ sfq: true, police: true, ifb: true }) });
  const raw = rawSample(1, rawHost(), []);

  it('KSM run/pages_to_scan are sysfs writes; merge_across_nodes is refused while pages are merged unless run=2 first', async () => {
    const t = host();
    const p = await planTuning({ guest: 'host', changes: [{ kind: 'ksm', settings: { run: 1, pages_to_scan: 1000 } }] }, raw, deps(t.fs));
    expect(p.steps).toEqual([
      { kind: 'sysfs-write', path: `${KSM}/run`, from: '0', to: '1' },
      { kind: 'sysfs-write', path: `${KSM}/pages_to_scan`, from: '100', to: '1000' },
    ]);
    const e = await planTuning({ guest: 'host', changes: [{ kind: 'ksm', settings: { merge_across_nodes: 0 } }] }, raw, deps(t.fs)).catch((x: unknown) => x);
    expect((e as VirtuneError).exitCode).toBe(2);
    expect((e as VirtuneError).message).toMatch(/only change while no pages are merged \(pages_shared=10, pages_sharing=40\).*run=2/);
    const ok = await planTuning({ guest: 'host', changes: [{ kind: 'ksm', settings: { run: 2, merge_across_nodes: 0 } }] }, raw, deps(t.fs));
    expect(ok.steps.map((s) => s.kind === 'sysfs-write' && s.path.split('/').pop())).toEqual(['run', 'merge_across_nodes']);
  });

  it('hugepage pools per node; a short allocation by the kernel is a warning, not a failure', async () => {
    const t = host();
    const p = await planTuning({ guest: 'host', changes: [{ kind: 'hugepages', sizeKb: 2048, node: 0, count: 64 }] }, raw, deps(t.fs));
    expect(p.steps).toEqual([{ kind: 'sysfs-write', path: '/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages',
      from: '0', to: '64', readBackOnly: true, note: '2048 kB pages on node 0' }]);
    const e = await planTuning({ guest: 'host', changes: [{ kind: 'hugepages', sizeKb: 1048576, node: null, count: 1 }] }, raw, deps(t.fs)).catch((x: unknown) => x);
    expect((e as VirtuneError).message).toMatch(/no 1048576 kB hugepages \(sizes: 2048kB\)/);
    // the "kernel" here grants 40 of 64: a wrapper fs rewrites the value after the write
    const fs = t.fs;
    const shortFs = Object.assign(Object.create(Object.getPrototypeOf(fs) as object) as typeof fs, fs, {
      writeText: (p: string, d: string) => fs.writeText(p, p.endsWith('nr_hugepages') ? String(Math.min(40, Number(d))) : d),
    });
    const tuner = createTuner({ lock: new FlockStateLock(), fs: shortFs, runner: new RecordingRunner(), clock: new ManualClock(), qmp: { connect: async () => { throw new Error('x'); } },
      stateDir: '/state', auditLog: '/audit.log' });
    const a = await tuner.apply({ guest: 'host', changes: [{ kind: 'hugepages', sizeKb: 2048, node: null, count: 64 }] }, raw, { uid: 0, user: 'root', pid: 1, via: 't' });
    expect(a.warnings).toEqual([`${HP}/nr_hugepages: asked for 64, the kernel provided 40`]);
  });
});

describe("QEMU's throttle rules", () => {
  it.each([
    [{ bps: 100, bps_rd: 5 }, /bps \(total\) and bps_rd\/bps_wr/],
    [{ iops_max: 100, iops_rd_max: 5, iops: 1, iops_rd: 0 }, /iops_max \(total\) and iops_rd_max/],
    [{ iops_rd_max: 100 }, /iops_rd_max requires iops_rd/],
    [{ iops_rd: 100, iops_rd_max: 50 }, /iops_rd_max=50 cannot be lower than iops_rd=100/],
    [{ iops_rd: 100, iops_rd_max: 200, iops_rd_max_length: 0 }, /burst length cannot be 0/],
    [{ iops_rd: 100, iops_rd_max_length: 5 }, /set without a burst rate/],
    [{ bps_rd: 2e15 }, /within \[0, 1000000000000000\]/],
    [{ bps: 1000, iops_size: 4096 }, /iops_size requires an iops value/],
  ])('%j is refused', (a, re) => {
    const e = err(() => validateThrottle(a, 'd0'));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(re);
  });
  it('accepts burst with length and iops_size with iops', () => {
    expect(() => validateThrottle({ iops_rd: 100, iops_rd_max: 200, iops_rd_max_length: 10, iops_size: 4096 }, 'd0')).not.toThrow();
  });
});

describe('tc planning against the tap state', () => {
  const mk = (): PlanCtx => ({ fs: null as never, raw: null as never, req: { guest: 'g', changes: [] }, guest: null, cg: null, steps: [], warnings: [], migrateBytes: null, fresh: new Set() });
  const st = (over: Partial<TapState> = {}): TapState => ({ ifname: 'vnet0', qdiscs: [], classes: [], ingressFilters: '', ifb: { name: 'vtbvnet0', exists: false, classes: [] }, ...over });
  const inRate = (k: number): Extract<TuningChange, { kind: 'net' }> => ({ kind: 'net', ifname: 'vnet0', in: { rateKbit: k, peakKbit: null, burstBytes: null } });
  const full = { sfq: true, police: true, ifb: true };
  const argv = (c: PlanCtx) => c.steps.map((s) => (s.kind === 'exec' ? [s.argv.join(' '), (s.undo ?? []).map((u) => u.join(' '))] : s.kind));

  it('a kernel with sfq and police: sfq leaf, ingress police (libvirt-style commands)', () => {
    const c = mk();
    planNet(c, { kind: 'net', ifname: 'vnet0', in: { rateKbit: 10000, peakKbit: 20000, burstBytes: 32768 }, out: { rateKbit: 1000, peakKbit: null, burstBytes: null } }, { caps: full, state: st(), prefix: [] });
    expect(argv(c)).toEqual([
      ['tc qdisc replace dev vnet0 root handle 1: htb default 1', ['tc qdisc del dev vnet0 root']],
      ['tc class add dev vnet0 parent 1: classid 1:1 htb rate 10000kbit ceil 20000kbit burst 32768b', []],
      ['tc qdisc add dev vnet0 parent 1:1 handle 2: sfq perturb 10', []],
      ['tc qdisc add dev vnet0 handle ffff: ingress', ['tc qdisc del dev vnet0 ingress']],
      ['tc filter add dev vnet0 parent ffff: protocol all u32 match u32 0 0 police rate 1000kbit burst 16384b mtu 64kb drop flowid :1', []],
    ]);
  });

  it('an explicit noqueue root (libvirt) is put back with its handle; an existing virtune HTB is changed in place', () => {
    const c = mk();
    planNet(c, inRate(500), { caps: full, state: st({ qdiscs: [{ kind: 'noqueue', handle: '8001:', root: true, parent: null }] }), prefix: [] });
    expect(argv(c)[0]).toEqual(['tc qdisc replace dev vnet0 root handle 1: htb default 1', ['tc qdisc replace dev vnet0 root handle 8001: noqueue']]);
    const d = mk();
    planNet(d, inRate(500), { caps: full, prefix: [], state: st({
      qdiscs: [{ kind: 'htb', handle: '1:', root: true, parent: null }],
      classes: [{ classid: '1:1', rate: '1Mbit', ceil: '1Mbit', burst: '1600b' }],
    }) });
    expect(argv(d)).toEqual([['tc class change dev vnet0 parent 1: classid 1:1 htb rate 500kbit ceil 500kbit',
      ['tc class change dev vnet0 parent 1: classid 1:1 htb rate 1Mbit ceil 1Mbit burst 1600b']]]);
    const e = mk();
    planNet(e, { kind: 'net', ifname: 'vnet0', in: 'none' }, { caps: full, prefix: [], state: st({
      qdiscs: [{ kind: 'htb', handle: '1:', root: true, parent: null }, { kind: 'sfq', handle: '2:', root: false, parent: '1:1' }],
      classes: [{ classid: '1:1', rate: '1Mbit', ceil: null, burst: null }],
    }) });
    expect(argv(e)).toEqual([['tc qdisc del dev vnet0 root', ['tc qdisc replace dev vnet0 root handle 1: htb default 1',
      'tc class add dev vnet0 parent 1: classid 1:1 htb rate 1Mbit', 'tc qdisc add dev vnet0 parent 1:1 handle 2: sfq perturb 10']]]);
  });

  it('a root or ingress qdisc virtune did not create is refused (exit 2)', () => {
    const e1 = err(() => planNet(mk(), inRate(500), { caps: full, prefix: [], state: st({ qdiscs: [{ kind: 'tbf', handle: '5:', root: true, parent: null }] }) }));
    expect(e1.exitCode).toBe(2);
    expect(e1.message).toMatch(/root qdisc 'tbf' \(handle 5:\) that virtune did not create/);
    const e2 = err(() => planNet(mk(), { kind: 'net', ifname: 'vnet0', out: { rateKbit: 1, peakKbit: null, burstBytes: null } },
      { caps: full, prefix: [], state: st({ qdiscs: [{ kind: 'ingress', handle: 'ffff:', root: false, parent: 'ffff:fff1' }], ingressFilters: 'filter protocol all pref 1 bpf' }) }));
    expect(e2.message).toMatch(/ingress qdisc that virtune did not create/);
  });

  it('commands for a guest in another namespace run through nsenter', () => {
    const c = mk();
    planNet(c, inRate(500), { caps: { sfq: false, police: false, ifb: true }, state: st(), prefix: ['nsenter', '--net=/proc/9/ns/net'] });
    expect(c.steps[0]).toMatchObject({ argv: ['nsenter', '--net=/proc/9/ns/net', 'tc', 'qdisc', 'replace', 'dev', 'vnet0', 'root', 'handle', '1:', 'htb', 'default', '1'] });
  });
});
