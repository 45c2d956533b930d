// Real libvirtd and TCG domains read over libvirtd's own RPC socket (rpc-client.ts, no virsh process
// for the per-tick stats): the reply matches `virsh domstats --raw` for the same domains (names, uuids,
// state, vCPUs, disks; counters between two virsh readings taken around it), the sampler with the
// client wired as `watch` wires it asks the virsh session for no `domstats` and notices a domain
// started or stopped between two ticks on the very next (counters-only) tick, and with no socket to
// reach the same figures come through virsh without an error. Beside the libvirt domains, a bare QEMU
// started between two discovery ticks is found on the next one and dropped when it is killed (the
// discovery's short cut of quiet-gate.ts never hides a process that was started).
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RawGuest } from '../../src/engine/model/sample.js';
import type { SampleSource } from '../../src/engine/ports/sources.js';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { createLibvirtEnricher } from '../../src/collector/libvirt/enricher.js';
import { LibvirtRpcClient } from '../../src/collector/libvirt/rpc-client.js';
import { domStatsFrom, parseDomstats, type DomStats } from '../../src/collector/libvirt/parse-virsh.js';
import { VirshSession, type VirshExec } from '../../src/collector/qmp/virsh-channel.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { NodeProcessStarter } from '../../src/engine/node/process-starter.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { UnixByteStreamConnector } from '../../src/engine/node/unix-byte-stream.js';
import { useLibvirt, virsh, type LibvirtDomain } from '../helpers/libvirt.js';
import { startQemu } from '../helpers/qemu.js';

const lv = useLibvirt();
let a: LibvirtDomain;
let b: LibvirtDomain;
const STATS_ARGS = ['domstats', '--raw', '--list-active', '--state', '--cpu-total', '--balloon', '--vcpu', '--interface', '--block'];

const rpcClient = (sockets?: string[]): LibvirtRpcClient =>
  new LibvirtRpcClient({ connector: new UnixByteStreamConnector(), uri: 'qemu:///system', ...(sockets ? { sockets } : {}) });

/**
 * The host sampler on this host with the libvirt enricher (stats through `rpc`, the rest through a virsh
 * session whose commands are recorded in `asked`), closed with its session whatever `run` does.
 */
async function withSampler(rpc: LibvirtRpcClient, run: (sampler: SampleSource, asked: string[][]) => Promise<void>): Promise<void> {
  const fs = new NodeHostFs('/');
  const session = new VirshSession({ starter: new NodeProcessStarter(), uri: lv.uri });
  const asked: string[][] = [];
  const exec: VirshExec = (args, t) => { asked.push([...args]); return session.exec(args, t); };
  const sampler = createHostSampler({
    fs, clock: new SystemClock(), enrichers: [createLibvirtEnricher({ runner: new ExecRunner(), fs, uri: lv.uri, exec, rpc })],
  });
  try {
    await run(sampler, asked);
  } finally {
    await sampler.close();
    await session.close();
    fs.close();
  }
}

