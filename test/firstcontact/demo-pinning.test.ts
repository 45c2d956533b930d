// The demo simulates thread pinning (it never runs taskset): over a `serve --demo` daemon, through real
// CLI processes, `--vcpu-pin` and `--emulator-pin` on a demo guest land in the simulated libvirt vcpuN/
// and emulator/ cpuset groups; the next snapshots show the vCPU's cpusAllowed and its lastCpu following
// the pin, a following plan reads the emulator pin back, and undo restores both.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { serveDemo, snapshotGuest } from '../helpers/daemon.js';
import { useLab } from '../helpers/lab.js';

interface Vcpu { index: number; cpusAllowed: string | null; lastCpu: number | null }
interface Step { kind: string; path?: string; from: string | null; to: string }

describe('demo thread pinning (simulated, no taskset run; real CLI over serve --demo)', () => {
  const lab = useLab();

  it('--vcpu-pin and --emulator-pin show in the snapshots and plans; undo restores them', async () => {
    // own process group, demo tree under the lab's directory, both removed after the test even when it fails
    const c = await serveDemo(lab, 2);
    const vcpu1 = async (): Promise<Vcpu> =>
      (await snapshotGuest<{ name: string; vcpus: Vcpu[] }>(c, 'web-01')).vcpus.find((v) => v.index === 1)!;
    const waitFor = async (ok: (v: Vcpu) => boolean): Promise<Vcpu> => {
      let v = await vcpu1();
      for (let i = 0; i < 20 && !ok(v); i++) { await new Promise((r) => setTimeout(r, 500)); v = await vcpu1(); }
      return v;
    };
    const emuPlan = async (): Promise<Step> => {
      const r = await runCli([...c, '--json', 'tune', 'web-01', '--emulator-pin', '3', '--dry-run']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { steps: Step[] }).steps[0]!;
    };

    const before = await vcpu1();
    expect(before.cpusAllowed).not.toBe('5');
    const emuBefore = await emuPlan();
    expect(emuBefore).toMatchObject({ kind: 'cgroup-write', path: expect.stringMatching(/\/emulator\/cpuset\.cpus$/) });

    const t = await runCli([...c, '--json', 'tune', 'web-01', '--vcpu-pin', '1:5', '--emulator-pin', '2', '--yes']);
    expect(t.code, t.stderr).toBe(0);
    const plan = JSON.parse(t.stdout) as { applied: boolean; changeId: string; steps: Step[] };
    expect(plan.applied).toBe(true);

    // the vCPU thread may run on CPU 5 only, and the simulated scheduler puts it there
    const pinned = await waitFor((v) => v.cpusAllowed === '5' && v.lastCpu === 5);
    expect(pinned).toMatchObject({ cpusAllowed: '5', lastCpu: 5 });
    // the emulator group now holds CPU 2: the next plan reads it as its current value
    expect((await emuPlan()).from).toBe('2');

    const u = await runCli([...c, 'undo', plan.changeId]);
    expect(u.code, u.stderr).toBe(0);
    const restored = await waitFor((v) => v.cpusAllowed === before.cpusAllowed);
    expect(restored.cpusAllowed).toBe(before.cpusAllowed);
    expect((await emuPlan()).from).toBe(emuBefore.from);
  }, 90_000);
});
