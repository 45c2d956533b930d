// Real-component test of the tc shaping reader: a real QEMU guest whose tap lives in a network
// namespace the test creates; the test shapes the tap with real tc (HTB on the tap's egress, ingress
// redirected to an IFB shaped by HTB — the path this kernel has), and the sampler reports both rates
// from inside QEMU's namespace. A tap without qdiscs is reported as known-unshaped.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { createTcEnricher } from '../../src/collector/tc/enricher.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { requireCommand, useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';

const ALL = new Set<SampleTask>(['discovery', 'counters', 'settings', 'numa', 'static']);

function inNs(ns: string, ...argv: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, ...argv], { stdio: 'ignore', timeout: 20_000 });
}

describe('tc shaping reader on a real tap (test network namespace)', () => {
  const lab = useLab();

  it('reports in/out rates of a shaped tap, and a tap without qdiscs as unshaped', async () => {
    requireCommand('tc');
    requireCommand('nsenter');
    const ns = lab.netns();
    const tap = `vtt${Math.random().toString(36).slice(2, 8)}`;
    inNs(ns, 'ip', 'tuntap', 'add', tap, 'mode', 'tap');
    inNs(ns, 'ip', 'link', 'set', tap, 'up');
    const q = await startQemu(lab, { kind: 'spin', netns: ns, tap: { ifname: tap } });
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const sampler = createHostSampler({ fs, clock: new SystemClock(), enrichers: [createTcEnricher({ runner: new ExecRunner(), fs })] });
    lab.defer(() => sampler.close());

    const nicOf = async (): Promise<unknown> => {
      const s = await sampler.sample({ tasks: ALL });
      const g = s.guests.find((x) => x.pid === q.pid);
      expect(g, 'the guest is discovered').toBeDefined();
      return g!.nics.find((n) => n.ifname === tap)?.shaping;
    };
    expect(await nicOf()).toEqual({ inKbitPerSec: null, outKbitPerSec: null });

    inNs(ns, 'tc', 'qdisc', 'add', 'dev', tap, 'root', 'handle', '1:', 'htb', 'default', '1');
    inNs(ns, 'tc', 'class', 'add', 'dev', tap, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '2mbit');
    inNs(ns, 'ip', 'link', 'add', 'vtifb0', 'type', 'ifb');
    inNs(ns, 'ip', 'link', 'set', 'vtifb0', 'up');
    inNs(ns, 'tc', 'qdisc', 'add', 'dev', tap, 'handle', 'ffff:', 'ingress');
    inNs(ns, 'tc', 'filter', 'add', 'dev', tap, 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
      'action', 'mirred', 'egress', 'redirect', 'dev', 'vtifb0');
    inNs(ns, 'tc', 'qdisc', 'add', 'dev', 'vtifb0', 'root', 'handle', '1:', 'htb', 'default', '1');
    inNs(ns, 'tc', 'class', 'add', 'dev', 'vtifb0', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '750kbit');
    expect(await nicOf()).toEqual({ inKbitPerSec: 2000, outKbitPerSec: 750 });
  });
});
