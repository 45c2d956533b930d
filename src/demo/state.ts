// Owns the demo's mutable simulation state: per guest cumulative counters (CPU per cgroup level and
// per thread, memory, per-node placement, disks, NIC, PSI, KSM) and per host counters (per-CPU
// times, hugepage pools, KSM, PSI). All times are floats in µs/ns/ticks; renderers floor them.

import { formatCpuList } from '../engine/model/cpulist.js';
import { defaultControls, type CgControls } from './controls.js';
import { formatMask } from './format.js';
import { makeRng, type Rng } from './rng.js';
import { HUGE_2M, MiB, PAGE, VCPUS, type GuestSpec, type HostSpec } from './spec.js';

export interface CpuCounters { usage: number; user: number; system: number; periods: number; throttled: number; throttledUsec: number }
export interface Psi { some: number; full: number; s10: number; s60: number; s300: number; f10: number; f60: number; f300: number }
export interface Throttle { values: Record<string, number>; group: string | null }

/** A block latency histogram turned on with block-latency-histogram-set: cumulative counts per bin. */
export interface LatencyHistogram { boundariesNs: number[]; bins: Float64Array }

export interface DiskState {
  rdOps: number; wrOps: number; rdBytes: number; wrBytes: number; rdNs: number; wrNs: number;
  flushOps: number; flushNs: number; discOps: number; discBytes: number; highest: number;
  lastIoSec: number | null;
  throttle: Throttle;
  /** QEMU's latency histograms; null until a client turns them on */
  hist: { read: LatencyHistogram | null; write: LatencyHistogram | null; flush: LatencyHistogram | null };
}

export interface GuestState {
  spec: GuestSpec;
  rng: Rng;
  phase: number;
  running: boolean;
  ctl: { scope: CgControls; libvirt: CgControls; vcpu: CgControls[]; emulator: CgControls };
  eff: { scopeCpus: number[]; libvirtCpus: number[]; vcpuCpus: number[][]; emuCpus: number[]; union: number[]; mems: number[] };
  /** the effective sets formatted once per change (kernel list syntax and hex masks) */
  effText: EffText;
  cpu: { scope: CpuCounters; libvirt: CpuCounters; vcpu: CpuCounters[]; emulator: CpuCounters };
  vcpuRunNs: number[]; vcpuWaitNs: number[]; vcpuSlices: number[]; vcpuLastCpu: number[];
  emuRunNs: number; vhostRunNs: number;
  psi: { cpu: Psi; io: Psi; mem: Psi };
  mem: {
    anon: number; file: number; kernel: number; peak: number;
    nodeFrac: number[]; baseFrac: number[];
    events: { high: number; max: number; oom: number };
    pgfault: number; pgmajfault: number; migrated: number;
    balloon: number;
  };
  hugeNodePages: number[];
  disks: DiskState[];
  net: { rxBytes: number; txBytes: number; rxPkts: number; txPkts: number; tapTxDropped: number };
  /** tc limits on the tap (kbit/s; null = none): in = traffic to the guest, out = from it */
  shaping: { inKbit: number | null; outKbit: number | null };
  ksmPages: number;
  /** last step's CPU use in CPUs (for ctxt/irq and status) */
  lastCpus: number;
}

export interface HostState {
  spec: HostSpec;
  simSec: number;
  /** per CPU: user nice system idle iowait irq softirq steal guest guest_nice, in ticks */
  ticks: Float64Array;
  psi: { cpu: Psi; io: Psi; mem: Psi };
  ksm: { run: number; pagesToScan: number; sleepMs: number; sharing: number; shared: number; scanned: number; fullScans: number };
  huge: { total: number[]; free: number[] };
  ctxt: number; intr: number; processes: number;
}

export const TICK_FIELDS = 10;

export interface EffText {
  scope: string; libvirt: string; vcpu: string[]; emu: string; mems: string;
  vcpuMask: string[]; emuMask: string; memsMask: string;
}

