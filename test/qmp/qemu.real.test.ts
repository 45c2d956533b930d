// Real QEMU (TCG) guests with real QMP sockets: the QMP enricher maps vCPU index -> host thread (equal
// to QEMU's `CPU N/TCG` threads), the spinning vCPU shows high run-time growth and the idle one low,
// the disk-loop guest shows growing read operations, `state` follows stop/cont sent over a separate
// connection, block_set_io_throttle limits appear, a dedicated socket keeps one connection and sees
// events, and a second client on a busy QEMU socket times out cleanly. (The guest is built from the
// real pid and socket as discovery would hand it over; the sampler-based test lands with the collector.)

import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawGuest, SourceErrorInfo } from '../../src/engine/model/sample.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { createQmpEnricher } from '../../src/collector/qmp/enricher.js';
import { useLab, type Lab } from '../helpers/lab.js';
import { startQemu, type QemuGuest } from '../helpers/qemu.js';
import { bareGuest } from './guest-fixture.js';

const qmp = new SocketQmpConnector();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function setup(lab: Lab, opts: { timeoutMs?: number } = {}): ReturnType<typeof createQmpEnricher> {
  const fs = new NodeHostFs('/');
  lab.defer(() => fs.close());
  const en = createQmpEnricher({ fs, qmp, runner: new ExecRunner(), clock: new SystemClock(), timeoutMs: opts.timeoutMs ?? 2000 });
  lab.defer(() => en.close());
  return en;
}

async function tick(en: ReturnType<typeof createQmpEnricher>, q: QemuGuest, tasks: SampleTask[], dedicated = false, socket = q.qmpSocket): Promise<{ g: RawGuest; errors: SourceErrorInfo[] }> {
  const g = bareGuest({ id: `qemu:${q.name}`, name: q.name, pid: q.pid, socket, dedicated });
  const errors: SourceErrorInfo[] = [];
  await en.enrich([g], { tasks: new Set(tasks), errors, monoMs: performance.now() });
  return { g, errors };
}

/** Run one command over its own short connection (what an operator's tool would do). */
async function command(socket: string, execute: string, args?: Record<string, unknown>): Promise<unknown> {
  const ch = await qmp.connect(socket, { timeoutMs: 3000 });
  try { return await ch.execute(execute, args); } finally { await ch.close(); }
}

function vcpuThreadsByComm(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const m = /^CPU (\d+)\/(TCG|KVM)$/.exec(readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    if (m) out.set(Number(m[1]), Number(tid));
  }
  return out;
}

