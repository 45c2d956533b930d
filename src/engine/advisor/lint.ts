// Owns the configuration linter (`advise --lint`): one small pure function per rule, each returning
// findings with a severity and, where a live change fixes it, a suggested `virtune tune` command.
// Rules read the Snapshot and, for what only the raw sample knows (-cpu model, -smp, memory backends,
// emulator thread affinity), the RawSample.

import { formatCpuList } from '../model/cpulist.js';
import type { LintFinding } from '../model/advice.js';
import type { RawGuest, RawSample } from '../model/sample.js';
import type { GuestSnap, Snapshot } from '../model/snapshot.js';
import {
  MIB, allCpus, cpuNodeMap, cpusOfNodes, isRunning, rawGuestMap, safeList, sortedNodes, vcpuCpuUnion,
  vcpuNodes,
} from './topology.js';

/** numad's target_memlocality is 90 %: more than 10 % remote is worth a finding (and at least this much) */
export const REMOTE_PCT = 10;
export const REMOTE_MIN_MIB = 64;
/** "many guests": KSM off while at least this many guests have mergeable memory */
export const KSM_MIN_MERGEABLE_GUESTS = 2;
/** CPU models that hide the host's features */
export const GENERIC_CPU_MODELS = new Set([
  'qemu64', 'qemu32', 'kvm64', 'kvm32', '486', 'pentium', 'pentium2', 'pentium3', 'athlon', 'coreduo',
  'core2duo', 'n270', 'phenom', 'base', 'max-tcg',
]);

interface Ctx { snap: Snapshot; raw: RawSample | null; raws: Map<string, RawGuest>; nodeIds: number[] }
type Rule = (ctx: Ctx) => LintFinding[];

const q = (id: string): string => (/^[\w:.@/-]+$/.test(id) ? id : `'${id.replace(/'/g, `'\\''`)}'`);
const mib = (b: number): string => `${Math.round(b / MIB)} MiB`;
const running = (ctx: Ctx): GuestSnap[] => ctx.snap.guests.filter(isRunning);
const strictSubset = (a: readonly number[], all: readonly number[]): boolean => a.length > 0 && a.length < all.length && a.every((x) => all.includes(x));

/** Memory on nodes other than where the vCPUs may run. */
export const remoteMemory: Rule = (ctx) => {
  const out: LintFinding[] = [];
  if (ctx.nodeIds.length < 2) return out;
  for (const g of running(ctx)) {
    const per = g.memory.perNodeBytes;
    if (!per) continue;
    const vn = vcpuNodes(g, ctx.snap, ctx.raws.get(g.id));
    if (!strictSubset(vn, ctx.nodeIds)) continue;
    let total = 0;
    let remote = 0;
    for (const [k, v] of Object.entries(per)) { total += v; if (!vn.includes(Number(k))) remote += v; }
    if (total === 0 || remote < REMOTE_MIN_MIB * MIB || (100 * remote) / total <= REMOTE_PCT) continue;
    out.push({
      rule: 'numa-remote-memory', severity: 'warning', guest: g.id,
      message: `${mib(remote)} of ${mib(total)} (${Math.round((100 * remote) / total)}%) of ${g.id}'s memory is on nodes outside ${formatCpuList(vn)}, where its vCPUs may run`,
      suggestion: `virtune tune ${q(g.id)} --nodeset ${formatCpuList(vn)}`,
    });
  }
  return out;
};

