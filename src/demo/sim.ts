// Owns one simulation step of the demo host: what each guest wants (profiles), what its cgroup
// limits and QEMU throttles allow (quota, weight, cpuset, io.max, memory.max, cpuset.mems), how the
// host's CPUs are shared under contention (weighted water-filling per CPU), and the resulting
// counters. Pure computation on the state objects: no I/O.

import { addToHistogram } from './latency.js';
import { demandAt, KSM_SHARE, type Demand } from './profiles.js';
import { HUGE_2M, MiB, PAGE, type HostSpec } from './spec.js';
import { effText, TICK_FIELDS, type CpuCounters, type DiskState, type GuestState, type HostState, type Psi } from './state.js';
import type { CgControls, IoLimit } from './controls.js';

const BACKGROUND = 0.02; // host's own CPU use per CPU

function intersect(a: number[], b: number[]): number[] {
  const s = new Set(b);
  return a.filter((x) => s.has(x));
}

/** Effective set as cgroup v2 computes it: requested ∩ parent, or the parent's when empty/disjoint. */
function effective(requested: number[] | null, parent: number[]): number[] {
  if (requested === null) return parent;
  const e = intersect(requested, parent);
  return e.length ? e : parent;
}

/** Recompute effective cpusets and mems after a control changed. */
export function recomputeEffective(g: GuestState, host: HostSpec): void {
  const all = Array.from({ length: host.cpus }, (_, c) => c);
  const nodes = Array.from({ length: host.nodes }, (_, k) => k);
  const c = g.ctl;
  const scope = effective(c.scope.cpus, all);
  const lib = effective(c.libvirt.cpus, scope);
  const vcpu = c.vcpu.map((v) => effective(v.cpus, lib));
  const emu = effective(c.emulator.cpus, lib);
  const union = [...new Set([...vcpu.flat(), ...emu])].sort((a, b) => a - b);
  const memsScope = effective(c.scope.mems, nodes);
  const memsLib = effective(c.libvirt.mems, memsScope);
  const memsEmu = effective(c.emulator.mems, memsLib);
  g.eff = { scopeCpus: scope, libvirtCpus: lib, vcpuCpus: vcpu, emuCpus: emu, union, mems: memsEmu };
  g.effText = effText(g.eff, host.cpus);
}

function quotaCap(c: CgControls): number {
  return c.quota === null ? Infinity : c.quota / c.period;
}

/**
 * Spread of a group's CPU demand from one CFS period (100 ms) to the next around its mean over a step:
 * the simulation steps in whole intervals, the kernel accounts bandwidth per period.
 */
const PERIOD_SPREAD = 0.3;

/** Standard normal distribution function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function normCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * CFS bandwidth accounting of one group over a step, as cpu.stat counts it: nr_periods counts the
 * periods it was active in, nr_throttled those in which it used up its quota — so a throttled period
 * always holds a whole quota of CPU time, and throttled periods / periods is never more than the
 * group's use allows. `demand`: CPUs it wanted (after the quotas below it); `got`: CPUs it ran. It
 * could reach its demand, or only what contention left it when that kept it under the quota; per
 * period that reach spreads (PERIOD_SPREAD), so the throttled fraction is P(reach × (1 + spread·z) ≥
 * quota): all periods far above the quota, some when a busy group averages just below it, few when
 * contention holds it well under it. throttled_usec adds the expected CPU time the quota denied.
 */
function countThrottling(k: CpuCounters, c: CgControls, demand: number, got: number, dt: number): void {
  const cap = quotaCap(c);
  if (cap === Infinity || demand <= 0) return;
  const periods = (dt * 1e6) / c.period;
  k.periods += periods;
  const reach = got < Math.min(demand, cap) * 0.999 ? got : demand;
  if (reach <= 0) return;
  const sd = reach * PERIOD_SPREAD;
  const d = (reach - cap) / sd;
  k.throttled += periods * normCdf(d);
  // E[max(0, X − cap)] for X ~ N(reach, sd): the CPU time over the quota that the periods were denied
  const denied = (reach - cap) * normCdf(d) + (sd * Math.exp((-d * d) / 2)) / Math.sqrt(2 * Math.PI);
  k.throttledUsec += Math.max(0, denied) * dt * 1e6;
}

function addUsage(k: CpuCounters, cpus: number, dt: number, userShare: number): void {
  const us = cpus * dt * 1e6;
  k.usage += us; k.user += us * userShare; k.system += us * (1 - userShare);
}

