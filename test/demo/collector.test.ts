// The real collector on the demo host: createHostSampler over NodeHostFs(demo.root) discovers every
// simulated guest as a libvirt guest, and with the demo's QMP sockets passed as dedicated sockets
// the QMP enricher fills vCPUs, disks and state from the simulated monitors. No second code path.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { createQmpEnricher } from '../../src/collector/qmp/enricher.js';
import { LATENCY_BOUNDARIES_NS } from '../../src/collector/qmp/parse.js';
import { derive } from '../../src/engine/core/derive.js';
import { startDemoHost, type DemoHost } from '../../src/demo/host.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { RecordingRunner } from '../helpers/recording-runner.js';
import { scopeOf } from './helpers.js';

const ALL = new Set<SampleTask>(['discovery', 'counters', 'numa', 'qmp', 'qmpSlow', 'static']);

describe('collector on the demo host (simulated host)', () => {
  let demo: DemoHost | null = null;
  let fs: NodeHostFs | null = null;
  afterEach(async () => { fs?.close(); fs = null; await demo?.stop(); demo = null; });

  it('discovers every demo guest with its libvirt id, vCPU threads, dm disks and tap, and sees counters move', async () => {
    demo = await startDemoHost({ guests: 8, manual: true, qmp: false });
    fs = new NodeHostFs(demo.root);
    const sampler = createHostSampler({ fs, clock: new SystemClock(), demo: true });
    const a = await sampler.sample({ tasks: ALL });
    expect(a.guests.map((g) => g.id).sort()).toEqual(demo.guests.map((g) => g.id).sort());
    expect(a.host.hostname).toBe('demo-host');
    expect(a.host.cgroupVersion).toBe(2);
    expect(a.host.numaNodes.map((n) => n.cpus)).toEqual(['0-7', '8-15']);
    const web = a.guests.find((g) => g.name === 'web-01')!;
    expect(web.manager).toBe('libvirt');
    expect(web.pid).toBe(demo.guests[0]!.pid);
    expect(web.vcpus.map((v) => v.tid)).toEqual([0, 1, 2, 3].map((v) => web.pid + 3 + v));
    expect(web.disks.map((d) => d.device).sort()).toEqual(['253:0', '253:1']);
    expect(web.nics.map((n) => n.ifname)).toEqual(['vnet0']);
    fs.writeText(`${scopeOf(demo.root, 'web-01')}/cpu.max`, '150000 100000');
    demo.advance(2000);
    // settings are carried between settings ticks; the engine forces one right after a tuning change
    const between = await sampler.sample({ tasks: new Set<SampleTask>(['counters']) });
    expect(between.guests.find((g) => g.name === 'web-01')!.cpu.quotaUsec).toBe(web.cpu.quotaUsec);
    const b = await sampler.sample({ tasks: new Set<SampleTask>(['counters', 'settings']) });
    const web2 = b.guests.find((g) => g.name === 'web-01')!;
    expect(web2.cpu.quotaUsec).toBe(150000);
    expect((web2.cpu.usageUsec as number) - (web.cpu.usageUsec as number)).toBeLessThanOrEqual(1.5 * 2e6 + 1);
    expect((web2.cpu.usageUsec as number) - (web.cpu.usageUsec as number)).toBeGreaterThan(1e6);
    await sampler.close();
  });

  it('reads vCPUs, disks and state over the demo QMP sockets when they are passed as dedicated sockets', async () => {
    demo = await startDemoHost({ guests: 3, manual: true });
    fs = new NodeHostFs(demo.root);
    const clock = new SystemClock();
    const enricher = createQmpEnricher({ fs, qmp: new SocketQmpConnector(), runner: new RecordingRunner([]), clock });
    const sampler = createHostSampler({ fs, clock, demo: true, enrichers: [enricher], extraQmpSockets: demo.guests.map((g) => g.qmpPath) });
    const s = await sampler.sample({ tasks: ALL });
    expect(s.guests).toHaveLength(3);
    for (const g of s.guests) {
      expect(g.qmp?.socket).toBe(`/var/lib/virtune-demo/${g.name}.qmp`);
      expect(g.state).toBe('running');
      expect(g.vcpus.map((v) => v.tid)).toEqual([0, 1, 2, 3].map((v) => g.pid + 3 + v));
      expect(g.disks.filter((d) => d.source === 'qmp')).toHaveLength(2);
      // the histograms virtune turned on at attach are in this first sample as QEMU created them: empty
      for (const d of g.disks.filter((x) => x.source === 'qmp')) {
        for (const h of [d.latencyHistograms?.read, d.latencyHistograms?.write, d.latencyHistograms?.flush]) {
          expect(h?.boundariesNs).toEqual(LATENCY_BOUNDARIES_NS);
          expect(h?.bins).toEqual(new Array(LATENCY_BOUNDARIES_NS.length + 1).fill(0));
        }
      }
    }
    demo.advance(1000);
    const next = await sampler.sample({ tasks: new Set<SampleTask>(['counters', 'qmp']) });
    // so the first interval already has percentiles (what a one-shot `virtune snapshot` prints)
    const snap = derive(s, next);
    const web = snap.guests.find((g) => g.name === 'web-01')!;
    for (const d of web.disks) expect(d.latencyMs.read?.p50 ?? null, `${d.name} ${JSON.stringify(d.latencyMs)}`).toBeGreaterThan(0);
    await sampler.close();
  });

  it('keeps ns_last_pid as a kernel does, so discovery stands on its last result while no process was made', async () => {
    demo = await startDemoHost({ guests: 4, manual: true, qmp: false });
    const root = demo.root;
    // the highest id handed out: no pid or thread id in the tree above it
    const last = Number(readFileSync(`${root}/proc/sys/kernel/ns_last_pid`, 'utf8').trim());
    const ids = readdirSync(`${root}/proc`).filter((e) => /^\d+$/.test(e)).flatMap((pid) => {
      const tasks = existsSync(`${root}/proc/${pid}/task`) ? readdirSync(`${root}/proc/${pid}/task`) : [];
      return [pid, ...tasks].map(Number);
    });
    expect(Math.max(...ids)).toBe(last);
    // the sampler's discovery: the first lists /proc, the next ones (nothing new) answer from the gate
    const inner = new NodeHostFs(root);
    fs = inner;
    let procListings = 0;
    const counted = new Proxy(inner, {
      get(t, k, r) {
        if (k === 'readDir') return (p: string) => { if (p === '/proc') procListings++; return t.readDir(p); };
        const v = Reflect.get(t, k, r) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    const sampler = createHostSampler({ fs: counted, clock: new SystemClock(), demo: true });
    const first = await sampler.sample({ tasks: ALL });
    expect(procListings).toBe(1);
    for (let i = 0; i < 3; i++) {
      demo.advance(1000);
      const s = await sampler.sample({ tasks: new Set<SampleTask>(['discovery', 'counters']) });
      expect(s.guests.map((g) => g.id)).toEqual(first.guests.map((g) => g.id));
    }
    expect(procListings).toBe(1);
    // a process made (the kernel hands out the next pid): the next discovery runs in full
    writeFileSync(`${root}/proc/sys/kernel/ns_last_pid`, `${last + 1}\n`);
    await sampler.sample({ tasks: new Set<SampleTask>(['discovery', 'counters']) });
    expect(procListings).toBe(2);
    await sampler.close();
  });
});
