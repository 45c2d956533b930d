// Owns reading the host: static facts at discovery cadence (hostname, kernel, NUMA nodes with cpulist,
// distances and memory presence, hugepage sizes) and per-tick counters (/proc/stat per CPU, meminfo,
// node meminfo, hugepage pools global and per node for every size, KSM counters, host PSI, /proc/uptime).
// Settings (hugepage pool sizes, THP modes, KSM's knobs) are read on settings ticks and carried in
// between: they change only when someone tunes (a tuning forces a settings tick).

import type { RawHost, RawHugepagePool, RawKsm, RawNumaNode } from '../engine/model/sample.js';
import { parseCpuList } from '../engine/model/cpulist.js';
import { readPsiTotals } from './cgroup/read.js';
import type { ReadCtx } from './read-ctx.js';
import { readMeminfo, readProcStat, readUptimeMs } from './procfs/read.js';
import { parseHugepagesDirName, parseNodeDirName } from './sysfs/parse.js';
import { readCounter, readList, readNodeDistance, readNodeMeminfo, readSettingCounter, readThp } from './sysfs/read.js';

export const PAGE_SIZE = 4096;
export const CLK_TCK = 100;

export interface HostStatic {
  hostname: string | null;
  kernel: string | null;
  onlineCpus: string | null;
  nodes: Array<{ node: number; cpus: string; distances: number[] | null; hasMemory: boolean | null; hugeSizesKb: number[] }>;
  hugeSizesKb: number[];
}

const NODE_DIR = '/sys/devices/system/node';
const HUGE_DIR = '/sys/kernel/mm/hugepages';

function hugeSizes(ctx: ReadCtx, dir: string): number[] {
  return (ctx.list(dir, 'sysfs') ?? []).map(parseHugepagesDirName).filter((x): x is number => x !== null).sort((a, b) => a - b);
}

function firstLine(ctx: ReadCtx, paths: string[]): string | null {
  for (const p of paths) {
    const t = ctx.text(p, 'proc', false);
    if (t !== null && t.trim() !== '') return t.trim().split('\n')[0] as string;
  }
  return null;
}

export function readHostStatic(ctx: ReadCtx): HostStatic {
  const hasMemText = readList(ctx, `${NODE_DIR}/has_memory`);
  let hasMem: Set<number> | null = null;
  try { hasMem = hasMemText === null ? null : new Set(parseCpuList(hasMemText)); } catch { hasMem = null; }
  const nodes: HostStatic['nodes'] = [];
  for (const e of ctx.list(NODE_DIR, 'sysfs') ?? []) {
    const node = parseNodeDirName(e);
    if (node === null) continue;
    nodes.push({
      node,
      cpus: readList(ctx, `${NODE_DIR}/${e}/cpulist`) ?? '',
      distances: readNodeDistance(ctx, node),
      hasMemory: hasMem ? hasMem.has(node) : null,
      hugeSizesKb: hugeSizes(ctx, `${NODE_DIR}/${e}/hugepages`),
    });
  }
  nodes.sort((a, b) => a.node - b.node);
  return {
    hostname: firstLine(ctx, ['/proc/sys/kernel/hostname', '/etc/hostname']),
    kernel: firstLine(ctx, ['/proc/sys/kernel/osrelease']),
    onlineCpus: readList(ctx, '/sys/devices/system/cpu/online'),
    nodes,
    hugeSizesKb: hugeSizes(ctx, HUGE_DIR),
  };
}

function readKsm(ctx: ReadCtx): RawKsm | null {
  const k = (f: string): number | null => readCounter(ctx, `/sys/kernel/mm/ksm/${f}`);
  const knob = (f: string): number | null => readSettingCounter(ctx, `/sys/kernel/mm/ksm/${f}`);
  const run = knob('run');
  if (run === null && !ctx.fs.exists('/sys/kernel/mm/ksm')) return null;
  return {
    run, pagesToScan: knob('pages_to_scan'), sleepMillisecs: knob('sleep_millisecs'),
    pagesShared: k('pages_shared'), pagesSharing: k('pages_sharing'), pagesUnshared: k('pages_unshared'),
    pagesVolatile: k('pages_volatile'), fullScans: k('full_scans'), mergeAcrossNodes: knob('merge_across_nodes'),
    zeroPages: k('ksm_zero_pages'), pageSizeBytes: PAGE_SIZE,
  };
}

export function readHost(ctx: ReadCtx, st: HostStatic, cgroupVersion: 1 | 2 | null): RawHost {
  const stat = readProcStat(ctx);
  const mem = readMeminfo(ctx);
  const perCpuCount = stat ? Object.keys(stat.perCpu).length : 0;
  let cpuCount: number | null = perCpuCount > 0 ? perCpuCount : null;
  if (cpuCount === null && st.onlineCpus) { try { cpuCount = parseCpuList(st.onlineCpus).length; } catch { /* keep null */ } }

  const numaNodes: RawNumaNode[] = st.nodes.map((n) => {
    const mi = readNodeMeminfo(ctx, n.node);
    const hugepages: RawNumaNode['hugepages'] = {};
    for (const kb of n.hugeSizesKb) {
      const base = `${NODE_DIR}/node${n.node}/hugepages/hugepages-${kb}kB`;
      hugepages[String(kb)] = { total: readSettingCounter(ctx, `${base}/nr_hugepages`), free: readCounter(ctx, `${base}/free_hugepages`) };
    }
    return {
      node: n.node, cpus: n.cpus,
      memTotalBytes: mi?.get('MemTotal') ?? null, memFreeBytes: mi?.get('MemFree') ?? null,
      inactiveFileBytes: mi?.get('Inactive(file)') ?? null,
      hugepages, distances: n.distances, hasMemory: n.hasMemory,
    };
  });

  const hugepages: Record<string, RawHugepagePool> = {};
  for (const kb of st.hugeSizesKb) {
    const base = `${HUGE_DIR}/hugepages-${kb}kB`;
    hugepages[String(kb)] = {
      total: readSettingCounter(ctx, `${base}/nr_hugepages`), free: readCounter(ctx, `${base}/free_hugepages`),
      reserved: readCounter(ctx, `${base}/resv_hugepages`), surplus: readCounter(ctx, `${base}/surplus_hugepages`),
    };
  }
  const thpEnabled = readThp(ctx, 'enabled');
  const thpDefrag = readThp(ctx, 'defrag');

  return {
    hostname: st.hostname, kernel: st.kernel, cgroupVersion, cpuCount, onlineCpus: st.onlineCpus,
    uptimeMs: readUptimeMs(ctx),
    clkTck: CLK_TCK, pageSizeBytes: PAGE_SIZE,
    cpuTotal: stat?.total ?? null, cpuPerCpu: stat ? stat.perCpu : null,
    memTotalBytes: mem?.get('MemTotal') ?? null, memAvailableBytes: mem?.get('MemAvailable') ?? null,
    numaNodes, hugepages,
    thp: thpEnabled === null && thpDefrag === null ? null : { enabled: thpEnabled, defrag: thpDefrag },
    ksm: readKsm(ctx),
    psi: readPsiTotals(ctx, '/proc/pressure', { cpu: 'cpu', io: 'io', mem: 'memory' }),
    inventory: null,
  };
}