function psiAdd(p: Psi, someFrac: number, fullFrac: number, dt: number): void {
  const s = Math.min(1, Math.max(0, someFrac));
  const f = Math.min(s, Math.max(0, fullFrac));
  p.some += s * dt * 1e6; p.full += f * dt * 1e6;
  const ema = (avg: number, val: number, w: number): number => avg + (val * 100 - avg) * (1 - Math.exp(-dt / w));
  p.s10 = ema(p.s10, s, 10); p.s60 = ema(p.s60, s, 60); p.s300 = ema(p.s300, s, 300);
  p.f10 = ema(p.f10, f, 10); p.f60 = ema(p.f60, f, 60); p.f300 = ema(p.f300, f, 300);
}

function ioCap(a: IoLimit | undefined, b: IoLimit | undefined, key: keyof IoLimit): number {
  const x = a?.[key] ?? null; const y = b?.[key] ?? null;
  return Math.min(x ?? Infinity, y ?? Infinity);
}

function qmpCap(d: DiskState, key: string): number {
  const v = d.throttle.values[key];
  return v === undefined || v === 0 ? Infinity : v;
}

interface Plan {
  demand: Demand; want: number; vcpuWant: number[]; emu: number; vfrac: number; set: number[]; perCpu: number; granted: number; rawVcpu: number[];
  /** CPUs wanted before the emulator's, libvirt's and the scope's quotas (throttling is counted once the grant is known) */
  emuRaw: number; libvirtIn: number; scopeIn: number;
}

