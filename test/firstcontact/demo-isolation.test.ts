// Demo isolation through the real CLI: every demo tune (tc shaping in and out, cgroup knobs, disk
// limits, QMP throttling, host KSM and hugepages, dry runs and undo) runs with a spy preloaded into
// the CLI and into every Node process it starts, which logs each child process spawned. The only one
// allowed is the demo's own simulator (dist/demo/worker.js): no tc, ip, taskset, prlimit, virsh —
// nothing runs on this machine. The host's network namespaces and interfaces are compared before and
// after as well.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vt-spawn-'));
const spy = path.resolve('test/firstcontact/spawn-spy.mjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Spawned { pid: number; file: string; args: string[] }

async function spied(args: string[], input?: string): Promise<{ code: number | null; stderr: string; spawned: Spawned[] }> {
  const log = path.join(dir, `${Math.random().toString(36).slice(2)}.log`);
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=${spy}`, VIRTUNE_SPAWN_LOG: log }, ...(input !== undefined ? { input } : {}) });
  let text = '';
  try { text = readFileSync(log, 'utf8'); } catch { text = ''; }
  return { code: r.code, stderr: r.stderr, spawned: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Spawned) };
}

const isSimulator = (s: Spawned): boolean => s.args.some((a) => a.endsWith(path.join('dist', 'demo', 'worker.js')));

const hostNet = (): string => `${readdirSync('/sys/class/net').join(',')}|${existsSync('/run/netns') ? readdirSync('/run/netns').join(',') : ''}`;

const TUNES: string[][] = [
  ['--demo', '2', 'tune', 'web-01', '--net', 'vnet0:in=10mbit,out=5mbit', '--yes'],
  ['--demo', '2', 'tune', 'web-01', '--net', 'vnet0:in=10mbit', '--dry-run'],
  ['--demo', '2', 'tune', 'web-01', '--cpu-weight', '200', '--cpu-quota', '150%', '--cpuset', '0-3', '--nodeset', '0', '--yes'],
  ['--demo', '2', 'tune', 'web-01', '--mem-max', '8G', '--force', '--yes'],
  ['--demo', '2', 'tune', 'web-01', '--io', 'dm-0:riops=500', '--disk-throttle', 'virtio-disk0:iops_rd=200', '--yes'],
  ['--demo', '2', 'tune', 'host', '--ksm', 'run=1', '--yes'],
  ['--demo', '2', 'tune', 'host', '--hugepages', '2M=3100', '--yes'],
  ['--demo', '2', 'tune', 'web-01', '--vcpu-pin', '0:1', '--yes'],
  ['--demo', '2', 'tune', 'web-01', '--emulator-pin', '1', '--vcpu-pin', '1:0', '--yes'],
  ['--demo', '2', 'tune', 'web-01', '--net', 'vnet0:in=10mbit', '--yes', '--revert-after', '1'],
  ['--demo', '2', 'undo'],
];

describe('demo isolation (real CLI, spawn spy)', () => {
  it('no demo tune spawns any process but the demo simulator', async () => {
    const before = hostNet();
    let applied = 0;
    for (const args of TUNES) {
      const r = await spied(args);
      if (r.code === 0) applied++;
      const foreign = r.spawned.filter((s) => !isSimulator(s));
      expect(foreign, `virtune ${args.join(' ')} spawned ${JSON.stringify(foreign)}\n${r.stderr}`).toEqual([]);
      // the spy works: it saw the simulator start, exactly once per demo
      expect(r.spawned.filter(isSimulator), args.join(' ')).toHaveLength(1);
    }
    // most of them really applied something (the refusals are bad input, exit 2/3, and spawn nothing either)
    expect(applied).toBeGreaterThanOrEqual(6);
    expect(hostNet()).toBe(before);
  }, 120_000);
});
