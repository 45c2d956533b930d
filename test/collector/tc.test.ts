// Tests of the tc shaping reader: the pure parsers on tc's real output (captured on this machine's
// iproute2), and the enricher's cadence and fallbacks with a recording runner.
import { describe, expect, it } from 'vitest';
import { parseIngressFilters, parseQdiscJson, parseTcRateKbit, rootHtbRateKbit } from '../../src/collector/tc/parse.js';
import { createTcEnricher } from '../../src/collector/tc/enricher.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { rawGuest } from '../engine/raw-builders.js';
import { fixtureHost } from '../helpers/fixture-host.js';
import { useLab } from '../helpers/lab.js';
import { RecordingRunner } from '../helpers/recording-runner.js';

const CLASSES = 'class htb 1:1 root prio 0 rate 1Mbit ceil 2Mbit burst 1600b cburst 1600b \n';
const FILTERS = `filter parent ffff: protocol all pref 49152 u32 chain 0 
filter parent ffff: protocol all pref 49152 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 terminal flowid not_in_hw 
  match 00000000/00000000 at 0
\taction order 1: mirred (Egress Redirect to device vtbvnet0) stolen
\tindex 1 ref 1 bind 1
`;
const POLICE = `filter parent ffff: protocol all pref 1 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 flowid :1
  match 00000000/00000000 at 0
 police 0x1 rate 5Kbit burst 7Kb mtu 64Kb action drop overhead 0b
`;

describe('tc output parsers', () => {
  it('rates with SI prefixes, in kbit/s', () => {
    expect(parseTcRateKbit('1Mbit')).toBe(1000);
    expect(parseTcRateKbit('500Kbit')).toBe(500);
    expect(parseTcRateKbit('1500bit')).toBe(1.5);
    expect(parseTcRateKbit('1Gbit')).toBe(1e6);
    expect(parseTcRateKbit('10kbps')).toBe(80);
    expect(parseTcRateKbit('fast')).toBeNull();
  });
  it('root HTB class rate, ingress policer or redirect, qdisc rows by device', () => {
    expect(rootHtbRateKbit(CLASSES)).toBe(1000);
    expect(rootHtbRateKbit('class htb 1:10 parent 1:1 prio 0 rate 1Mbit\n')).toBeNull();
    expect(parseIngressFilters(FILTERS)).toEqual({ policeKbit: null, redirectTo: 'vtbvnet0' });
    expect(parseIngressFilters(POLICE)).toEqual({ policeKbit: 5, redirectTo: null });
    expect(parseQdiscJson('[{"kind":"htb","handle":"1:","dev":"vnet0","root":true},{"kind":"ingress","handle":"ffff:","dev":"vnet0","parent":"ffff:fff1"},{"kind":"noqueue","handle":"0:","dev":"lo","root":true}]'))
      .toEqual([{ dev: 'vnet0', kind: 'htb', handle: '1:', root: true, parent: null },
        { dev: 'vnet0', kind: 'ingress', handle: 'ffff:', root: false, parent: 'ffff:fff1' },
        { dev: 'lo', kind: 'noqueue', handle: '0:', root: true, parent: null }]);
    expect(() => parseQdiscJson('{')).toThrow();
  });
});

describe('tc enricher (recording runner)', () => {
  const lab = useLab();
  const tasks = (...t: SampleTask[]): { tasks: Set<SampleTask>; errors: never[]; monoMs: number } => ({ tasks: new Set(t), errors: [], monoMs: 0 });

  function guests() {
    const a = rawGuest('qemu:a', { pid: 4242 });
    a.nics[0]!.ifname = 'vnet0';
    const b = rawGuest('qemu:b', { pid: 4343 });
    b.nics[0]!.ifname = 'vnet1';
    return [a, b];
  }

  it('reads shaping on settings ticks only, carries it in between, and knows an unshaped tap', async () => {
    const { fs } = fixtureHost(lab, 'bare-qemu');
    const runner = new RecordingRunner()
      .on((a) => a.join(' ') === 'tc -j qdisc show', { stdout: '[{"kind":"htb","handle":"1:","dev":"vnet0","root":true},{"kind":"ingress","handle":"ffff:","dev":"vnet0"},{"kind":"fq_codel","handle":"0:","dev":"vnet1","root":true}]' })
      .on((a) => a.join(' ') === 'tc class show dev vnet0', { stdout: CLASSES })
      .on((a) => a.join(' ') === 'tc filter show dev vnet0 ingress', { stdout: FILTERS })
      .on((a) => a.join(' ') === 'tc class show dev vtbvnet0', { stdout: 'class htb 1:1 root prio 0 rate 500Kbit ceil 500Kbit burst 1600b cburst 1600b \n' });
    const en = createTcEnricher({ runner, fs });
    let gs = guests();
    await en.enrich(gs, tasks('counters', 'settings'));
    expect(gs[0]!.nics[0]!.shaping).toEqual({ inKbitPerSec: 1000, outKbitPerSec: 500 });
    expect(gs[1]!.nics[0]!.shaping).toEqual({ inKbitPerSec: null, outKbitPerSec: null });
    const calls = runner.calls.length;
    expect(runner.calls.every((c) => c.argv[0] === 'tc')).toBe(true);
    gs = guests();
    await en.enrich(gs, tasks('counters'));
    expect(runner.calls.length).toBe(calls);
    expect(gs[0]!.nics[0]!.shaping).toEqual({ inKbitPerSec: 1000, outKbitPerSec: 500 });
  });

  it('shaping stays unknown (null) when tc cannot be asked, with an error entry', async () => {
    const { fs } = fixtureHost(lab, 'bare-qemu');
    const runner = new RecordingRunner().on(() => true, { code: 1, stderr: 'boom' });
    const en = createTcEnricher({ runner, fs });
    const gs = guests();
    const ctx = tasks('settings');
    await en.enrich(gs, ctx);
    expect(gs[0]!.nics[0]!.shaping).toBeNull();
    expect(ctx.errors).toEqual([expect.objectContaining({ source: 'tc' })]);
  });
});
