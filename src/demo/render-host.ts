// Owns the per-step host-wide files of the demo: /proc/stat (per CPU), /proc/meminfo, per-node
// meminfo and hugepage pools, KSM counters, host PSI, /proc/uptime and /proc/loadavg, and the
// aggregated machine.slice / root cgroup counters.

import { fl, meminfoLine, kB } from './format.js';
import { psiText } from './render-guest.js';
import { GiB, HUGE_2M, MiB, PAGE } from './spec.js';
import { TICK_FIELDS, type GuestState, type HostState } from './state.js';
import type { TreeWriter } from './writer.js';

const NODE_BASE = 1536 * MiB;    // kernel + host services per node
const NODE_CACHE = 3 * GiB;      // page cache per node (2/3 inactive)

export interface NodeMem { total: number; used: number; free: number; anon: number; file: number; hugeTotal: number; hugeFree: number }

export function nodeMemory(host: HostState, guests: GuestState[]): NodeMem[] {
  const s = host.spec;
  const out: NodeMem[] = [];
  for (let k = 0; k < s.nodes; k++) {
    let anon = 0; let file = 0;
    for (const g of guests) {
      const f = g.mem.nodeFrac[k] as number;
      anon += g.mem.anon * f; file += g.mem.file * f;
    }
    const hugeTotal = host.huge.total[k] as number;
    const used = NODE_BASE + anon + file + hugeTotal * HUGE_2M;
    const free = Math.max(64 * MiB, s.nodeMemBytes - used - NODE_CACHE);
    out.push({ total: s.nodeMemBytes, used: s.nodeMemBytes - free, free, anon, file: file + NODE_CACHE, hugeTotal, hugeFree: host.huge.free[k] as number });
  }
  return out;
}

function cpuLine(label: string, t: ArrayLike<number>, o: number): string {
  let s = label;
  for (let f = 0; f < TICK_FIELDS; f++) s += ' ' + fl(t[o + f] as number);
  return s + '\n';
}

/** `/proc/net/dev` as the kernel prints it: one line per tap, counters from the tap's point of view. */
function netDevText(guests: GuestState[]): string {
  let t = 'Inter-|   Receive                                                |  Transmit\n'
    + ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n'
    + '    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n';
  for (const g of guests) {
    const n = g.net; // tap rx = what the guest sent; tap tx = what the guest received
    t += `${g.spec.nic.ifname.padStart(6)}: ${fl(n.txBytes)} ${fl(n.txPkts)} 0 0 0 0 0 0 ${fl(n.rxBytes)} ${fl(n.rxPkts)} 0 ${fl(n.tapTxDropped)} 0 0 0 0\n`;
  }
  return t;
}

