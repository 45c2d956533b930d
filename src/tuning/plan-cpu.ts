// Owns planning of the CPU and NUMA knobs on cgroups v1 and v2: weight/shares (with the scale
// warning), quota and period (cpu.max vs cfs_quota_us/cfs_period_us), cpuset.cpus, cpuset.mems (with
// cpuset.memory_migrate=1 on v1 and the resident memory that will move), per-vCPU pinning (vcpuN
// cgroups where they exist, else sched_setaffinity of the thread via taskset) and emulator pinning
// (libvirt's emulator/ group, beside the guest group or under its systemd scope's libvirt/, else taskset).

import { formatCpuList, isSubset, parseCpuList } from '../engine/model/cpulist.js';
import { VirtuneError } from '../engine/model/errors.js';
import type { RawGuest } from '../engine/model/sample.js';
import type { QuotaSpec, TuningChange } from '../engine/model/tuning.js';
import { tryRead } from './guest.js';
import { cgWrite, readCurrent, type PlanCtx } from './plan-context.js';
import { humanBytes } from '../engine/model/units.js';

const QUOTA_MAX_USEC = 17592186044415;

export function onlineCpus(ctx: PlanCtx): number[] {
  const text = ctx.raw.host.onlineCpus ?? tryRead(ctx.fs, '/sys/devices/system/cpu/online');
  if (text === null) throw new VirtuneError(1, 'cannot tell which CPUs are online (/sys/devices/system/cpu/online)');
  return parseCpuList(text);
}

export function nodesWithMemory(ctx: PlanCtx): number[] {
  const text = tryRead(ctx.fs, '/sys/devices/system/node/has_memory');
  if (text !== null) return parseCpuList(text);
  const fromRaw = ctx.raw.host.numaNodes.filter((n) => n.hasMemory !== false && (n.memTotalBytes ?? 1) > 0).map((n) => n.node);
  return fromRaw.length > 0 ? fromRaw : [0];
}

function quotaUsec(q: QuotaSpec, period: number): number | 'max' {
  if (q.kind === 'max') return 'max';
  if (q.kind === 'usec') return q.usec;
  if (q.kind === 'pct') return Math.round((q.pct / 100) * period);
  return Math.round(q.cpus * period);
}

function quotaText(q: QuotaSpec): string {
  return q.kind === 'pct' ? `${q.pct}%` : q.kind === 'cpus' ? `${q.cpus}cpu` : q.kind === 'usec' ? `${q.usec}` : 'max';
}

export function planWeight(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'cpuWeight' }>): void {
  const v = ctx.cg?.version ?? 1;
  if (v === 2) {
    if (c.value < 1 || c.value > 10000) throw new VirtuneError(2, `--${c.flag}: ${c.value} is out of range for cgroup v2 cpu.weight (valid: 1-10000)`);
    if (c.flag === 'cpu-shares') ctx.warnings.push(`--cpu-shares on a cgroup v2 host writes cpu.weight=${c.value} (same number): the scales differ (v1 shares default 1024, v2 weight default 100)`);
    cgWrite(ctx, 'cpu', 'cpu.weight', String(c.value), 'the CPU weight', { fromFresh: '100' });
  } else {
    if (c.value < 2 || c.value > 262144) throw new VirtuneError(2, `--${c.flag}: ${c.value} is out of range for cgroup v1 cpu.shares (valid: 2-262144)`);
    if (c.flag === 'cpu-weight') ctx.warnings.push(`--cpu-weight on a cgroup v1 host writes cpu.shares=${c.value} (same number): the scales differ (v1 shares default 1024, v2 weight default 100)`);
    cgWrite(ctx, 'cpu', 'cpu.shares', String(c.value), 'the CPU weight', { fromFresh: '1024' });
  }
}