export function effText(eff: GuestState['eff'], cpus: number): EffText {
  return {
    scope: formatCpuList(eff.scopeCpus), libvirt: formatCpuList(eff.libvirtCpus), vcpu: eff.vcpuCpus.map((c) => formatCpuList(c)),
    emu: formatCpuList(eff.emuCpus), mems: formatCpuList(eff.mems),
    vcpuMask: eff.vcpuCpus.map((c) => formatMask(c, cpus)), emuMask: formatMask(eff.emuCpus, cpus), memsMask: formatMask(eff.mems, 64),
  };
}

export function newPsi(): Psi {
  return { some: 0, full: 0, s10: 0, s60: 0, s300: 0, f10: 0, f60: 0, f300: 0 };
}

function cpuCounters(usageUsec: number, userShare: number): CpuCounters {
  return { usage: usageUsec, user: usageUsec * userShare, system: usageUsec * (1 - userShare), periods: 0, throttled: 0, throttledUsec: 0 };
}

export function newGuestState(spec: GuestSpec, host: HostSpec): GuestState {
  const rng = makeRng(spec.seed ^ 0x5eed);
  const age = spec.ageSec;
  const avg = { steady: 0.55, bursty: 0.4, idle: 0.015, 'disk-heavy': 0.3, 'network-heavy': 0.35, 'memory-hungry': 0.45 }[spec.profile];
  const vcpuUsec = Array.from({ length: VCPUS }, () => avg * age * 1e6 * (0.9 + 0.2 * rng()));
  const emuUsec = (0.02 + avg * 0.05) * age * 1e6;
  const total = vcpuUsec.reduce((a, b) => a + b, 0) + emuUsec;
  const home = spec.homeNode;
  const baseFrac = Array.from({ length: host.nodes }, (_, k) => (k === home ? 0.88 : 0.12 / (host.nodes - 1)));
  const all = Array.from({ length: host.cpus }, (_, c) => c);
  const nodes = Array.from({ length: host.nodes }, (_, k) => k);
  const anon = spec.hugepages ? 140 * MiB : spec.ramBytes * (spec.profile === 'memory-hungry' ? 0.3 : { steady: 0.6, bursty: 0.45, idle: 0.25, 'disk-heavy': 0.9, 'network-heavy': 0.5, 'memory-hungry': 0.3 }[spec.profile]) + 140 * MiB;
  const hugePages = spec.hugepages ? spec.ramBytes / HUGE_2M : 0;
  const disk = (i: number): DiskState => {
    const scale = i === 0 ? 0.2 : 1;
    const rdOps = age * 30 * scale * (1 + rng());
    const wrOps = age * 20 * scale * (1 + rng());
    return {
      rdOps, wrOps, rdBytes: rdOps * 16384, wrBytes: wrOps * 12288, rdNs: rdOps * 220e3, wrNs: wrOps * 480e3,
      flushOps: wrOps / 10, flushNs: wrOps / 10 * 800e3, discOps: age / 600, discBytes: (age / 600) * MiB,
      highest: spec.disks[i]!.sizeBytes * (0.3 + 0.5 * rng()), lastIoSec: 0,
      throttle: { values: {}, group: null },
      hist: { read: null, write: null, flush: null },
    };
  };
  const netScale = { steady: 2e6, bursty: 1e6, idle: 1500, 'disk-heavy': 1e6, 'network-heavy': 5e7, 'memory-hungry': 3e5 }[spec.profile];
  const eff = { scopeCpus: all, libvirtCpus: all, vcpuCpus: Array.from({ length: VCPUS }, () => all), emuCpus: all, union: all, mems: nodes };
  return {
    spec, rng, phase: rng(), running: true, eff, effText: effText(eff, host.cpus),
    ctl: { scope: defaultControls(), libvirt: defaultControls(), vcpu: Array.from({ length: VCPUS }, defaultControls), emulator: defaultControls() },
    cpu: {
      scope: cpuCounters(total, 0.86), libvirt: cpuCounters(total, 0.86),
      vcpu: vcpuUsec.map((u) => cpuCounters(u, 0.9)), emulator: cpuCounters(emuUsec, 0.35),
    },
    vcpuRunNs: vcpuUsec.map((u) => u * 1000),
    vcpuWaitNs: vcpuUsec.map((u) => u * 1000 * 0.02),
    vcpuSlices: vcpuUsec.map((u) => u / 2000),
    vcpuLastCpu: Array.from({ length: VCPUS }, (_, v) => host.nodeCpus[home]![v % host.cpusPerNode]!),
    emuRunNs: emuUsec * 1000 * 0.7, vhostRunNs: emuUsec * 1000 * 0.3,
    psi: { cpu: newPsi(), io: newPsi(), mem: newPsi() },
    mem: {
      anon, file: 48 * MiB, kernel: 12 * MiB + spec.ramBytes / 512, peak: anon + 80 * MiB,
      nodeFrac: [...baseFrac], baseFrac,
      events: { high: 0, max: 0, oom: 0 },
      pgfault: anon / PAGE + age * 500, pgmajfault: age / 30, migrated: 0, balloon: spec.ramBytes,
    },
    hugeNodePages: Array.from({ length: host.nodes }, (_, k) => (k === home ? hugePages : 0)),
    disks: [disk(0), disk(1)],
    net: { rxBytes: age * netScale, txBytes: age * netScale * 1.6, rxPkts: age * netScale / 900, txPkts: age * netScale * 1.6 / 1300, tapTxDropped: 0 },
    shaping: { inKbit: null, outKbit: null },
    ksmPages: 0,
    lastCpus: avg * VCPUS,
  };
}

