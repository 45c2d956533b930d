// Owns the DiagnoseContext: what the diagnosis of any guest of one host needs to know about the
// others and the host, computed once per (snapshot, window) and shared by every guest diagnosed from
// it — the host CPUs each guest's vCPUs may run on, window means of CPU use and I/O, block devices,
// CPU → NUMA node, and per-CPU-set host busy series (cached by set). Pure: reads only its inputs.

import { formatCpuList, parseCpuList } from '../model/cpulist.js';
import type { HistoryWindow } from '../model/diagnosis.js';
import type { GuestSnap, Snapshot } from '../model/snapshot.js';
import { mean, type Series } from './stats.js';

export interface GuestFacts {
  g: GuestSnap;
  /** host CPUs the guest's vCPUs may run on (vCPU affinity, else cpuset, else every CPU) */
  cpus: number[];
  cpuKey: string;
  /** block devices (MAJ:MIN) the guest's disks sit on, where known */
  devices: string[];
}

function list(text: string | null): number[] | null {
  if (text === null) return null;
  try {
    const l = parseCpuList(text);
    return l.length > 0 ? l : null;
  } catch {
    return null;
  }
}

export class DiagnoseContext {
  readonly hostCpus: number[];
  readonly nodeOfCpu = new Map<number, number>();
  private readonly facts = new Map<string, GuestFacts>();
  private readonly busyBySet = new Map<string, Float64Array | null>();
  private meanUsage: Map<string, number> | null = null;
  private meanIops: Map<string, number> | null = null;

  constructor(readonly snapshot: Snapshot, readonly window: HistoryWindow) {
    const h = snapshot.host;
    let cpus: number[] = [];
    if (h.perCpuUsagePct) cpus = Object.keys(h.perCpuUsagePct).map(Number).sort((a, b) => a - b);
    else if (h.cpuCount !== null) cpus = Array.from({ length: h.cpuCount }, (_, i) => i);
    this.hostCpus = cpus;
    for (const n of h.numaNodes) for (const c of list(n.cpus) ?? []) this.nodeOfCpu.set(c, n.node);
    for (const g of snapshot.guests) this.facts.set(g.id, this.factsOf(g));
  }

  private factsOf(g: GuestSnap): GuestFacts {
    const fromVcpus = new Set<number>();
    let allKnown = g.vcpus.length > 0;
    for (const v of g.vcpus) {
      const l = list(v.cpusAllowed);
      if (l === null) { allKnown = false; break; }
      for (const c of l) fromVcpus.add(c);
    }
    const cpus = allKnown ? [...fromVcpus].sort((a, b) => a - b) : (list(g.cpu.cpusetEffective) ?? list(g.cpu.cpuset) ?? this.hostCpus);
    const devices: string[] = [];
    for (const d of g.disks) if (d.device !== null && !devices.includes(d.device)) devices.push(d.device);
    const extra = (g as { blockDevices?: Array<{ device: string | null }> }).blockDevices;
    if (Array.isArray(extra)) for (const d of extra) if (d.device && !devices.includes(d.device)) devices.push(d.device);
    return { g, cpus, cpuKey: formatCpuList(cpus), devices };
  }

  guest(id: string): GuestFacts | undefined { return this.facts.get(id); }
  guests(): IterableIterator<GuestFacts> { return this.facts.values(); }

  /** Per sample: Σ over the CPUs of the set of their busy percent (NaN when a CPU is unknown), or null. */
  setBusy(cpus: readonly number[], key: string): Float64Array | null {
    if (this.busyBySet.has(key)) return this.busyBySet.get(key) as Float64Array | null;
    const len = this.window.length;
    let out: Float64Array | null = new Float64Array(len);
    for (const c of cpus) {
      const s = this.window.series(null, `host.perCpuUsagePct.${c}`);
      if (s === null) { out = null; break; }
      for (let i = 0; i < len; i++) out[i] = (out[i] as number) + (s[i] as number);
    }
    if (cpus.length === 0) out = null;
    this.busyBySet.set(key, out);
    return out;
  }

  /** Window mean of every guest's CPU use, percent of one CPU (guests with none known are left out). */
  usageMeans(): Map<string, number> {
    if (this.meanUsage) return this.meanUsage;
    const m = new Map<string, number>();
    for (const id of this.facts.keys()) {
      const v = mean(this.window.series(id, 'cpu.usagePct'));
      if (v !== null) m.set(id, v);
    }
    this.meanUsage = m;
    return m;
  }

  /** Window mean of every guest's disk operations per second (read + write). */
  iopsMeans(): Map<string, number> {
    if (this.meanIops) return this.meanIops;
    const m = new Map<string, number>();
    for (const id of this.facts.keys()) {
      const r = mean(this.window.series(id, 'disks.readIops'));
      const w = mean(this.window.series(id, 'disks.writeIops'));
      if (r !== null && w !== null) m.set(id, r + w);
    }
    this.meanIops = m;
    return m;
  }

  series(guest: string | null, metric: string): Series {
    return this.window.series(guest, metric);
  }
}
