// Owns the real-test helpers of the tuning tests: a RawSample of QEMU guests started by the test, read
// from the live host (QMP query-cpus-fast / query-block through the real SocketQmpConnector, the cgroup
// of the process), used until the collector's sampler is wired; a small QMP client for measuring
// (query-blockstats); CPU usage of a process over a window; a Tuner on the real host with its journal
// and audit log in the test's temp dir.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RawDisk, RawGuest, RawSample } from '../../src/engine/model/sample.js';
import { ExecRunner } from '../../src/engine/node/exec-runner.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SocketQmpConnector } from '../../src/engine/node/socket-qmp.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import type { HostFs } from '../../src/engine/ports/host-fs.js';
import type { Caller, Tuner } from '../../src/engine/ports/sources.js';
import { createTuner } from '../../src/tuning/tuner.js';
import { FlockStateLock } from '../../src/engine/node/state-lock.js';
import type { Lab } from '../helpers/lab.js';
import type { QemuGuest } from '../helpers/qemu.js';
import { rawGuest, rawHost } from '../engine/raw-builders.js';

export const CALLER: Caller = { uid: 0, user: 'root', pid: process.pid, via: 'test' };

export async function qmpCall<T>(socket: string, command: string, args?: Record<string, unknown>): Promise<T> {
  const ch = await new SocketQmpConnector().connect(socket, { timeoutMs: 5000 });
  try {
    return await ch.execute<T>(command, args);
  } finally {
    await ch.close();
  }
}

export interface LiveOpts {
  /** cgroup path relative to the v1 mounts (the test's group) */
  cgroupRel: string | null;
  own?: boolean;
  nics?: string[];
  manager?: RawGuest['manager'];
}

export async function liveGuest(q: QemuGuest, o: LiveOpts): Promise<RawGuest> {
  const cpus = await qmpCall<Array<{ 'cpu-index': number; 'thread-id': number }>>(q.qmpSocket, 'query-cpus-fast');
  const blocks = await qmpCall<Array<Record<string, unknown>>>(q.qmpSocket, 'query-block');
  const disks: RawDisk[] = blocks.filter((b) => b.inserted).map((b) => {
    const ins = b.inserted as Record<string, number | string>;
    const n = (k: string): number | null => (typeof ins[k] === 'number' ? (ins[k] as number) : null);
    const extra: Record<string, number | string> = {};
    for (const k of Object.keys(ins)) if (/_max|iops_size|^group$/.test(k)) extra[k] = ins[k] as number | string;
    return {
      name: String(b.device), source: 'qmp', device: null, qdev: null,
      readOps: null, writeOps: null, flushOps: null, readBytes: null, writeBytes: null,
      readTimeUsec: null, writeTimeUsec: null, flushTimeUsec: null,
      limits: { readIops: n('iops_rd'), writeIops: n('iops_wr'), readBytesPerSec: n('bps_rd'), writeBytesPerSec: n('bps_wr'),
        totalIops: n('iops'), totalBytesPerSec: n('bps'), extra },
    };
  });
  const g = rawGuest(`qemu:${q.name}`, {
    name: q.name, uuid: q.uuid, pid: q.pid, manager: o.manager ?? 'qemu',
    cgroup: o.cgroupRel === null ? null : { path: o.cgroupRel, version: 1, own: o.own ?? true },
    qmp: { socket: q.qmpSocket, dedicated: true, reachable: true },
    disks,
    nics: (o.nics ?? []).map((ifname) => ({ ifname, mac: null, macvtap: false, rxBytes: null, txBytes: null, rxPackets: null,
      txPackets: null, rxDropped: null, txDropped: null, shaping: null })),
  });
  g.vcpus = cpus.map((c) => ({ index: c['cpu-index'], tid: c['thread-id'], source: 'qmp' as const, runUsec: null, waitUsec: null,
    timeslices: null, lastCpu: null, cpusAllowed: null, cgroupPath: null }));
  g.cpu.cpuset = null; g.cpu.cpusetEffective = null; g.cpu.weight = null; g.cpu.shares = 1024;
  g.memory.perNodeBytes = null;
  return g;
}

export function liveSample(guests: RawGuest[]): RawSample {
  const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  return {
    schemaVersion: 1, monoMs: performance.now(), wallMs: Date.now(), demo: false,
    host: rawHost({ cgroupVersion: 1, onlineCpus: online }), guests, errors: [],
  };
}

export function realTuner(lab: Lab, fs?: HostFs): { tuner: Tuner; stateDir: string; auditLog: string; fs: HostFs } {
  const dir = lab.tmpdir('tuner-state');
  const hostFs = fs ?? new NodeHostFs('/');
  const stateDir = path.join(dir, 'state');
  const auditLog = path.join(dir, 'log', 'audit.log');
  const tuner = createTuner({ lock: new FlockStateLock(), fs: hostFs, runner: new ExecRunner(), clock: new SystemClock(), qmp: new SocketQmpConnector(), stateDir, auditLog });
  return { tuner, stateDir, auditLog, fs: hostFs };
}

/** CPU used by a process over `ms`, percent of one CPU (from /proc/<pid>/stat utime+stime). */
export async function measureCpuPct(pid: number, ms: number): Promise<number> {
  const ticks = (): number => {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const t0 = ticks(); const w0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const t1 = ticks(); const w1 = performance.now();
  return ((t1 - t0) / 100) / ((w1 - w0) / 1000) * 100;
}

/** Read IOPS of a QMP disk over `ms` (query-blockstats rd_operations). */
export async function measureReadIops(socket: string, device: string, ms: number): Promise<number> {
  const ops = async (): Promise<number> => {
    const st = await qmpCall<Array<{ device: string; stats: { rd_operations: number } }>>(socket, 'query-blockstats');
    const d = st.find((x) => x.device === device);
    if (!d) throw new Error(`no blockstats for ${device}`);
    return d.stats.rd_operations;
  };
  const a = await ops(); const w0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const b = await ops(); const w1 = performance.now();
  return (b - a) / ((w1 - w0) / 1000);
}