/** Advance the whole host by dt seconds. */
export function step(host: HostState, guests: GuestState[], dt: number): void {
  if (dt <= 0) return;
  const spec = host.spec;
  const t = host.simSec;
  host.simSec += dt;

  // 1. demands and per-guest caps
  const plans: Plan[] = [];
  for (const g of guests) {
    const demand = demandAt(g.spec.profile, t, g.phase, g.spec.tids.vcpus.length, g.rng);
    const rawVcpu = g.running ? demand.vcpu : demand.vcpu.map(() => 0);
    const vcpuWant = rawVcpu.map((d, i) => Math.min(d, quotaCap(g.ctl.vcpu[i] as CgControls)));
    let iops = 0;
    for (const dd of demand.disks) iops += dd.rOps + dd.wOps;
    const pps = demand.rxBps / 900 + demand.txBps / 1300;
    const emuRaw = g.running ? 0.01 + iops * 2e-5 + pps * 3e-6 : 0.003;
    const emu = Math.min(emuRaw, quotaCap(g.ctl.emulator));
    const sumV = vcpuWant.reduce((a, b) => a + b, 0);
    // the quotas of the vCPU and emulator groups, then libvirt's, then the scope's
    const libvirtIn = sumV + emu;
    const scopeIn = Math.min(libvirtIn, quotaCap(g.ctl.libvirt));
    let want = Math.min(scopeIn, quotaCap(g.ctl.scope));
    want = Math.min(want, g.eff.union.length);
    const homeNode = g.eff.mems.length === 1 ? (g.eff.mems[0] as number) : g.spec.homeNode;
    const pref = intersect(g.eff.union, spec.nodeCpus[homeNode] as number[]);
    const set = pref.length && want <= pref.length * 0.9 ? pref : g.eff.union;
    plans.push({ demand, want, vcpuWant, emu, vfrac: sumV + emu > 0 ? sumV / (sumV + emu) : 1, set, perCpu: set.length ? want / set.length : 0, granted: 0, rawVcpu, emuRaw, libvirtIn, scopeIn });
  }

  // 2. share each CPU by weight (water-filling), account host CPU time
  const onCpu: number[][] = Array.from({ length: spec.cpus }, () => []);
  plans.forEach((p, gi) => { if (p.perCpu > 0) for (const c of p.set) (onCpu[c] as number[]).push(gi); });
  const ticks = host.ticks;
  const dtTicks = dt * 100;
  for (let c = 0; c < spec.cpus; c++) {
    const list = onCpu[c] as number[];
    let total = 0;
    for (const gi of list) total += (plans[gi] as Plan).perCpu;
    const cap = 1 - BACKGROUND;
    let vBusy = 0; let eBusy = 0;
    const grant = (gi: number, amount: number): void => {
      const p = plans[gi] as Plan;
      p.granted += amount; vBusy += amount * p.vfrac; eBusy += amount * (1 - p.vfrac);
    };
    if (total <= cap) {
      for (const gi of list) grant(gi, (plans[gi] as Plan).perCpu);
    } else {
      const w = (gi: number): number => (guests[gi] as GuestState).ctl.scope.weight;
      const sorted = [...list].sort((a, b) => (plans[a] as Plan).perCpu / w(a) - (plans[b] as Plan).perCpu / w(b));
      let remaining = cap;
      let wsum = 0;
      for (const gi of sorted) wsum += w(gi);
      let i = 0;
      for (; i < sorted.length; i++) {
        const gi = sorted[i] as number;
        const fair = (remaining * w(gi)) / wsum;
        const d = (plans[gi] as Plan).perCpu;
        if (d > fair) break;
        grant(gi, d); remaining -= d; wsum -= w(gi);
      }
      for (; i < sorted.length; i++) { const gi = sorted[i] as number; grant(gi, (remaining * w(gi)) / wsum); }
    }
    const o = c * TICK_FIELDS;
    const bg = BACKGROUND;
    const user = vBusy * 0.9 + eBusy * 0.35 + bg * 0.6;
    const sys = vBusy * 0.1 + eBusy * 0.55 + bg * 0.4;
    const soft = eBusy * 0.1;
    ticks[o] = (ticks[o] as number) + user * dtTicks;
    ticks[o + 2] = (ticks[o + 2] as number) + sys * dtTicks;
    ticks[o + 6] = (ticks[o + 6] as number) + soft * dtTicks;
    ticks[o + 8] = (ticks[o + 8] as number) + vBusy * 0.85 * dtTicks;
    ticks[o + 3] = (ticks[o + 3] as number) + Math.max(0, 1 - user - sys - soft) * dtTicks;
  }

  // 3. per-guest counters
  let waitSum = 0; let ioSomeMax = 0; let memSomeMax = 0; let slices = 0;
  guests.forEach((g, gi) => {
    const p = plans[gi] as Plan;
    const asked = p.vcpuWant.reduce((a, b) => a + b, 0) + p.emu;
    const f = asked > 0 ? Math.min(1, p.granted / asked) : 0;
    let vcpuSum = 0; let minWait = 1; let someWait = 0;
    p.vcpuWant.forEach((want, i) => {
      const run = want * f;
      const wait = Math.max(0, (p.rawVcpu[i] as number) - run);
      vcpuSum += run;
      addUsage(g.cpu.vcpu[i] as CpuCounters, run, dt, 0.9);
      countThrottling(g.cpu.vcpu[i] as CpuCounters, g.ctl.vcpu[i] as CgControls, p.rawVcpu[i] as number, run, dt);
      g.vcpuRunNs[i] = (g.vcpuRunNs[i] as number) + run * dt * 1e9;
      g.vcpuWaitNs[i] = (g.vcpuWaitNs[i] as number) + wait * dt * 1e9;
      const sl = run * dt * 1000 + (g.running ? dt * 50 : 0);
      g.vcpuSlices[i] = (g.vcpuSlices[i] as number) + sl;
      slices += sl;
      // the CPUs its load went to this step (its home node's when it fits there), within the vCPU's set
      const allowed = g.eff.vcpuCpus[i] as number[];
      const placed = intersect(allowed, p.set);
      const cpus = placed.length ? placed : allowed;
      if (run > 0 && cpus.length) g.vcpuLastCpu[i] = cpus[Math.floor(g.rng() * cpus.length)] as number;
      else if (!cpus.includes(g.vcpuLastCpu[i] as number)) g.vcpuLastCpu[i] = cpus[0] as number;
      waitSum += wait;
      minWait = Math.min(minWait, wait);
      someWait = Math.max(someWait, wait);
    });
    const emu = p.emu * f;
    addUsage(g.cpu.emulator, emu, dt, 0.35);
    countThrottling(g.cpu.emulator, g.ctl.emulator, p.emuRaw, emu, dt);
    countThrottling(g.cpu.libvirt, g.ctl.libvirt, p.libvirtIn, vcpuSum + emu, dt);
    countThrottling(g.cpu.scope, g.ctl.scope, p.scopeIn, vcpuSum + emu, dt);
    g.emuRunNs += emu * 0.7 * dt * 1e9; g.vhostRunNs += emu * 0.3 * dt * 1e9;
    addUsage(g.cpu.libvirt, vcpuSum + emu, dt, (vcpuSum * 0.9 + emu * 0.35) / Math.max(1e-9, vcpuSum + emu));
    addUsage(g.cpu.scope, vcpuSum + emu, dt, (vcpuSum * 0.9 + emu * 0.35) / Math.max(1e-9, vcpuSum + emu));
    g.lastCpus = vcpuSum + emu;
    psiAdd(g.psi.cpu, someWait * 1.5, minWait, dt);

    stepMemory(g, p.demand, dt, spec);
    memSomeMax = Math.max(memSomeMax, g.psi.mem.s10 / 100);
    const ioFrac = stepDisks(g, p.demand, dt, host.simSec);
    ioSomeMax = Math.max(ioSomeMax, ioFrac);
    stepNet(g, p.demand, dt);
  });

  psiAdd(host.psi.cpu, waitSum / spec.cpus, 0, dt);
  psiAdd(host.psi.io, ioSomeMax * 0.5, ioSomeMax * 0.2, dt);
  psiAdd(host.psi.mem, memSomeMax * 0.5, memSomeMax * 0.2, dt);
  host.ctxt += slices * 2 + spec.cpus * 200 * dt;
  host.intr += slices * 3 + spec.cpus * 500 * dt;
  stepKsm(host, guests, dt);
}