export function writeHostDynamic(w: TreeWriter, host: HostState, guests: GuestState[]): void {
  w.put('/proc/net/dev', netDevText(guests));
  const s = host.spec;
  const t = host.ticks;
  const sum = new Float64Array(TICK_FIELDS);
  for (let c = 0; c < s.cpus; c++) for (let f = 0; f < TICK_FIELDS; f++) sum[f] = (sum[f] as number) + (t[c * TICK_FIELDS + f] as number);
  let stat = cpuLine('cpu ', sum, 0);
  for (let c = 0; c < s.cpus; c++) stat += cpuLine(`cpu${c}`, t, c * TICK_FIELDS);
  let running = 1;
  for (const g of guests) running += Math.round(g.lastCpus);
  const btime = Math.floor(Date.now() / 1000 - s.uptimeSec - host.simSec);
  stat += `intr ${fl(host.intr)}\nctxt ${fl(host.ctxt)}\nbtime ${btime}\nprocesses ${host.processes}\n`
    + `procs_running ${running}\nprocs_blocked 0\nsoftirq ${fl(host.intr / 3)} 0 0 0 0 0 0 0 0 0 0\n`;
  w.put('/proc/stat', stat);
  const up = s.uptimeSec + host.simSec;
  w.put('/proc/uptime', `${up.toFixed(2)} ${((sum[3] as number) / 100).toFixed(2)}\n`);
  const load = running - 1;
  w.put('/proc/loadavg', `${load.toFixed(2)} ${load.toFixed(2)} ${load.toFixed(2)} ${running}/${900 + s.guests * 10} ${host.processes}\n`);

  // memory
  const nodes = nodeMemory(host, guests);
  let total = 0; let free = 0; let anon = 0; let file = 0; let hugeT = 0; let hugeF = 0;
  nodes.forEach((n, k) => {
    total += n.total; free += n.free; anon += n.anon; file += n.file; hugeT += n.hugeTotal; hugeF += n.hugeFree;
    const l = (key: string, v: number, unit = true): string => `Node ${k} ${meminfoLine(key, unit ? kB(v) : v, unit)}`;
    w.put(`/sys/devices/system/node/node${k}/meminfo`,
      l('MemTotal', n.total) + l('MemFree', n.free) + l('MemUsed', n.used) + l('SwapCached', 0)
      + l('Active', n.anon * 0.75 + n.file / 3) + l('Inactive', n.anon * 0.25 + (n.file * 2) / 3)
      + l('Active(anon)', n.anon * 0.75) + l('Inactive(anon)', n.anon * 0.25) + l('Active(file)', n.file / 3) + l('Inactive(file)', (n.file * 2) / 3)
      + l('Unevictable', 0) + l('Mlocked', 0) + l('Dirty', 4 * MiB) + l('Writeback', 0) + l('FilePages', n.file) + l('Mapped', 300 * MiB)
      + l('AnonPages', n.anon) + l('Shmem', 64 * MiB) + l('KernelStack', 24 * MiB) + l('PageTables', n.anon / 512) + l('SecPageTables', n.anon / 1024)
      + l('NFS_Unstable', 0) + l('Bounce', 0) + l('WritebackTmp', 0) + l('KReclaimable', 400 * MiB) + l('Slab', 700 * MiB)
      + l('SReclaimable', 400 * MiB) + l('SUnreclaim', 300 * MiB) + l('AnonHugePages', Math.floor((n.anon * 0.6) / HUGE_2M) * HUGE_2M)
      + l('ShmemHugePages', 0) + l('ShmemPmdMapped', 0) + l('FileHugePages', 0) + l('FilePmdMapped', 0)
      + l('HugePages_Total', n.hugeTotal, false) + l('HugePages_Free', n.hugeFree, false) + l('HugePages_Surp', 0, false));
    const hp = `/sys/devices/system/node/node${k}/hugepages/hugepages-2048kB`;
    w.put(`${hp}/nr_hugepages`, `${n.hugeTotal}\n`);
    w.put(`${hp}/free_hugepages`, `${n.hugeFree}\n`);
  });
  const avail = free + file * 0.6;
  const m = (key: string, v: number, unit = true): string => meminfoLine(key, unit ? kB(v) : v, unit);
  w.put('/proc/meminfo', m('MemTotal', total) + m('MemFree', free) + m('MemAvailable', avail) + m('Buffers', 200 * MiB)
    + m('Cached', file) + m('SwapCached', 0) + m('Active', anon * 0.75 + file / 3) + m('Inactive', anon * 0.25 + (file * 2) / 3)
    + m('Active(anon)', anon * 0.75) + m('Inactive(anon)', anon * 0.25) + m('Active(file)', file / 3) + m('Inactive(file)', (file * 2) / 3)
    + m('Unevictable', 0) + m('Mlocked', 0) + m('SwapTotal', 8 * GiB) + m('SwapFree', 8 * GiB) + m('Zswap', 0) + m('Zswapped', 0)
    + m('Dirty', 8 * MiB) + m('Writeback', 0) + m('AnonPages', anon) + m('Mapped', 600 * MiB) + m('Shmem', 128 * MiB)
    + m('KReclaimable', 800 * MiB) + m('Slab', 1400 * MiB) + m('SReclaimable', 800 * MiB) + m('SUnreclaim', 600 * MiB)
    + m('KernelStack', 48 * MiB) + m('PageTables', anon / 512) + m('SecPageTables', anon / 1024) + m('NFS_Unstable', 0) + m('Bounce', 0)
    + m('WritebackTmp', 0) + m('CommitLimit', total / 2 + 8 * GiB) + m('Committed_AS', anon * 1.3) + m('VmallocTotal', 34359738367 * 1024)
    + m('VmallocUsed', 300 * MiB) + m('VmallocChunk', 0) + m('Percpu', 80 * MiB) + m('HardwareCorrupted', 0)
    + m('AnonHugePages', Math.floor((anon * 0.6) / HUGE_2M) * HUGE_2M) + m('ShmemHugePages', 0) + m('ShmemPmdMapped', 0)
    + m('FileHugePages', 0) + m('FilePmdMapped', 0) + m('HugePages_Total', hugeT, false) + m('HugePages_Free', hugeF, false)
    + m('HugePages_Rsvd', 0, false) + m('HugePages_Surp', 0, false) + m('Hugepagesize', 2 * MiB) + m('Hugetlb', hugeT * HUGE_2M)
    + m('DirectMap4k', 512 * MiB) + m('DirectMap2M', 30 * GiB) + m('DirectMap1G', Math.max(0, total - 30 * GiB)));
  const hp = '/sys/kernel/mm/hugepages/hugepages-2048kB';
  w.put(`${hp}/nr_hugepages`, `${hugeT}\n`);
  w.put(`${hp}/nr_hugepages_mempolicy`, `${hugeT}\n`);
  w.put(`${hp}/free_hugepages`, `${hugeF}\n`);

  // KSM
  const k = host.ksm;
  let mergeable = 0;
  for (const g of guests) if (!g.spec.hugepages) mergeable += g.mem.anon / PAGE;
  const ksm = '/sys/kernel/mm/ksm';
  const unshared = fl(mergeable * 0.25); const volatile = fl(mergeable * 0.01);
  w.put(`${ksm}/pages_shared`, `${fl(k.shared)}\n`);
  w.put(`${ksm}/pages_sharing`, `${fl(k.sharing)}\n`);
  w.put(`${ksm}/pages_unshared`, `${unshared}\n`);
  w.put(`${ksm}/pages_volatile`, `${volatile}\n`);
  w.put(`${ksm}/pages_scanned`, `${fl(k.scanned)}\n`);
  w.put(`${ksm}/full_scans`, `${fl(k.fullScans)}\n`);
  w.put(`${ksm}/general_profit`, `${fl(k.sharing * PAGE - (k.sharing + k.shared + unshared + volatile) * 64)}\n`);

  // PSI
  w.put('/proc/pressure/cpu', psiText(host.psi.cpu));
  w.put('/proc/pressure/io', psiText(host.psi.io));
  w.put('/proc/pressure/memory', psiText(host.psi.mem));

  // aggregated cgroup counters
  let usage = 0; let user = 0; let sys = 0; let cur = 0;
  for (const g of guests) { usage += g.cpu.scope.usage; user += g.cpu.scope.user; sys += g.cpu.scope.system; cur += g.mem.anon + g.mem.file + g.mem.kernel; }
  w.put('/sys/fs/cgroup/machine.slice/cpu.stat', `usage_usec ${fl(usage)}\nuser_usec ${fl(user)}\nsystem_usec ${fl(sys)}\nnice_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n`);
  w.put('/sys/fs/cgroup/machine.slice/memory.current', `${fl(cur / PAGE) * PAGE}\n`);
  const all = (sum[0] as number) + (sum[2] as number);
  w.put('/sys/fs/cgroup/cpu.stat', `usage_usec ${fl(all * 1e4)}\nuser_usec ${fl((sum[0] as number) * 1e4)}\nsystem_usec ${fl((sum[2] as number) * 1e4)}\nnice_usec 0\n`);
}