/** More vCPUs than CPUs in the guest's cpuset. */
export const vcpusExceedCpuset: Rule = (ctx) => {
  const out: LintFinding[] = [];
  for (const g of running(ctx)) {
    const set = safeList(g.cpu.cpusetEffective) ?? safeList(g.cpu.cpuset);
    const n = Math.max(g.vcpus.length, ctx.raws.get(g.id)?.smp ?? 0);
    if (!set || set.length === 0 || n <= set.length) continue;
    const map = cpuNodeMap(ctx.snap);
    const nodes = [...new Set(set.map((c) => map.get(c)).filter((x): x is number => x !== undefined))];
    let wider = cpusOfNodes(ctx.snap, nodes);
    if (wider.length < n) wider = allCpus(ctx.snap);
    out.push({
      rule: 'vcpus-exceed-cpuset', severity: 'warning', guest: g.id,
      message: `${g.id} has ${n} vCPUs but its cpuset ${formatCpuList(set)} has only ${set.length} CPU(s): vCPUs queue behind each other`,
      suggestion: wider.length >= n ? `virtune tune ${q(g.id)} --cpuset ${formatCpuList(wider)}` : null,
    });
  }
  return out;
};

/**
 * Hugepage-backed guest whose pages sit on a node its vCPUs do not run on. The pages' nodes are the
 * backends' bindings; without them, the nodes holding a real part of the guest's memory (a tenth of
 * its hugetlb memory, at least REMOTE_MIN_MIB), not those with only QEMU's own few MiB. Hugepages do
 * not migrate, so the fix moves the vCPUs: a --cpuset of the CPUs of the pages' nodes (none when
 * those nodes have no CPUs).
 */
export const hugepagesRemote: Rule = (ctx) => {
  const out: LintFinding[] = [];
  if (ctx.nodeIds.length < 2) return out;
  for (const g of running(ctx)) {
    const rg = ctx.raws.get(g.id);
    const hugeBackends = (rg?.memory.backends ?? []).filter((b) => b.hugepages === true);
    if (hugeBackends.length === 0 && !((g.memory.hugetlbBytes ?? 0) > 0)) continue;
    const vn = vcpuNodes(g, ctx.snap, rg);
    const pageNodes = new Set<number>();
    for (const b of hugeBackends) for (const n of b.hostNodes ?? []) pageNodes.add(n);
    if (pageNodes.size === 0) {
      const per = Object.entries(g.memory.perNodeBytes ?? {});
      const huge = g.memory.hugetlbBytes ?? 0;
      const floor = Math.max(REMOTE_MIN_MIB * MIB, 0.1 * (huge > 0 ? huge : per.reduce((a, [, v]) => a + v, 0)));
      for (const [k, v] of per) if (v >= floor) pageNodes.add(Number(k));
    }
    const off = [...pageNodes].filter((n) => !vn.includes(n)).sort((a, b) => a - b);
    if (off.length === 0) continue;
    const pn = [...pageNodes].sort((a, b) => a - b);
    const cpus = cpusOfNodes(ctx.snap, pn);
    out.push({
      rule: 'hugepages-remote', severity: 'error', guest: g.id,
      message: `${g.id} is backed by hugepages on node(s) ${formatCpuList(pn)} but its vCPUs run on node(s) ${formatCpuList(vn)}: every access to node(s) ${formatCpuList(off)} is remote and hugepages do not migrate with the guest`,
      suggestion: cpus.length > 0 ? `virtune tune ${q(g.id)} --cpuset ${formatCpuList(cpus)}` : null,
    });
  }
  return out;
};

/** merge_across_nodes=1 while guests are NUMA-pinned: KSM merges their pages onto one node. */
export const ksmAcrossNodes: Rule = (ctx) => {
  const ksm = ctx.snap.host.ksm;
  if (!ksm || ksm.mergeAcrossNodes !== 1 || ksm.run !== 1 || ctx.nodeIds.length < 2) return [];
  const pinned = running(ctx).filter((g) => {
    const mems = safeList(g.memory.mems);
    return (mems !== null && strictSubset(mems, ctx.nodeIds)) || strictSubset(vcpuNodes(g, ctx.snap, ctx.raws.get(g.id)), ctx.nodeIds);
  });
  if (pinned.length === 0) return [];
  return [{
    rule: 'ksm-merge-across-nodes', severity: 'warning', guest: null,
    message: `KSM runs with merge_across_nodes=1 while ${pinned.length} guest(s) are NUMA-pinned (${pinned.map((g) => g.id).join(', ')}): merged pages land on one node and become remote for the others`,
    suggestion: 'virtune tune host --ksm merge_across_nodes=0',
  }];
};