describe('QMP enricher on real QEMU guests', () => {
  const lab = useLab();

  it('maps vCPUs to QEMU threads; the spinning vCPU runs, the idle one does not', async () => {
    const q = await startQemu(lab, { kind: 'spin', smp: 2 });
    const en = setup(lab);
    const a = await tick(en, q, ['discovery', 'counters', 'qmp', 'qmpSlow']);
    expect(a.errors).toEqual([]);
    expect(a.g.state).toBe('running');
    expect(a.g.name).toBe(q.name);
    const byComm = vcpuThreadsByComm(q.pid);
    expect(byComm.size).toBe(2);
    expect(a.g.vcpus.map((v) => [v.index, v.tid, v.source])).toEqual([[0, byComm.get(0), 'qmp'], [1, byComm.get(1), 'qmp']]);
    const t0 = performance.now();
    await sleep(1500);
    const b = await tick(en, q, ['counters', 'qmp']);
    const wallUsec = (performance.now() - t0) * 1000;
    const grow = (i: number): number => ((b.g.vcpus[i]?.runUsec ?? NaN) - (a.g.vcpus[i]?.runUsec ?? NaN)) / wallUsec;
    expect(grow(0)).toBeGreaterThan(0.5);   // spinning: ~100 % of one host CPU (2-core box shared with others)
    expect(grow(1)).toBeLessThan(0.1);      // AP halted in SeaBIOS
    expect(b.g.memory.backends).toEqual([expect.objectContaining({ id: 'pc.ram', type: 'memory-backend-ram', hugepages: false, merge: true, sizeBytes: 64 << 20 })]);
  });

  it('the disk-loop guest shows growing read operations; throttle limits appear in query-block data', async () => {
    const q = await startQemu(lab, { kind: 'ioloop', diskId: 'disk0' });
    const en = setup(lab);
    const a = await tick(en, q, ['discovery', 'qmp', 'qmpSlow']);
    expect(a.errors).toEqual([]);
    await sleep(1000);
    const b = await tick(en, q, ['qmp']);
    const d0 = a.g.disks.find((d) => d.name === 'disk0');
    const d1 = b.g.disks.find((d) => d.name === 'disk0');
    expect(d1?.source).toBe('qmp');
    expect((d1?.readOps ?? 0) - (d0?.readOps ?? 0)).toBeGreaterThan(0);
    expect(d1?.readTimeUsec).toBeGreaterThan(0);
    expect(d1?.limits.readIops).toBeNull();
    await command(q.qmpSocket, 'block_set_io_throttle', { device: 'disk0', bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 50, iops_wr: 0, iops_rd_max: 100 });
    const c = await tick(en, q, ['qmp', 'qmpSlow']);
    expect(c.errors).toEqual([]);
    expect(c.g.disks.find((d) => d.name === 'disk0')?.limits).toMatchObject({ readIops: 50, writeIops: null, extra: { iops_rd_max: 100, group: 'disk0' } });
  });

  it('state follows QMP stop / cont sent over a separate short connection', async () => {
    const q = await startQemu(lab, { kind: 'spin' });
    const en = setup(lab);
    expect((await tick(en, q, ['discovery', 'qmp', 'qmpSlow'])).g.state).toBe('running');
    await command(q.qmpSocket, 'stop');
    expect((await tick(en, q, ['qmp'])).g.state).toBe('paused');
    await command(q.qmpSocket, 'cont');
    expect((await tick(en, q, ['qmp'])).g.state).toBe('running');
  });

  it('a dedicated socket keeps one connection open between ticks; control goes over a second -qmp', async () => {
    const dir = lab.tmpdir('ctl');
    const ctl = path.join(dir, 'ctl.sock');
    const q = await startQemu(lab, { kind: 'spin', extraArgs: ['-qmp', `unix:${ctl},server=on,wait=off`] });
    const en = setup(lab);
    expect((await tick(en, q, ['discovery', 'qmp', 'qmpSlow'], true)).g.state).toBe('running');
    // while the enricher holds the dedicated socket, a second client on it gets no greeting
    await expect(qmp.connect(q.qmpSocket, { timeoutMs: 400 })).rejects.toMatchObject({ name: 'HostError', kind: 'timeout' });
    await command(ctl, 'stop');
    const p = await tick(en, q, ['qmp'], true);
    expect(p.errors).toEqual([]);
    expect(p.g.state).toBe('paused');
    await command(ctl, 'cont');
    expect((await tick(en, q, ['qmp'], true)).g.state).toBe('running');
    await en.close(); // lets go of the dedicated socket
    const ch = await qmp.connect(q.qmpSocket, { timeoutMs: 2000 });
    lab.defer(() => ch.close());
    const seen: string[] = [];
    ch.onEvent((e) => seen.push(e.event));
    await command(ctl, 'stop');
    await command(ctl, 'cont');
    await expect(ch.execute('query-status')).resolves.toMatchObject({ status: 'running' });
    const deadline = Date.now() + 2000;
    while (seen.length < 2 && Date.now() < deadline) await sleep(20);
    expect(seen).toEqual(['STOP', 'RESUME']);
    expect(ch.takeEvents().map((e) => e.event)).toEqual(['STOP', 'RESUME']);
  });

  it('a second client on a busy QEMU socket times out cleanly; the enricher reports it within its deadline', async () => {
    const q = await startQemu(lab, { kind: 'spin' });
    const holder = await qmp.connect(q.qmpSocket, { timeoutMs: 3000 });
    lab.defer(() => holder.close());
    const t0 = performance.now();
    await expect(qmp.connect(q.qmpSocket, { timeoutMs: 400 })).rejects.toMatchObject({ name: 'HostError', kind: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(1500);
    const en = setup(lab, { timeoutMs: 400 });
    const t1 = performance.now();
    const r = await tick(en, q, ['qmp', 'qmpSlow']);
    expect(performance.now() - t1).toBeLessThan(1500);
    expect(r.errors).toEqual([expect.objectContaining({ source: 'qmp', guest: `qemu:${q.name}`, kind: 'timeout' })]);
    expect(r.g.qmp?.reachable).toBe(false);
    expect(r.g.state).toBeNull();
    // the holder still works: nothing we did broke QEMU's monitor
    await expect(holder.execute('query-status')).resolves.toMatchObject({ status: 'running' });
  });
});
