// Real-component tests of network shaping: a real QEMU guest with a tap in a network namespace the
// test creates; the Tuner runs tc inside QEMU's namespace. in=1mbit installs the HTB and `tc -s` shows
// it shaping UDP traffic the test sends to the guest for 3 s (inside the namespace, static neighbour);
// out=1mbit takes the IFB path on this kernel (no act_police); undo leaves the tap's qdiscs exactly as
// before; a tap that belongs to another guest is refused.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { VirtuneError } from '../../src/engine/model/errors.js';
import { requireCommand, useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';
import { rawGuest } from '../engine/raw-builders.js';
import { CALLER, liveGuest, liveSample, realTuner } from './live.js';

const MAC = '52:54:00:12:34:56';

function inNs(ns: string, argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 20_000 });
}

describe('network shaping on a real tap in a test namespace', () => {
  const lab = useLab();

  async function setup() {
    requireCommand('tc');
    requireCommand('python3');
    const ns = lab.netns();
    const tap = `vtt${Math.random().toString(36).slice(2, 8)}`;
    inNs(ns, ['ip', 'tuntap', 'add', tap, 'mode', 'tap']);
    inNs(ns, ['ip', 'addr', 'add', '10.77.0.1/24', 'dev', tap]);
    inNs(ns, ['ip', 'link', 'set', tap, 'up']);
    const q = await startQemu(lab, { kind: 'spin', netns: ns, tap: { ifname: tap, mac: MAC } });
    inNs(ns, ['ip', 'neigh', 'replace', '10.77.0.2', 'lladdr', MAC, 'dev', tap, 'nud', 'permanent']);
    const g = await liveGuest(q, { cgroupRel: null, nics: [tap] });
    return { ns, tap, q, g };
  }

  it('in=1mbit: root HTB on the tap shapes traffic to the guest; undo restores the qdiscs exactly', async () => {
    const { ns, tap, g } = await setup();
    const before = inNs(ns, ['tc', '-j', 'qdisc', 'show', 'dev', tap]);
    const { tuner } = realTuner(lab);
    const plan = await tuner.apply({ guest: g.id, changes: [{ kind: 'net', ifname: tap, in: { rateKbit: 1000, peakKbit: null, burstBytes: null } }] }, liveSample([g]), CALLER);
    const argvs = plan.steps.map((s) => (s.kind === 'exec' ? s.argv.slice(2).join(' ') : s.kind));
    expect(argvs[0]).toBe(`tc qdisc replace dev ${tap} root handle 1: htb default 1`);
    expect(argvs[1]).toBe(`tc class add dev ${tap} parent 1: classid 1:1 htb rate 1000kbit ceil 1000kbit`);
    expect(plan.steps[0]).toMatchObject({ kind: 'exec', argv: ['nsenter', `--net=/proc/${g.pid}/ns/net`, 'tc', 'qdisc', 'replace', 'dev', tap, 'root', 'handle', '1:', 'htb', 'default', '1'] });
    expect(plan.warnings.join(' ')).toMatch(/no sfq/);
    inNs(ns, ['python3', '-c', [
      'import socket,time', 's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)', 'end=time.time()+3', 'b=b"x"*1000',
      'while time.time()<end:', '  s.sendto(b,("10.77.0.2",9)); time.sleep(0.0005)',
    ].join('\n')]);
    const cls = inNs(ns, ['tc', '-s', 'class', 'show', 'dev', tap]);
    const sent = Number(/Sent (\d+) bytes/.exec(cls)?.[1] ?? NaN);
    const over = Number(/overlimits (\d+)/.exec(cls)?.[1] ?? NaN);
    expect(cls).toMatch(/class htb 1:1 root .*rate 1Mbit/);
    expect(sent).toBeGreaterThan(100_000);
    expect(sent).toBeLessThanOrEqual(1.5 * 125_000 * 3.5); // ≤ 1.5 × 1 Mbit/s over the 3 s (+ the burst)
    expect(over).toBeGreaterThan(0);
    await tuner.undo(plan.changeId, CALLER);
    expect(inNs(ns, ['tc', '-j', 'qdisc', 'show', 'dev', tap])).toBe(before);
  });

  it('out=1mbit takes the IFB path here (no act_police); undo removes the IFB and leaves the qdiscs as before', async () => {
    const { ns, tap, g } = await setup();
    const before = inNs(ns, ['tc', '-j', 'qdisc', 'show', 'dev', tap]);
    const { tuner } = realTuner(lab);
    const plan = await tuner.apply({ guest: g.id, changes: [{ kind: 'net', ifname: tap, out: { rateKbit: 1000, peakKbit: null, burstBytes: null } }] }, liveSample([g]), CALLER);
    const ifb = `vtb${tap}`;
    expect(plan.warnings.join(' ')).toMatch(/no act_police; .* redirected to vtb/);
    expect(plan.steps.map((s) => (s.kind === 'exec' ? s.argv.slice(2).join(' ') : s.kind))).toEqual([
      `ip link add ${ifb} type ifb`, `ip link set ${ifb} up`,
      `tc qdisc add dev ${ifb} root handle 1: htb default 1`,
      `tc class add dev ${ifb} parent 1: classid 1:1 htb rate 1000kbit ceil 1000kbit`,
      `tc qdisc add dev ${tap} handle ffff: ingress`,
      `tc filter add dev ${tap} parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev ${ifb}`,
    ]);
    expect(inNs(ns, ['tc', 'qdisc', 'show', 'dev', tap])).toMatch(/qdisc ingress ffff:/);
    expect(inNs(ns, ['tc', 'filter', 'show', 'dev', tap, 'ingress'])).toMatch(/mirred.*Redirect to device vtb/s);
    await tuner.undo(plan.changeId, CALLER);
    expect(inNs(ns, ['tc', '-j', 'qdisc', 'show', 'dev', tap])).toBe(before);
    expect(() => inNs(ns, ['ip', 'link', 'show', ifb])).toThrow();
  });

  it('a tap that belongs to another guest is refused (exit 2) and nothing changes; an unknown interface is exit 3', async () => {
    const { ns, tap, g } = await setup();
    const before = inNs(ns, ['tc', '-j', 'qdisc', 'show', 'dev', tap]);
    const other = rawGuest('qemu:other', { pid: process.pid, nics: [], cgroup: null });
    const { tuner } = realTuner(lab);
    const req = { guest: 'qemu:other', changes: [{ kind: 'net' as const, ifname: tap, in: { rateKbit: 1000, peakKbit: null, burstBytes: null } }] };
    const e = await tuner.apply(req, liveSample([g, other]), CALLER).catch((x: unknown) => x);
    expect((e as VirtuneError).exitCode).toBe(2);
    expect((e as VirtuneError).message).toMatch(new RegExp(`interface ${tap} belongs to guest ${g.id}, not to qemu:other`));
    const e2 = await tuner.apply({ guest: g.id, changes: [{ kind: 'net', ifname: 'nosuchtap0', in: 'none' }] }, liveSample([g]), CALLER).catch((x: unknown) => x);
    expect((e2 as VirtuneError).exitCode).toBe(3);
    expect(inNs(ns, ['tc', '-j', 'qdisc', 'show', 'dev', tap])).toBe(before);
  });
});