/** KSM off while many guests have mergeable memory, or on with nothing to merge. */
export const ksmUsefulness: Rule = (ctx) => {
  const ksm = ctx.snap.host.ksm;
  if (!ksm || ksm.run === null) return [];
  const mergeable: string[] = [];
  let known = 0;
  for (const g of running(ctx)) {
    const bs = ctx.raws.get(g.id)?.memory.backends;
    const pages = g.memory.ksmMergingPages;
    if (bs && bs.some((b) => b.merge !== null)) {
      known++;
      if (bs.some((b) => b.merge === true)) mergeable.push(g.id);
    } else if (pages !== null && pages > 0) {
      known++;
      mergeable.push(g.id);
    }
  }
  if (ksm.run === 0 && mergeable.length >= KSM_MIN_MERGEABLE_GUESTS) {
    return [{
      rule: 'ksm-off', severity: 'info', guest: null,
      message: `KSM is off while ${mergeable.length} guests have mergeable memory (${mergeable.join(', ')})`,
      suggestion: 'virtune tune host --ksm run=1',
    }];
  }
  const scannedNothing = (ksm.fullScans ?? 0) >= 2 && ksm.pagesSharing === 0;
  if (ksm.run === 1 && ((known > 0 && mergeable.length === 0) || scannedNothing)) {
    return [{
      rule: 'ksm-idle', severity: 'info', guest: null,
      message: scannedNothing
        ? `KSM is on but shares no pages after ${ksm.fullScans} full scans: it costs CPU for nothing`
        : 'KSM is on but no running guest has mergeable memory: it costs CPU for nothing',
      suggestion: 'virtune tune host --ksm run=0',
    }];
  }
  return [];
};

/** A generic CPU model (-cpu qemu64 and friends) on a host that offers more. */
export const genericCpuModel: Rule = (ctx) => {
  const hostModel = ctx.snap.host.inventory?.cpuModel ?? null;
  if (hostModel === null || /QEMU Virtual CPU|Common KVM processor|Common 32-bit KVM/i.test(hostModel)) return [];
  const out: LintFinding[] = [];
  for (const g of running(ctx)) {
    const model = ctx.raws.get(g.id)?.cpuModel ?? null;
    if (model === null) continue;
    const base = (model.split(',')[0] ?? '').trim().toLowerCase();
    if (!GENERIC_CPU_MODELS.has(base)) continue;
    out.push({
      rule: 'cpu-model-generic', severity: 'warning', guest: g.id,
      message: `${g.id} runs with -cpu ${base} on a ${hostModel} host: the guest sees none of the host's newer instructions (restart it with -cpu host or a named model, e.g. libvirt host-model)`,
      suggestion: null,
    });
  }
  return out;
};

/** CPU quota below one CPU for a guest with several vCPUs. */
export const quotaBelowOne: Rule = (ctx) => {
  const out: LintFinding[] = [];
  for (const g of running(ctx)) {
    const { quotaUsec, periodUsec } = g.cpu;
    const n = Math.max(g.vcpus.length, ctx.raws.get(g.id)?.smp ?? 0);
    if (quotaUsec === null || periodUsec === null || periodUsec <= 0 || n < 2) continue;
    const cpus = quotaUsec / periodUsec;
    if (cpus >= 1) continue;
    out.push({
      rule: 'cpu-quota-below-one', severity: 'warning', guest: g.id,
      message: `${g.id} has ${n} vCPUs but a CPU quota of ${(cpus * 100).toFixed(0)}% of one CPU (${quotaUsec}/${periodUsec} µs): vCPUs are throttled mid-critical-section and stall each other`,
      suggestion: `virtune tune ${q(g.id)} --cpu-quota 100%`,
    });
  }
  return out;
};

