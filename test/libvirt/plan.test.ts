// Unit tests of the libvirt planner against virsh getter outputs captured from the lab's libvirt 9:
// the exact virsh argv, the undo argv re-applying the values read first (live and, with --persist,
// config), input checks before any step (exit 2), unknown devices (exit 3) and clean getter errors.
import { describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import type { ExecStep } from '../../src/tuning/libvirt/exec.js';
import { applyExecSteps, runExecStep, virshFailureMessage } from '../../src/tuning/libvirt/exec.js';
import { planLibvirt } from '../../src/tuning/libvirt/plan.js';
import type { TuningChange } from '../../src/engine/model/tuning.js';
import { RecordingRunner } from '../helpers/recording-runner.js';
import { cannedVirsh, web01 } from './fixtures.js';
import { sampleWith } from './raw.js';

const U = 'qemu:///system';
async function plan(changes: TuningChange[], opts: { persist?: boolean; force?: boolean; uri?: string | null; runner?: RecordingRunner; guest?: ReturnType<typeof web01> } = {}) {
  const g = opts.guest ?? web01();
  const runner = opts.runner ?? cannedVirsh();
  const p = await planLibvirt({ guest: g.id, changes, persist: opts.persist ?? false, force: opts.force ?? false }, g, sampleWith([g]), { runner, uri: opts.uri === undefined ? U : opts.uri });
  return { p, runner, steps: p.steps as ExecStep[] };
}
const fail = async (changes: TuningChange[], opts: Parameters<typeof plan>[1] = {}): Promise<VirtuneError> => {
  const e = await plan(changes, opts).then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(VirtuneError);
  return e as VirtuneError;
};
const v = (...a: string[]): string[] => ['virsh', '-c', U, ...a];

describe('planLibvirt: schedinfo', () => {
  it('--cpu-quota 150% + --cpu-period → one schedinfo with global_period/global_quota; undo re-applies the old values', async () => {
    const { steps, p } = await plan([{ kind: 'cpuQuota', quota: { kind: 'pct', pct: 150 } }, { kind: 'cpuPeriod', usec: 200000 }]);
    expect(steps).toEqual([{ kind: 'exec', argv: v('schedinfo', 'web01', '--live', '--set', 'global_period=200000', '--set', 'global_quota=300000'),
      undo: [v('schedinfo', 'web01', '--live', '--set', 'global_period=100000', '--set', 'global_quota=-1')],
      note: 'global_period 100000 -> 200000, global_quota -1 -> 300000' }]);
    expect(p).toMatchObject({ guest: 'libvirt:web01', guestUuid: '4dea22b3-1d52-d8f3-2516-782e98ab3fa0', applied: false, changeId: null, warnings: [] });
  });
  it('--persist adds --config and a config undo with the config values (0 = unset)', async () => {
    const { steps } = await plan([{ kind: 'cpuQuota', quota: { kind: 'cpus', cpus: 2 } }, { kind: 'cpuWeight', value: 256, flag: 'cpu-shares' }], { persist: true });
    expect(steps[0]?.argv).toEqual(v('schedinfo', 'web01', '--live', '--config', '--set', 'cpu_shares=256', '--set', 'global_quota=200000'));
    expect(steps[0]?.undo).toEqual([
      v('schedinfo', 'web01', '--live', '--set', 'cpu_shares=512', '--set', 'global_quota=-1'),
      v('schedinfo', 'web01', '--config', '--set', 'cpu_shares=0', '--set', 'global_quota=0')]);
  });
  it('max → -1; the default URI adds no -c', async () => {
    const { steps } = await plan([{ kind: 'cpuQuota', quota: { kind: 'max' } }], { uri: null });
    expect(steps[0]?.argv).toEqual(['virsh', 'schedinfo', 'web01', '--live', '--set', 'global_quota=-1']);
  });
  it('out-of-range input is exit 2 before anything runs', async () => {
    expect((await fail([{ kind: 'cpuQuota', quota: { kind: 'usec', usec: 500 } }])).message).toMatch(/--cpu-quota: 500 µs .* out of range \(valid: 1000-/);
    expect((await fail([{ kind: 'cpuPeriod', usec: 999 }])).exitCode).toBe(2);
    const e = await fail([{ kind: 'cpuWeight', value: 1, flag: 'cpu-shares' }]);
    expect(e.message).toBe('--cpu-shares: 1 is out of range for libvirt cpu_shares on a cgroup v1 host (valid: 2-262144)');
  });
  it('--cpu-weight on a v1 host warns that the scales differ', async () => {
    const { p } = await plan([{ kind: 'cpuWeight', value: 100, flag: 'cpu-weight' }]);
    expect(p.warnings).toEqual([expect.stringContaining('scales differ')]);
  });
});

describe('planLibvirt: pinning, numatune, blkiotune, memtune', () => {
  it('--cpuset pins every vCPU and the emulator (no IOThreads here)', async () => {
    const { steps } = await plan([{ kind: 'cpuset', cpus: '0' }], { persist: true });
    expect(steps.map((s) => s.argv)).toEqual([
      v('vcpupin', 'web01', '0', '0', '--live', '--config'), v('vcpupin', 'web01', '1', '0', '--live', '--config'),
      v('emulatorpin', 'web01', '0', '--live', '--config')]);
    expect(steps[0]?.undo).toEqual([v('vcpupin', 'web01', '0', '1', '--live'), v('vcpupin', 'web01', '0', '1', '--config')]);
    expect(steps[2]?.undo).toEqual([v('emulatorpin', 'web01', '0-1', '--live'), v('emulatorpin', 'web01', '0-1', '--config')]);
  });
  it('--cpuset also pins IOThreads when the domain has them', async () => {
    const runner = cannedVirsh({ 'iothreadinfo --live': { stdout: ' IOThread ID   CPU Affinity\n----------------------\n 1     0-1\n' } });
    const { steps } = await plan([{ kind: 'cpuset', cpus: '1' }], { runner });
    expect(steps[3]).toMatchObject({ argv: v('iothreadpin', 'web01', '1', '1', '--live'), undo: [v('iothreadpin', 'web01', '1', '0-1', '--live')] });
  });
  it('CPU lists outside the online CPUs and unknown vCPUs are exit 2', async () => {
    expect((await fail([{ kind: 'cpuset', cpus: '0-7' }])).message).toBe("--cpuset: '0-7' is not a subset of the online CPUs (0-1)");
    expect((await fail([{ kind: 'vcpuPin', vcpu: 5, cpus: '1' }])).message).toMatch(/has no vCPU 5 \(vCPUs: 0-1\)/);
  });
  it('numatune only in restrictive mode (libvirt cannot undo otherwise); --force plans it with a warning', async () => {
    const e = await fail([{ kind: 'nodeset', nodes: '0' }]);
    expect(e.message).toMatch(/^--nodeset: libvirt domain 'web01' has no <numatune>; .*restrictive/);
    const g = web01();
    (g.libvirt as NonNullable<typeof g.libvirt>).numatune = { mode: 'restrictive', nodeset: '0', placement: null };
    const runner = cannedVirsh({ 'numatune --live': { stdout: 'numa_mode      : restrictive\nnuma_nodeset   : 0\n' } });
    const { steps, p } = await plan([{ kind: 'nodeset', nodes: '0' }], { guest: g, runner });
    expect(steps[0]).toMatchObject({ argv: v('numatune', 'web01', '--live', '--nodeset', '0'), undo: [v('numatune', 'web01', '--live', '--nodeset', '0')] });
    expect(p.warnings).toEqual([]);
    const forced = await plan([{ kind: 'nodeset', nodes: '0' }], { force: true });
    expect(forced.p.warnings).toEqual([expect.stringContaining('refuse to undo')]);
    expect((await fail([{ kind: 'nodeset', nodes: '3' }])).message).toMatch(/not a subset of the NUMA nodes with memory \(0\)/);
  });
  it('--io vda:riops=50,rbps=max → blkiotune device options; undo re-applies the old device values', async () => {
    const { steps } = await plan([{ kind: 'io', device: 'vda', limits: { riops: 50, rbps: 'max' } }], { persist: true });
    expect(steps[0]).toMatchObject({
      argv: v('blkiotune', 'web01', '--live', '--config', '--device-read-iops-sec', '/dev/vda,50', '--device-read-bytes-sec', '/dev/vda,0'),
      undo: [v('blkiotune', 'web01', '--live', '--device-read-iops-sec', '/dev/vda,40', '--device-read-bytes-sec', '/dev/vda,0'),
        v('blkiotune', 'web01', '--config', '--device-read-iops-sec', '/dev/vda,40', '--device-read-bytes-sec', '/dev/vda,0')],
    });
    expect((await fail([{ kind: 'io', device: 'vd a', limits: { riops: 1 } }])).exitCode).toBe(2);
  });
  it('--mem-max → memtune --hard-limit KiB; below current usage needs --force', async () => {
    const runner = cannedVirsh({ 'memtune --live': { stdout: 'hard_limit     : unlimited\nsoft_limit     : unlimited\nswap_hard_limit: unlimited\n' } });
    const { steps } = await plan([{ kind: 'memMax', bytes: 256 * 1024 * 1024 }], { runner });
    expect(steps[0]).toMatchObject({ argv: v('memtune', 'web01', '--live', '--hard-limit', '262144'), undo: [v('memtune', 'web01', '--live', '--hard-limit', '-1')] });
    expect((await fail([{ kind: 'memMax', bytes: 1024 * 1024 }], { runner })).message).toMatch(/below the guest's current usage .*--force/);
  });
  it('host-level changes are refused for a guest', async () => {
    expect((await fail([{ kind: 'ksm', settings: { run: 1 } }])).exitCode).toBe(2);
  });
});

describe('planLibvirt: blkdeviotune and domiftune', () => {
  it('--disk-throttle by alias → target vda; undo re-applies every old base and burst value', async () => {
    const { steps } = await plan([{ kind: 'diskThrottle', disk: 'virtio-disk0', args: { iops_rd: 100, bps_wr: 1048576 } }]);
    expect(steps[0]?.argv).toEqual(v('blkdeviotune', 'web01', 'vda', '--live', '--read-iops-sec', '100', '--write-bytes-sec', '1048576'));
    const undo = steps[0]?.undo?.[0] as string[];
    expect(undo.slice(0, 7)).toEqual(v('blkdeviotune', 'web01', 'vda', '--live'));
    expect(undo.join(' ')).toContain('--read-iops-sec 50 --write-iops-sec 0');
    expect(undo.join(' ')).toContain('--write-bytes-sec 0');
    expect(undo.join(' ')).not.toContain('max-length');
    expect(undo.join(' ')).not.toContain('--group-name');
  });
  it('a total limit clears the old read/write limit of the same kind (QEMU: exclusive)', async () => {
    const { steps } = await plan([{ kind: 'diskThrottle', disk: 'vda', args: { iops: 300 } }]);
    expect(steps[0]?.argv).toEqual(v('blkdeviotune', 'web01', 'vda', '--live', '--total-iops-sec', '300', '--read-iops-sec', '0'));
  });
  it('QEMU rules and unknown disks: exit 2 / exit 3', async () => {
    expect((await fail([{ kind: 'diskThrottle', disk: 'vda', args: { iops_rd_max: 10 } }])).message).toMatch(/cannot be lower than iops_rd=50/);
    const e = await fail([{ kind: 'diskThrottle', disk: 'vdz', args: { iops_rd: 1 } }]);
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe("--disk-throttle: libvirt domain 'web01' has no disk 'vdz' (disks: vda/virtio-disk0)");
  });
  it('--net → domiftune in KB/s; undo and onFailure restore both directions (libvirt rebuilds the tap from them)', async () => {
    const { steps } = await plan([{ kind: 'net', ifname: 'vnet0', in: { rateKbit: 10000, peakKbit: 20000, burstBytes: 32768 }, out: 'none' }], { persist: true });
    expect(steps[0]).toEqual({ kind: 'exec',
      argv: v('domiftune', 'web01', 'vnet0', '--live', '--config', '--inbound', '1250,2500,32', '--outbound', '0'),
      undo: [v('domiftune', 'web01', 'vnet0', '--live', '--inbound', '0', '--outbound', '0'), v('domiftune', 'web01', 'vnet0', '--config', '--inbound', '0', '--outbound', '0')],
      onFailure: [v('domiftune', 'web01', 'vnet0', '--live', '--inbound', '0', '--outbound', '0')],
      note: 'inbound 0 -> 1250,2500,32 (KB/s,KB/s,KiB), outbound 0 -> 0 (KB/s,KB/s,KiB)' });
    expect((await fail([{ kind: 'net', ifname: 'eth9', in: 'none' }])).message).toBe("--net: libvirt domain 'web01' has no interface 'eth9' (interfaces: vnet0)");
  });
});

describe('getter failures and the exec helper', () => {
  it('a getter failure is one line naming the domain: exit 3 for a missing domain, 1 otherwise', async () => {
    const gone = cannedVirsh({ schedinfo: { code: 1, stderr: "error: failed to get domain 'web01'\n" } });
    const e = await fail([{ kind: 'cpuQuota', quota: { kind: 'max' } }], { runner: gone });
    expect([e.exitCode, e.message]).toEqual([3, "libvirt domain 'web01': virsh schedinfo: failed to get domain 'web01'"]);
    const slow = cannedVirsh({ schedinfo: { code: null as unknown as number, stdout: '', stderr: '' } });
    slow.on(() => true, { timedOut: true, code: null });
    expect((await fail([{ kind: 'cpuQuota', quota: { kind: 'max' } }], { runner: slow })).exitCode).toBe(1);
  });
  it('runExecStep runs onFailure of the failing step; applyExecSteps rolls back earlier steps in reverse', async () => {
    const r = new RecordingRunner();
    r.on((a) => a.includes('domiftune') && a.includes('125'), { code: 1, stderr: 'error: Unable to set interface parameters\nerror: internal error: Child process (tc qdisc add dev vnet0 parent 1:1 handle 2: sfq perturb 10) unexpected exit status 2: Error: Specified qdisc kind is unknown.\n' });
    const steps: ExecStep[] = [
      { kind: 'exec', argv: v('schedinfo', 'web01', '--live', '--set', 'global_quota=50000'), undo: [v('schedinfo', 'web01', '--live', '--set', 'global_quota=-1')] },
      { kind: 'exec', argv: v('domiftune', 'web01', 'vnet0', '--live', '--inbound', '125'), undo: [v('domiftune', 'web01', 'vnet0', '--live', '--inbound', '0', '--outbound', '0')],
        onFailure: [v('domiftune', 'web01', 'vnet0', '--live', '--inbound', '0', '--outbound', '0')] },
    ];
    const out = await applyExecSteps(r, steps);
    expect(out).toEqual({ ok: false, applied: 1,
      error: "libvirt domain 'web01': virsh domiftune: Child process (tc qdisc add dev vnet0 parent 1:1 handle 2: sfq perturb 10) unexpected exit status 2: Error: Specified qdisc kind is unknown.",
      rolledBack: [v('schedinfo', 'web01', '--live', '--set', 'global_quota=-1').join(' ')], rollbackFailed: [] });
    expect(r.calls.map((c) => c.argv[3])).toEqual(['schedinfo', 'domiftune', 'domiftune', 'schedinfo']);
    expect(r.calls.every((c) => c.opts?.timeoutMs !== undefined)).toBe(true);
    expect(await runExecStep(r, steps[0] as ExecStep)).toEqual({ ok: true });
  });
  it('virshFailureMessage names a timeout', () => {
    expect(virshFailureMessage(['virsh', 'schedinfo', 'web01'], { stderr: '', stdout: '', timedOut: true, code: null }, 1000))
      .toBe("libvirt domain 'web01': virsh schedinfo: timed out after 1000 ms");
  });
});