/** Quota and period together (one cpu.max write on v2). */
export function planQuotaPeriod(ctx: PlanCtx, quota: QuotaSpec | null, period: number | null): void {
  if (period !== null && (period < 1000 || period > 1_000_000)) {
    throw new VirtuneError(2, `--cpu-period: ${period} µs is out of range (valid: 1000-1000000 µs)`);
  }
  const v = ctx.cg?.version ?? 1;
  const what = 'the CPU quota';
  const dir = ctx.cg?.dir('cpu') ?? null;
  let curPeriod = 100000;
  let curMax = 'max 100000';
  if (!ctx.fresh.has('cpu') && dir !== null) {
    if (v === 2) {
      curMax = readCurrent(ctx.fs, `${dir}/cpu.max`);
      curPeriod = Number(curMax.split(/\s+/)[1] ?? 100000);
    } else {
      curPeriod = Number(readCurrent(ctx.fs, `${dir}/cpu.cfs_period_us`));
    }
  }
  const newPeriod = period ?? curPeriod;
  let q: number | 'max' | null = null;
  if (quota) {
    q = quotaUsec(quota, newPeriod);
    if (q !== 'max' && q < 1000) {
      throw new VirtuneError(2, `--cpu-quota: ${quotaText(quota)} is ${q} µs per ${newPeriod} µs period; the kernel needs at least 1000 µs (valid: ≥ 1000 µs, e.g. ${Math.ceil(100000 / newPeriod)}% or more)`);
    }
    if (q !== 'max' && q > QUOTA_MAX_USEC) throw new VirtuneError(2, `--cpu-quota: ${q} µs is above the kernel maximum ${QUOTA_MAX_USEC}`);
  }
  if (v === 2) {
    const curQ = curMax.split(/\s+/)[0] ?? 'max';
    const to = `${q === null ? curQ : String(q)} ${newPeriod}`;
    cgWrite(ctx, 'cpu', 'cpu.max', to, what, { fromFresh: 'max 100000' });
  } else {
    if (period !== null) cgWrite(ctx, 'cpu', 'cpu.cfs_period_us', String(period), what, { fromFresh: '100000' });
    if (q !== null) cgWrite(ctx, 'cpu', 'cpu.cfs_quota_us', q === 'max' ? '-1' : String(q), what, { fromFresh: '-1' });
  }
}

export function planCpuset(ctx: PlanCtx, cpus: string): void {
  const want = parseCpuList(cpus);
  const online = onlineCpus(ctx);
  if (!isSubset(want, online)) {
    throw new VirtuneError(2, `--cpuset: ${cpus} is not a subset of the online CPUs ${formatCpuList(online)}`);
  }
  cgWrite(ctx, 'cpuset', 'cpuset.cpus', formatCpuList(want), 'the cpuset');
}

function perNodeBytes(g: RawGuest): Record<string, number> | null {
  return g.memory.perNodeBytes;
}

export function planNodeset(ctx: PlanCtx, nodes: string): void {
  const g = ctx.guest as RawGuest;
  const want = parseCpuList(nodes);
  const withMem = nodesWithMemory(ctx);
  const noMem = want.filter((n) => !withMem.includes(n));
  if (noMem.length > 0) {
    throw new VirtuneError(2, `--nodeset: node(s) ${formatCpuList(noMem)} have no memory (nodes with memory: ${formatCpuList(withMem)})`);
  }
  const per = perNodeBytes(g);
  if (per) {
    let move = 0;
    for (const [node, bytes] of Object.entries(per)) if (!want.includes(Number(node))) move += bytes;
    ctx.migrateBytes = (ctx.migrateBytes ?? 0) + move;
    const from = Object.keys(per).filter((n) => !want.includes(Number(n)) && (per[n] ?? 0) > 0);
    ctx.warnings.push(move > 0
      ? `nodeset ${formatCpuList(want)}: ${humanBytes(move)} of resident memory will migrate from node(s) ${from.join(',')}`
      : `nodeset ${formatCpuList(want)}: no resident memory needs to move`);
  } else {
    ctx.migrateBytes = null;
    ctx.warnings.push(`nodeset ${formatCpuList(want)}: how much resident memory will move is not known (no per-node memory sample)`);
  }
  if ((ctx.cg?.version ?? 1) === 1) {
    const dir = ctx.cg?.dir('cpuset');
    const cur = ctx.fresh.has('cpuset') || !dir ? '0' : (tryRead(ctx.fs, `${dir}/cpuset.memory_migrate`)?.trim() ?? null);
    if (cur !== '1') cgWrite(ctx, 'cpuset', 'cpuset.memory_migrate', '1', 'the NUMA nodeset', { fromFresh: '0', note: 'migrate pages when cpuset.mems changes' });
  }
  cgWrite(ctx, 'cpuset', 'cpuset.mems', formatCpuList(want), 'the NUMA nodeset');
}

