// Real libvirtd + a real TCG domain, QMP for libvirt guests opted in (libvirtQmp): the QMP enricher
// reaches a libvirt guest only through `qemu-monitor-command` in the one long-lived virsh session
// (libvirt's monitor socket is never touched: the connector given here throws; one virsh process for
// every command), and gets state, vCPU threads, per-disk counters and the tap behind `fd=N` (resolved
// through /proc/<pid>/fdinfo `iff:`).

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SourceErrorInfo } from '../../src/engine/model/sample.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { createQmpEnricher } from '../../src/collector/qmp/enricher.js';
import { VirshSession } from '../../src/collector/qmp/virsh-channel.js';
import { NodeProcessStarter } from '../../src/engine/node/process-starter.js';
import { requireCommand } from '../helpers/lab.js';
import { useLibvirt } from '../helpers/libvirt.js';
import { bareGuest } from './guest-fixture.js';

describe('QMP enricher on a real libvirt domain (virsh passthrough)', () => {
  const lv = useLibvirt();

  it('reads state, vCPU tids, disk counters and the tap name through the virsh session only', async () => {
    requireCommand('virsh');
    const dom = await lv.startDomain({ kind: 'ioloop', vcpus: 2 });
    const fs = new NodeHostFs('/');
    const connects: string[] = [];
    const qmp = { connect: async (p: string): Promise<never> => { connects.push(p); throw new Error('must not connect'); } };
    const session = new VirshSession({ starter: new NodeProcessStarter(), uri: lv.uri });
    const en = createQmpEnricher({ fs, qmp, runner: new ExecRunner(), clock: new SystemClock(), libvirtUri: lv.uri, libvirtQmp: true, virshExec: session.exec });
    try {
      const tick = async (tasks: SampleTask[]): Promise<{ g: ReturnType<typeof bareGuest>; errors: SourceErrorInfo[] }> => {
        const g = bareGuest({ id: `libvirt:${dom.name}`, name: dom.name, pid: dom.pid, manager: 'libvirt',
          socket: `/var/lib/libvirt/qemu/domain-1-${dom.name}/monitor.sock` });
        const errors: SourceErrorInfo[] = [];
        await en.enrich([g], { tasks: new Set(tasks), errors, monoMs: 0 });
        return { g, errors };
      };
      const a = await tick(['discovery', 'qmp', 'qmpSlow']);
      expect(a.errors).toEqual([]);
      expect(connects).toEqual([]);
      expect(a.g.state).toBe('running');
      const comm = new Map<number, number>();
      for (const tid of readdirSync(`/proc/${dom.pid}/task`)) {
        const m = /^CPU (\d+)\/TCG$/.exec(readFileSync(`/proc/${dom.pid}/task/${tid}/comm`, 'utf8').trim());
        if (m) comm.set(Number(m[1]), Number(tid));
      }
      expect(a.g.vcpus.map((v) => [v.index, v.tid])).toEqual([[0, comm.get(0)], [1, comm.get(1)]]);
      expect(a.g.nics.map((n) => n.ifname)).toContain(dom.tap);
      await new Promise((r) => setTimeout(r, 1000));
      const b = await tick(['qmp']);
      expect(b.errors).toEqual([]);
      const d0 = a.g.disks.find((d) => d.name === 'virtio-disk0');
      const d1 = b.g.disks.find((d) => d.name === 'virtio-disk0');
      expect(d1?.source).toBe('qmp');
      expect((d1?.readOps ?? 0) - (d0?.readOps ?? 0)).toBeGreaterThan(0);
      expect(session.spawns).toBe(1);
      expect(session.requests).toBeGreaterThan(5);
    } finally {
      await en.close();
      await session.close();
      fs.close();
    }
  });
});