/** Emulator threads sharing the cores the vCPUs are pinned to. */
export const emulatorOnVcpuCores: Rule = (ctx) => {
  const out: LintFinding[] = [];
  const all = allCpus(ctx.snap);
  for (const g of running(ctx)) {
    const rg = ctx.raws.get(g.id);
    const emu = safeList(rg?.emulatorCpus ?? null);
    if (!emu || emu.length === 0) continue;
    // only when the vCPUs are individually pinned (each to fewer than all CPUs)
    const perVcpu = g.vcpus.map((v) => safeList(v.cpusAllowed));
    if (perVcpu.length === 0 || perVcpu.some((a) => a === null || a.length === 0 || a.length >= all.length)) continue;
    const vcpuCpus = vcpuCpuUnion(g, ctx.snap, rg);
    const shared = emu.filter((c) => vcpuCpus.includes(c));
    if (shared.length === 0) continue;
    const set = safeList(g.cpu.cpusetEffective) ?? safeList(g.cpu.cpuset) ?? all;
    const spare = set.filter((c) => !vcpuCpus.includes(c));
    const map = cpuNodeMap(ctx.snap);
    const vn = new Set(vcpuCpus.map((c) => map.get(c)));
    const sameNodeSpare = all.filter((c) => !vcpuCpus.includes(c) && vn.has(map.get(c)));
    const target = spare.length > 0 ? spare : sameNodeSpare;
    out.push({
      rule: 'emulator-on-vcpu-cores', severity: 'warning', guest: g.id,
      message: `${g.id}'s emulator threads may run on CPU(s) ${formatCpuList(shared)}, where its vCPUs are pinned: I/O and timers preempt the vCPUs`,
      suggestion: target.length > 0 ? `virtune tune ${q(g.id)} --emulator-pin ${formatCpuList(target)}` : null,
    });
  }
  return out;
};

/** A per-node hugepage pool with pages but none free. */
export const hugepagePoolExhausted: Rule = (ctx) => {
  const out: LintFinding[] = [];
  for (const n of sortedNodes(ctx.snap)) {
    for (const [kb, pool] of Object.entries(n.hugepages)) {
      if (pool.total === null || pool.free === null || pool.total <= 0 || pool.free > 0) continue;
      const size = kb === '1048576' ? '1G' : kb === '2048' ? '2M' : `${kb}K`;
      const grow = pool.total + Math.max(1, Math.ceil(pool.total / 4));
      out.push({
        rule: 'hugepages-pool-exhausted', severity: 'warning', guest: null,
        message: `node ${n.node}: all ${pool.total} ${size} hugepages are in use; a guest that needs more on this node will fail to start or fall back to another node`,
        suggestion: `virtune tune host --hugepages ${size}@${n.node}=${grow}`,
      });
    }
  }
  return out;
};

export const RULES: Record<string, Rule> = {
  'numa-remote-memory': remoteMemory,
  'vcpus-exceed-cpuset': vcpusExceedCpuset,
  'hugepages-remote': hugepagesRemote,
  'ksm-merge-across-nodes': ksmAcrossNodes,
  'ksm-usefulness': ksmUsefulness,
  'cpu-model-generic': genericCpuModel,
  'cpu-quota-below-one': quotaBelowOne,
  'emulator-on-vcpu-cores': emulatorOnVcpuCores,
  'hugepages-pool-exhausted': hugepagePoolExhausted,
};

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function lintHost(snap: Snapshot, raw: RawSample | null): LintFinding[] {
  const ctx: Ctx = { snap, raw, raws: rawGuestMap(raw), nodeIds: sortedNodes(snap).map((n) => n.node) };
  const out: LintFinding[] = [];
  for (const rule of Object.values(RULES)) out.push(...rule(ctx));
  return out.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