export function newHostState(spec: HostSpec, guests: GuestState[]): HostState {
  const ticks = new Float64Array(spec.cpus * TICK_FIELDS);
  const up = spec.uptimeSec * 100;
  let guestBusy = 0;
  for (const g of guests) guestBusy += g.cpu.scope.usage / 1e6 * 100;
  const perCpuGuest = guestBusy / spec.cpus;
  for (let c = 0; c < spec.cpus; c++) {
    const o = c * TICK_FIELDS;
    const busyGuest = Math.min(up * 0.9, perCpuGuest);
    ticks[o] = up * 0.012 + busyGuest * 0.86;     // user (includes guest)
    ticks[o + 2] = up * 0.008 + busyGuest * 0.14; // system
    ticks[o + 4] = up * 0.001;                    // iowait
    ticks[o + 5] = up * 0.0005;                   // irq
    ticks[o + 6] = up * 0.002;                    // softirq
    ticks[o + 8] = busyGuest * 0.75;              // guest
    ticks[o + 3] = Math.max(0, up - ((ticks[o] as number) + (ticks[o + 2] as number) + (ticks[o + 4] as number) + (ticks[o + 5] as number) + (ticks[o + 6] as number)));
  }
  const usedHuge = [0, 0];
  for (const g of guests) g.hugeNodePages.forEach((p, k) => { usedHuge[k] = (usedHuge[k] ?? 0) + p; });
  return {
    spec, simSec: 0, ticks,
    psi: { cpu: newPsi(), io: newPsi(), mem: newPsi() },
    ksm: { run: 1, pagesToScan: 100, sleepMs: 20, sharing: 0, shared: 0, scanned: spec.uptimeSec * 2000, fullScans: Math.floor(spec.uptimeSec / 300) },
    huge: { total: [...spec.hugePagesPerNode], free: spec.hugePagesPerNode.map((t, k) => t - (usedHuge[k] ?? 0)) },
    ctxt: spec.uptimeSec * 20000 * spec.cpus, intr: spec.uptimeSec * 8000 * spec.cpus, processes: 40000 + spec.guests * 30,
  };
}