describe('libvirt stats over libvirtd\'s RPC socket (real libvirtd)', () => {
  beforeAll(async () => {
    a = await lv.startDomain({ kind: 'spin', vcpus: 2 });
    b = await lv.startDomain({ kind: 'spin', vcpus: 1, nic: false });
  }, 120_000);

  it('gives what `virsh domstats --raw` gives for the same domains', async () => {
    const rpc = rpcClient();
    try {
      const before = new Map(parseDomstats(virsh(...STATS_ARGS)).map((s) => [s.name, s]));
      const recs = await rpc.allDomainStats(10_000);
      const after = new Map(parseDomstats(virsh(...STATS_ARGS)).map((s) => [s.name, s]));
      expect(recs.map((r) => r.name).sort()).toEqual([...after.keys()].sort());
      for (const d of [a, b]) {
        const r = recs.find((x) => x.name === d.name);
        expect(r?.uuid).toBe(d.uuid);
        const s = domStatsFrom(d.name, r?.params ?? new Map());
        const s0 = before.get(d.name) as DomStats;
        const s1 = after.get(d.name) as DomStats;
        // what does not move between readings is equal
        const still = (x: DomStats): unknown => ({
          stateCode: x.stateCode, vcpus: x.vcpuStats.map((v) => [v.index, v.state]), balloon: x.balloon?.currentKiB,
          blocks: x.blocks.map((k) => [k.name, k.path]), nets: x.nets.map((n) => n.ifname),
        });
        expect(still(s)).toEqual(still(s1));
        expect(s.vcpuStats).toHaveLength(d === a ? 2 : 1);
        expect(s.nets.map((n) => n.ifname)).toEqual(d === a ? [d.tap] : []);
        // counters lie between the two virsh readings taken around the RPC call
        const between = (x: number | null | undefined, lo: number | null | undefined, hi: number | null | undefined): void => {
          expect(x).toEqual(expect.any(Number));
          expect(x as number).toBeGreaterThanOrEqual(lo as number);
          expect(x as number).toBeLessThanOrEqual(hi as number);
        };
        between(s.cpuTimeUsec, s0.cpuTimeUsec, s1.cpuTimeUsec);
        between(s.vcpuStats[0]?.timeUsec, s0.vcpuStats[0]?.timeUsec, s1.vcpuStats[0]?.timeUsec);
        between(s.blocks[0]?.readOps, s0.blocks[0]?.readOps, s1.blocks[0]?.readOps);
      }
    } finally {
      rpc.close();
    }
  });

  it('the sampler asks virsh for no domstats and sees a domain started or stopped on the next counters tick', async () => {
    const names = (gs: RawGuest[]): string[] => gs.map((g) => g.name);
    await withSampler(rpcClient(), async (sampler, asked) => {
      const t0 = await sampler.sample({ tasks: new Set(['discovery', 'counters', 'settings', 'static']) });
      expect(names(t0.guests)).toEqual(expect.arrayContaining([a.name, b.name]));
      const ga = t0.guests.find((g) => g.name === a.name);
      expect(ga?.libvirt?.vcpuStats.map((v) => v.index)).toEqual([0, 1]);
      expect(ga?.libvirt?.cpuTimeUsec).toBeGreaterThan(0);
      const late = await lv.startDomain({ kind: 'spin', vcpus: 1, nic: false });
      const t1 = await sampler.sample({ tasks: new Set(['counters']) });
      expect(t1.guests.find((x) => x.name === late.name)).toMatchObject({ id: `libvirt:${late.name}`, uuid: late.uuid, pid: late.pid, state: 'running', manager: 'libvirt' });
      await sampler.sample({ tasks: new Set(['discovery', 'counters', 'settings']) });
      virsh('destroy', late.name);
      const t2 = await sampler.sample({ tasks: new Set(['counters']) });
      expect(names(t2.guests)).not.toContain(late.name);
      expect(names(t2.guests)).toEqual(expect.arrayContaining([a.name, b.name]));
      expect([t0, t1, t2].flatMap((s) => s.errors.filter((e) => e.source === 'libvirt'))).toEqual([]);
      expect(asked.filter((x) => x[0] === 'domstats')).toEqual([]);
    });
  });

  it('with no socket to reach, the stats come through virsh and no error is shown', async () => {
    await withSampler(rpcClient([`/run/libvirt/no-such-sock-${process.pid}`]), async (sampler, asked) => {
      const t0 = await sampler.sample({ tasks: new Set(['discovery', 'counters', 'settings', 'static']) });
      expect(t0.guests.find((g) => g.name === a.name)?.libvirt?.vcpuStats.map((v) => v.index)).toEqual([0, 1]);
      expect(t0.errors.filter((e) => e.source === 'libvirt')).toEqual([]);
      expect(asked.filter((x) => x[0] === 'domstats')).toHaveLength(1);
    });
  });

  it('a bare QEMU beside libvirt is found on the next discovery tick and dropped when it ends', async () => {
    const ids = (gs: RawGuest[]): string[] => gs.map((g) => g.id);
    await withSampler(rpcClient(), async (sampler) => {
      await sampler.sample({ tasks: new Set(['discovery', 'counters', 'settings', 'static']) });
      await sampler.sample({ tasks: new Set(['discovery', 'counters']) });
      const bare = await startQemu(lv.lab, { smp: 2 });
      const t1 = await sampler.sample({ tasks: new Set(['discovery', 'counters']) });
      const g = t1.guests.find((x) => x.pid === bare.pid);
      expect(g).toMatchObject({ id: `qemu:${bare.name}`, manager: 'qemu', uuid: bare.uuid });
      expect(g?.vcpus.map((v) => v.index)).toEqual([0, 1]);
      expect(ids(t1.guests)).toEqual(expect.arrayContaining([`libvirt:${a.name}`, `libvirt:${b.name}`]));
      process.kill(bare.pid, 'SIGKILL');
      while (existsSync(`/proc/${bare.pid}`)) await new Promise((r) => setTimeout(r, 20));
      const t2 = await sampler.sample({ tasks: new Set(['counters']) });
      expect(t2.guests.map((x) => x.pid)).not.toContain(bare.pid);
      const t3 = await sampler.sample({ tasks: new Set(['discovery', 'counters']) });
      expect(t3.guests.map((x) => x.pid)).not.toContain(bare.pid);
      expect(ids(t3.guests)).toEqual(expect.arrayContaining([`libvirt:${a.name}`, `libvirt:${b.name}`]));
    });
  });
});
