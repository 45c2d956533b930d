// The demo host (simulated) shows every cause it simulates, through the in-process engine and
// EngineApi.diagnose as a face would ask: shared overcommitted CPUs (cache-06 waits, web-07 and
// batch-08 are its CPU neighbours), a quota (proxy-05), a disk at its QMP limit (db-04, with latency
// percentiles from the demo QMP server's histograms), memory on the remote node (idle-03), a tap at its
// tc shaping rate (batch-02, shaped as the demo's simulated tc shows it).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/cli/engine-factory.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { EngineApi } from '../../src/engine/protocol/api.js';

const G: GlobalOptions = {
  root: '/', demo: 8, connect: null, qmp: [], intervalSec: 0.5, write: false, json: true,
  libvirtUri: null, stateDir: null, auditLog: null, tokenFile: null,
};

describe('diagnosis on the demo host (simulated)', () => {
  let api: EngineApi;
  let last: Snapshot;
  beforeAll(async () => {
    api = await openEngine(G);
    last = await new Promise<Snapshot>((resolve) => {
      let n = 0;
      void api.subscribe((s) => { if (++n === 9) resolve(s); });
    });
  }, 30_000);
  afterAll(async () => { await api.close(); });

  it('cache-06 on two CPUs shared with web-07 and batch-08: cpu-contention, they are its CPU neighbours (web-07 the heaviest)', async () => {
    const d = await api.diagnose('cache-06', 3);
    expect(d.verdict).toBe('cpu-contention');
    expect(d.causes[0]?.evidence.cpus).toBe('8-9');
    // web-07 (always busy) first; batch-08 (busy in bursts) and db-04 (node 1, spread over 8-15) also ran there
    const cpu = d.neighbours.filter((n) => n.resource === 'cpu').map((n) => n.name);
    expect(cpu[0]).toBe('web-07');
    expect(cpu).toContain('batch-08');
    expect(cpu.filter((n) => n === 'web-01' || n === 'idle-03')).toEqual([]); // node 0 guests never ran there
  });

  it('proxy-05 under its 80 % quota: cpu-quota', async () => {
    const d = await api.diagnose('proxy-05', 3);
    expect(d.verdict).toBe('cpu-quota');
    expect(d.causes[0]).toMatchObject({ evidence: { quotaPct: 80 }, fix: expect.stringMatching(/^virtune tune libvirt:proxy-05 --cpu-quota \d+%$/) });
  });

  it('db-04 at its QMP iops_rd limit: disk-limit; its disks have latency percentiles from QEMU histograms', async () => {
    const d = await api.diagnose('libvirt:db-04', 3);
    expect(d.verdict).toBe('disk-limit');
    expect(d.causes[0]).toMatchObject({ evidence: { disk: 'virtio-disk1', limit: 'readIops', limitValue: 1500 } });
    const disk = last.guests.find((g) => g.name === 'db-04')?.disks.find((x) => x.name === 'virtio-disk1');
    const r = disk?.latencyMs.read;
    expect(r?.p50).toBeGreaterThan(0);
    expect(r?.p50 as number).toBeLessThan(r?.p99 as number);
    expect(disk?.latencyMs.write?.p90).toBeGreaterThan(0);
  });

  it('idle-03 running on node 0 with most of its memory on node 1: remote-numa', async () => {
    const d = await api.diagnose('idle-03', 3);
    expect(d.verdict).toBe('remote-numa');
    expect(d.causes[0]).toMatchObject({ evidence: { vcpuNodes: '0' }, fix: 'virtune advise libvirt:idle-03 --apply' });
    expect(d.causes[0]?.evidence.remotePct as number).toBeGreaterThan(60);
  });

  it('batch-02 held at its 1 Mbit/s shaping towards the guest: network-limit, the tap shows it, the fix doubles it', async () => {
    const nic = last.guests.find((g) => g.name === 'batch-02')?.nics.find((n) => n.ifname === 'vnet1');
    expect(nic?.shaping).toEqual({ inKbitPerSec: 1000, outKbitPerSec: null, active: true });
    expect(nic?.rxBytesPerSec as number).toBeLessThanOrEqual(1000 * 125 * 1.1);
    const d = await api.diagnose('batch-02', 3);
    expect(d.verdict).toBe('network-limit');
    expect(d.causes[0]).toMatchObject({ evidence: { nic: 'vnet1', direction: 'in', shapingKbitPerSec: 1000 }, fix: 'virtune tune libvirt:batch-02 --net vnet1:in=2000kbit' });
  });

  it('an unknown guest is code 3', async () => {
    await expect(api.diagnose('nope', 3)).rejects.toMatchObject({ exitCode: 3 });
  });
});