function realCgroupDir(ctx: PlanCtx, p: string): string {
  if (p.startsWith('/sys/fs/cgroup')) return p;
  return `${ctx.cg?.mount('cpuset') ?? '/sys/fs/cgroup/cpuset'}${p}`;
}

function threadAllowed(ctx: PlanCtx, tid: number): string | null {
  const st = tryRead(ctx.fs, `/proc/${tid}/status`);
  const m = st ? /^Cpus_allowed_list:\s*(\S+)/m.exec(st) : null;
  return m ? (m[1] as string) : null;
}

function pinTarget(ctx: PlanCtx, flag: string, cpus: string): string {
  const want = parseCpuList(cpus);
  const online = onlineCpus(ctx);
  if (!isSubset(want, online)) throw new VirtuneError(2, `${flag}: ${cpus} is not a subset of the online CPUs ${formatCpuList(online)}`);
  const g = ctx.guest as RawGuest;
  const allowed = g.cpu.cpusetEffective ?? g.cpu.cpuset;
  const newSet = ctx.req.changes.find((c) => c.kind === 'cpuset');
  const limit = newSet && newSet.kind === 'cpuset' ? newSet.cpus : allowed;
  if (limit && limit.trim() !== '' && !isSubset(want, parseCpuList(limit))) {
    throw new VirtuneError(2, `${flag}: ${cpus} is outside the guest's cpuset ${limit} (pin within it, or widen --cpuset)`);
  }
  return formatCpuList(want);
}

function affinityStep(ctx: PlanCtx, tid: number, to: string): void {
  const from = threadAllowed(ctx, tid);
  if (from === null) throw new VirtuneError(3, `thread ${tid} of guest ${(ctx.guest as RawGuest).id} does not exist`);
  ctx.steps.push({ kind: 'affinity', tid, from, to });
}

export function planVcpuPin(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'vcpuPin' }>): void {
  const g = ctx.guest as RawGuest;
  const v = g.vcpus.find((x) => x.index === c.vcpu);
  if (!v) {
    const have = g.vcpus.map((x) => x.index);
    throw new VirtuneError(3, `guest ${g.id} has no vCPU ${c.vcpu} (vCPUs: ${have.length ? formatCpuList(have) : 'unknown — no QMP/thread information'})`);
  }
  const to = pinTarget(ctx, '--vcpu-pin', c.cpus);
  if (v.cgroupPath) {
    const path = `${realCgroupDir(ctx, v.cgroupPath)}/cpuset.cpus`;
    ctx.steps.push({ kind: 'cgroup-write', path, from: readCurrent(ctx.fs, path), to });
    return;
  }
  if (v.tid === null) throw new VirtuneError(3, `guest ${g.id}: the thread of vCPU ${c.vcpu} is not known`);
  affinityStep(ctx, v.tid, to);
}

export function planEmulatorPin(ctx: PlanCtx, cpus: string): void {
  const g = ctx.guest as RawGuest;
  const to = pinTarget(ctx, '--emulator-pin', cpus);
  // libvirt's emulator group: `<machine group>/emulator`, or `<scope>/libvirt/emulator` under systemd
  const dir = ctx.cg?.dir('cpuset');
  const emuFile = dir ? [`${dir}/emulator/cpuset.cpus`, `${dir}/libvirt/emulator/cpuset.cpus`].find((f) => ctx.fs.exists(f)) : undefined;
  if (emuFile !== undefined) {
    ctx.steps.push({ kind: 'cgroup-write', path: emuFile, from: readCurrent(ctx.fs, emuFile), to });
    return;
  }
  const vcpuTids = new Set(g.vcpus.map((x) => x.tid).filter((t): t is number => t !== null));
  if (vcpuTids.size === 0) throw new VirtuneError(2, `guest ${g.id}: vCPU threads are not known, so the emulator threads cannot be told apart (is QMP reachable?)`);
  let tids: number[];
  try {
    tids = ctx.fs.readDir(`/proc/${g.pid}/task`).map(Number).filter((t) => Number.isInteger(t) && !vcpuTids.has(t));
  } catch {
    throw new VirtuneError(3, `guest ${g.id}: process ${g.pid} does not exist`);
  }
  for (const tid of tids.sort((a, b) => a - b)) affinityStep(ctx, tid, to);
  ctx.warnings.push(`emulator pinning of a guest without an emulator cgroup sets the affinity of its ${tids.length} non-vCPU threads; threads QEMU starts later inherit the main thread's affinity`);
}