function stepMemory(g: GuestState, d: Demand, dt: number, spec: HostSpec): void {
  const m = g.mem;
  const overhead = 140 * MiB;
  const ramTarget = g.spec.hugepages ? 0 : Math.min(g.spec.ramBytes * d.memFrac, m.balloon);
  const wantAnon = ramTarget + overhead;
  const before = m.anon;
  if (wantAnon > m.anon) m.anon = Math.min(wantAnon, m.anon + 150 * MiB * dt);
  else m.anon = Math.max(wantAnon, m.anon - 5 * MiB * dt);
  m.file = 48 * MiB;
  const lim = Math.min(g.ctl.scope.memMax ?? Infinity, g.ctl.libvirt.memMax ?? Infinity);
  const high = Math.min(g.ctl.scope.memHigh ?? Infinity, g.ctl.libvirt.memHigh ?? Infinity);
  const cap = Math.min(lim, high);
  let pressure = 0;
  const total = m.anon + m.file + m.kernel;
  if (total > cap) {
    const over = total - cap;
    m.file = Math.max(4 * MiB, m.file - over);
    m.anon = Math.max(0, cap - m.file - m.kernel);
    if (lim <= high) m.events.max += 1; else m.events.high += 1;
    pressure = Math.min(1, over / Math.max(cap * 0.05, MiB)) * 0.6 + 0.1;
    m.pgmajfault += (over / PAGE) * 0.02 * dt;
  }
  if (m.anon > before) m.pgfault += (m.anon - before) / PAGE;
  m.pgfault += 300 * dt;
  const cur = m.anon + m.file + m.kernel;
  m.peak = Math.max(m.peak, cur);
  psiAdd(g.psi.mem, pressure, pressure * 0.5, dt);

  // NUMA placement follows cpuset.mems (v2 migrates on change)
  const allowed = g.eff.mems;
  const target = m.baseFrac.map((f, k) => (allowed.includes(k) ? f : 0));
  const sum = target.reduce((a, b) => a + b, 0);
  const norm = sum > 0 ? target.map((x) => x / sum) : allowed.map(() => 1 / allowed.length);
  const rate = 1 - Math.exp(-dt * 0.8);
  let moved = 0;
  for (let k = 0; k < spec.nodes; k++) {
    const cur0 = m.nodeFrac[k] as number;
    const next = cur0 + ((norm[k] as number) - cur0) * rate;
    moved += Math.abs(next - cur0) / 2;
    m.nodeFrac[k] = next;
  }
  m.migrated += (moved * cur) / PAGE;
  if (g.spec.hugepages) {
    const pages = g.spec.ramBytes / HUGE_2M;
    let acc = 0;
    for (let k = 0; k < spec.nodes; k++) {
      const v = k === spec.nodes - 1 ? pages - acc : Math.round(pages * (m.nodeFrac[k] as number));
      g.hugeNodePages[k] = v; acc += v;
    }
  }
}

function stepDisks(g: GuestState, d: Demand, dt: number, now: number): number {
  let worst = 0; let iops = 0;
  g.disks.forEach((ds, k) => {
    const dem = d.disks[k];
    if (!dem || !g.running) return;
    const spec = g.spec.disks[k]!;
    const a = g.ctl.scope.ioMax.get(spec.majMin);
    const b = g.ctl.libvirt.ioMax.get(spec.majMin);
    let r = Math.min(dem.rOps, ioCap(a, b, 'riops'), ioCap(a, b, 'rbps') / dem.rSize, qmpCap(ds, 'iops_rd'), qmpCap(ds, 'bps_rd') / dem.rSize);
    let w = Math.min(dem.wOps, ioCap(a, b, 'wiops'), ioCap(a, b, 'wbps') / dem.wSize, qmpCap(ds, 'iops_wr'), qmpCap(ds, 'bps_wr') / dem.wSize);
    const totIops = qmpCap(ds, 'iops');
    if (r + w > totIops) { const s = totIops / (r + w); r *= s; w *= s; }
    const totBps = qmpCap(ds, 'bps');
    if (r * dem.rSize + w * dem.wSize > totBps) { const s = totBps / (r * dem.rSize + w * dem.wSize); r *= s; w *= s; }
    const want = dem.rOps + dem.wOps;
    const got = r + w;
    const starved = want > 0 ? Math.max(0, 1 - got / want) : 0;
    worst = Math.max(worst, starved);
    iops += got;
    const load = got / 20000;
    const queue = starved > 0 ? Math.min(0.25, (want / Math.max(got, 1e-3) - 1) * 0.02) : 0;
    const rLat = 0.00015 + dem.rSize / 2e9 + load * 0.0005 + queue;
    const wLat = 0.0003 + dem.wSize / 1e9 + load * 0.0008 + queue;
    ds.rdOps += r * dt; ds.wrOps += w * dt;
    ds.rdBytes += r * dt * dem.rSize; ds.wrBytes += w * dt * dem.wSize;
    ds.rdNs += r * dt * rLat * 1e9; ds.wrNs += w * dt * wLat * 1e9;
    ds.flushOps += (w / 10) * dt; ds.flushNs += (w / 10) * dt * 0.0008 * 1e9;
    if (ds.hist.read) addToHistogram(ds.hist.read, r * dt, rLat);
    if (ds.hist.write) addToHistogram(ds.hist.write, w * dt, wLat);
    if (ds.hist.flush) addToHistogram(ds.hist.flush, (w / 10) * dt, 0.0008);
    ds.discOps += dt / 600; ds.discBytes += (dt / 600) * MiB;
    ds.highest = Math.min(spec.sizeBytes, ds.highest + w * dt * dem.wSize * 0.01);
    if (got > 0) ds.lastIoSec = now;
  });
  const some = Math.min(1, worst * 0.9 + iops / 50000);
  psiAdd(g.psi.io, some, some * 0.6, dt);
  return some;
}

function stepNet(g: GuestState, d: Demand, dt: number): void {
  const n = g.net;
  // tc shaping of the tap caps what gets through (kbit/s → bytes/s)
  const rx = g.shaping.inKbit === null ? d.rxBps : Math.min(d.rxBps, g.shaping.inKbit * 125);
  const tx = g.shaping.outKbit === null ? d.txBps : Math.min(d.txBps, g.shaping.outKbit * 125);
  if (g.running) {
    n.rxBytes += rx * dt; n.rxPkts += (rx / 900) * dt;
    n.txBytes += tx * dt; n.txPkts += (tx / 1300) * dt;
  } else {
    n.tapTxDropped += (d.rxBps / 900) * dt; // frames for a paused guest cannot be queued
  }
}

/** Mergeable pages of a guest (anonymous guest RAM, never hugetlbfs) and the share KSM finds. */
export function ksmTarget(g: GuestState): number {
  if (g.spec.hugepages) return 0;
  return ((g.mem.anon - 140 * MiB) / PAGE) * KSM_SHARE[g.spec.profile];
}

function stepKsm(host: HostState, guests: GuestState[], dt: number): void {
  const k = host.ksm;
  let target = 0; let mergeable = 0;
  for (const g of guests) { target += ksmTarget(g); if (!g.spec.hugepages) mergeable += g.mem.anon / PAGE; }
  if (k.run === 2) { k.sharing = 0; k.shared = 0; }
  else if (k.run === 1) {
    const scan = (k.pagesToScan * 1000) / Math.max(1, k.sleepMs) * dt;
    k.scanned += scan;
    if (mergeable > 0) k.fullScans += scan / mergeable;
    const step = Math.max(scan * 0.3, Math.abs(target - k.sharing) * 0.02 * dt);
    k.sharing = target > k.sharing ? Math.min(target, k.sharing + step) : Math.max(target, k.sharing - step);
    k.shared = k.sharing / 5;
  }
  for (const g of guests) g.ksmPages = target > 0 ? (k.sharing + k.shared) * (ksmTarget(g) / target) : 0;
}
