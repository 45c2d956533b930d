// Owns the per-step files of one demo guest: cgroup counters at every level (scope, libvirt/,
// vcpuN/, emulator/), effective cpusets, memory and NUMA statistics, io.stat, PSI, the QEMU
// process and thread files in /proc, and the tap's statistics (tap tx = guest rx).

import { fl, kB } from './format.js';
import { threadsOf, type GuestPaths } from './paths.js';
import { CLK_TCK, HUGE_2M, MiB, PAGE } from './spec.js';
import type { CpuCounters, GuestState, HostState, Psi } from './state.js';
import type { TreeWriter } from './writer.js';

export function cpuStatText(k: CpuCounters): string {
  return `usage_usec ${fl(k.usage)}\nuser_usec ${fl(k.user)}\nsystem_usec ${fl(k.system)}\nnice_usec 0\n`
    + `nr_periods ${fl(k.periods)}\nnr_throttled ${fl(k.throttled)}\nthrottled_usec ${fl(k.throttledUsec)}\n`
    + 'nr_bursts 0\nburst_usec 0\n';
}

export function psiText(p: Psi, withFull = true): string {
  const f = (x: number): string => x.toFixed(2);
  const some = `some avg10=${f(p.s10)} avg60=${f(p.s60)} avg300=${f(p.s300)} total=${fl(p.some)}\n`;
  return withFull ? some + `full avg10=${f(p.f10)} avg60=${f(p.f60)} avg300=${f(p.f300)} total=${fl(p.full)}\n` : some;
}

function ioStatText(g: GuestState): string {
  let s = '';
  g.disks.forEach((d, i) => {
    if (d.rdOps + d.wrOps + d.discOps < 1) return; // a device appears once it has seen I/O
    s += `${g.spec.disks[i]!.majMin} rbytes=${fl(d.rdBytes)} wbytes=${fl(d.wrBytes)} rios=${fl(d.rdOps)} wios=${fl(d.wrOps)} dbytes=${fl(d.discBytes)} dios=${fl(d.discOps)}\n`;
  });
  return s;
}

const pg = (b: number): number => Math.floor(b / PAGE) * PAGE;

function memStatText(g: GuestState): string {
  const m = g.mem;
  const anon = pg(m.anon); const file = pg(m.file);
  const thp = Math.floor((anon * 0.7) / HUGE_2M) * HUGE_2M;
  const pagetables = pg(g.spec.ramBytes / 512);
  return `anon ${anon}\nfile ${file}\nkernel ${pg(m.kernel)}\nkernel_stack ${16384 * 10}\npagetables ${pagetables}\n`
    + `sec_pagetables ${pg(g.spec.ramBytes / 1024)}\npercpu 8640\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\n`
    + `file_mapped ${pg(file * 0.4)}\nfile_dirty ${pg(file * 0.01)}\nfile_writeback 0\nswapcached 0\n`
    + `anon_thp ${thp}\nfile_thp 0\nshmem_thp 0\ninactive_anon ${pg(anon * 0.25)}\nactive_anon ${anon - pg(anon * 0.25)}\n`
    + `inactive_file ${pg(file * 0.6)}\nactive_file ${file - pg(file * 0.6)}\nunevictable 0\n`
    + `slab_reclaimable ${pg(m.kernel * 0.2)}\nslab_unreclaimable ${pg(m.kernel * 0.1)}\nslab ${pg(m.kernel * 0.3)}\n`
    + `workingset_refault_anon 0\nworkingset_refault_file ${fl(m.pgmajfault)}\nworkingset_activate_anon 0\nworkingset_activate_file 0\n`
    + `workingset_restore_anon 0\nworkingset_restore_file 0\nworkingset_nodereclaim 0\npgscan ${fl(m.events.max * 512)}\npgsteal ${fl(m.events.max * 480)}\n`
    + `pgfault ${fl(m.pgfault)}\npgmajfault ${fl(m.pgmajfault)}\npgrefill 0\npgactivate 0\npgdeactivate 0\npglazyfree 0\npglazyfreed 0\n`
    + `thp_fault_alloc ${fl(thp / HUGE_2M)}\nthp_collapse_alloc 0\nnuma_pages_migrated ${fl(m.migrated)}\nnuma_pte_updates 0\nnuma_hint_faults 0\n`;
}

function perNode(total: number, frac: number[], unit: number): number[] {
  const out: number[] = [];
  let acc = 0;
  frac.forEach((f, k) => {
    const v = k === frac.length - 1 ? Math.max(0, Math.floor(total / unit) * unit - acc) : Math.floor((total * f) / unit) * unit;
    out.push(v); acc += v;
  });
  return out;
}

function numaStatText(g: GuestState): string {
  const fr = g.mem.nodeFrac;
  const line = (key: string, bytes: number): string => `${key} ${perNode(bytes, fr, PAGE).map((v, k) => `N${k}=${v}`).join(' ')}\n`;
  const anon = pg(g.mem.anon); const file = pg(g.mem.file);
  return line('anon', anon) + line('file', file) + line('kernel_stack', 16384 * 10) + line('pagetables', pg(g.spec.ramBytes / 512))
    + line('sec_pagetables', pg(g.spec.ramBytes / 1024)) + line('shmem', 0) + line('file_mapped', pg(file * 0.4))
    + line('file_dirty', pg(file * 0.01)) + line('file_writeback', 0) + line('swapcached', 0)
    + line('anon_thp', Math.floor((anon * 0.7) / HUGE_2M) * HUGE_2M) + line('file_thp', 0) + line('shmem_thp', 0)
    + line('inactive_anon', pg(anon * 0.25)) + line('active_anon', anon - pg(anon * 0.25))
    + line('inactive_file', pg(file * 0.6)) + line('active_file', file - pg(file * 0.6)) + line('unevictable', 0)
    + line('slab_reclaimable', pg(g.mem.kernel * 0.2)) + line('slab_unreclaimable', pg(g.mem.kernel * 0.1));
}

function statLine(pid: number, comm: string, o: { state: string; minflt: number; majflt: number; utime: number; stime: number;
  threads: number; start: number; vsize: number; rss: number; cpu: number; guest: number; blkio: number }): string {
  return `${pid} (${comm}) ${o.state} 1 ${pid} ${pid} 0 -1 4194624 ${fl(o.minflt)} 0 ${fl(o.majflt)} 0 ${fl(o.utime)} ${fl(o.stime)} 0 0 20 0 `
    + `${o.threads} 0 ${o.start} ${fl(o.vsize)} ${fl(o.rss)} 18446744073709551615 1 1 0 0 0 0 0 4096 17670 0 0 0 17 ${o.cpu} 0 0 ${fl(o.blkio)} `
    + `${fl(o.guest)} 0 0 0 0 0 0 0 0 0\n`;
}

function numaMapsText(g: GuestState): string {
  const fr = g.mem.nodeFrac;
  const toks = (pages: number): string => perNode(pages, fr, 1).map((v, k) => (v > 0 ? ` N${k}=${v}` : '')).join('');
  const heap = fl(140 * MiB / PAGE);
  let ram: string;
  if (g.spec.hugepages) {
    const huge = g.hugeNodePages.map((v, k) => (v > 0 ? ` N${k}=${v}` : '')).join('');
    const pages = g.spec.ramBytes / HUGE_2M;
    ram = `7f3a40000000 default file=/dev/hugepages/libvirt/qemu/${g.spec.domId}-${g.spec.name}/qemu_back_mem.pc.ram.Xa8dK2 huge dirty=${pages}${huge} kernelpagesize_kB=2048\n`;
  } else {
    const pages = fl(Math.max(0, g.mem.anon - 140 * MiB) / PAGE);
    ram = `7f3a40000000 default anon=${pages} dirty=${pages} active=0${toks(pages)} kernelpagesize_kB=4\n`;
  }
  return `55d0c0a00000 default file=/usr/bin/qemu-system-x86_64 mapped=3012 mapmax=${2}${toks(3012)} kernelpagesize_kB=4\n`
    + `55d0c2e00000 default heap anon=${heap} dirty=${heap}${toks(heap)} kernelpagesize_kB=4\n`
    + ram
    + `7f3b80000000 default file=/usr/lib/x86_64-linux-gnu/libc.so.6 mapped=160 mapmax=40${toks(160)} kernelpagesize_kB=4\n`
    + `7ffd4a1c0000 default stack anon=34 dirty=34${toks(34)} kernelpagesize_kB=4\n`;
}

function statusText(g: GuestState, tid: number, name: string, cpus: string, cpuMask: string, threads: number, main: boolean): string {
  const m = g.mem;
  const rssAnon = kB(m.anon); const rssFile = kB(24 * MiB); const huge = g.spec.hugepages ? kB(g.spec.ramBytes) : 0;
  const vsz = kB(g.spec.ramBytes + 1400 * MiB);
  const vol = main ? fl(g.vcpuSlices.reduce((a, b) => a + b, 0) / 1000) * 100 : 4242;
  return `Name:\t${name}\nUmask:\t0077\nState:\tS (sleeping)\nTgid:\t${g.spec.pid}\nNgid:\t0\nPid:\t${tid}\nPPid:\t1\nTracerPid:\t0\n`
    + 'Uid:\t64055\t64055\t64055\t64055\nGid:\t994\t994\t994\t994\nFDSize:\t128\nGroups:\t994\nNStgid:\t' + tid + '\nNSpid:\t' + tid + '\n'
    + `VmPeak:\t${String(vsz + 2048).padStart(8)} kB\nVmSize:\t${String(vsz).padStart(8)} kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n`
    + `VmHWM:\t${String(kB(m.peak)).padStart(8)} kB\nVmRSS:\t${String(rssAnon + rssFile).padStart(8)} kB\n`
    + `RssAnon:\t${String(rssAnon).padStart(8)} kB\nRssFile:\t${String(rssFile).padStart(8)} kB\nRssShmem:\t       0 kB\n`
    + `VmData:\t${String(kB(g.spec.ramBytes + 300 * MiB)).padStart(8)} kB\nVmStk:\t     136 kB\nVmExe:\t    7680 kB\nVmLib:\t   40960 kB\n`
    + `VmPTE:\t${String(kB(g.spec.ramBytes / 512)).padStart(8)} kB\nVmSwap:\t       0 kB\nHugetlbPages:\t${String(huge).padStart(8)} kB\n`
    + `CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t${threads}\nSigQ:\t0/255000\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n`
    + 'SigBlk:\t0000000010002240\nSigIgn:\t0000000000001000\nSigCgt:\t0000000100004a03\n'
    + 'CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n'
    + 'NoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\nSpeculation_Store_Bypass:\tthread vulnerable\n'
    + `Cpus_allowed:\t${cpuMask}\nCpus_allowed_list:\t${cpus}\n`
    + `Mems_allowed:\t${g.effText.memsMask}\nMems_allowed_list:\t${g.effText.mems}\n`
    + `voluntary_ctxt_switches:\t${vol}\nnonvoluntary_ctxt_switches:\t${fl(vol / 20)}\n`;
}

export function writeGuestDynamic(w: TreeWriter, g: GuestState, p: GuestPaths, host: HostState): void {
  const s = g.spec;
  const hs = host.spec;
  // cgroup levels
  const scopeStat = cpuStatText(g.cpu.scope);
  w.put(`${p.scope}/cpu.stat`, scopeStat);
  w.put(`${p.libvirt}/cpu.stat`, cpuStatText(g.cpu.libvirt));
  g.cpu.vcpu.forEach((k, i) => w.put(`${p.vcpu[i]}/cpu.stat`, cpuStatText(k)));
  w.put(`${p.emulator}/cpu.stat`, cpuStatText(g.cpu.emulator));
  const cur = String(fl(pg(g.mem.anon) + pg(g.mem.file) + pg(g.mem.kernel))) + '\n';
  const io = ioStatText(g);
  const numa = numaStatText(g);
  const mstat = memStatText(g);
  const cpuP = psiText(g.psi.cpu); const ioP = psiText(g.psi.io); const memP = psiText(g.psi.mem);
  const events = `low 0\nhigh ${g.mem.events.high}\nmax ${g.mem.events.max}\noom ${g.mem.events.oom}\noom_kill 0\noom_group_kill 0\n`;
  const hugeBytes = s.hugepages ? s.ramBytes : 0;
  const hugeNuma = `total=${hugeBytes} ${g.hugeNodePages.map((v, k) => `N${k}=${v * HUGE_2M}`).join(' ')}\n`;
  // the scope carries every counter; the nested libvirt/ group (same processes) the main ones
  w.put(`${p.scope}/memory.current`, cur);
  w.put(`${p.scope}/memory.peak`, `${fl(pg(g.mem.peak))}\n`);
  w.put(`${p.scope}/memory.stat`, mstat);
  w.put(`${p.scope}/memory.numa_stat`, numa);
  w.put(`${p.scope}/memory.events`, events);
  w.put(`${p.scope}/io.stat`, io);
  w.put(`${p.scope}/cpu.pressure`, cpuP);
  w.put(`${p.scope}/io.pressure`, ioP);
  w.put(`${p.scope}/memory.pressure`, memP);
  w.put(`${p.scope}/hugetlb.2MB.current`, `${hugeBytes}\n`);
  w.put(`${p.scope}/hugetlb.2MB.numa_stat`, hugeNuma);
  w.put(`${p.libvirt}/memory.current`, cur);
  w.put(`${p.libvirt}/io.stat`, io);
  w.put(`${p.libvirt}/cpu.pressure`, cpuP);
  // effective cpusets (change only when tuning changed something)
  const et = g.effText;
  w.put(`${p.scope}/cpuset.cpus.effective`, et.scope + '\n');
  w.put(`${p.libvirt}/cpuset.cpus.effective`, et.libvirt + '\n');
  et.vcpu.forEach((c, i) => w.put(`${p.vcpu[i]}/cpuset.cpus.effective`, c + '\n'));
  w.put(`${p.emulator}/cpuset.cpus.effective`, et.emu + '\n');
  const mems = et.mems + '\n';
  for (const dir of [p.scope, p.libvirt, ...p.vcpu, p.emulator]) w.put(`${dir}/cpuset.mems.effective`, mems);

  // process and threads
  const threads = threadsOf(s, p);
  const start = fl((hs.uptimeSec - s.ageSec) * CLK_TCK);
  const vsize = s.ramBytes + 1400 * MiB;
  const rss = (g.mem.anon + 24 * MiB) / PAGE;
  let utot = 0; let stot = 0; let gtot = 0;
  let runAll = 0; let waitAll = 0; let slAll = 0;
  const blkio = (g.disks.reduce((a, d) => a + d.rdNs, 0) / 1e9) * CLK_TCK * 0.05;
  for (const th of threads) {
    let run = 0; let wait = 0; let slices = 0; let guest = 0; let userShare = 0.35; let cpu = g.eff.emuCpus[0] ?? 0;
    let cpus = et.emu; let mask = et.emuMask;
    if (th.kind === 'vcpu') {
      run = g.vcpuRunNs[th.vcpu] as number; wait = g.vcpuWaitNs[th.vcpu] as number; slices = g.vcpuSlices[th.vcpu] as number;
      guest = run * 0.85; userShare = 0.9; cpu = g.vcpuLastCpu[th.vcpu] as number; cpus = et.vcpu[th.vcpu] as string; mask = et.vcpuMask[th.vcpu] as string;
    } else if (th.kind === 'main') { run = g.emuRunNs; wait = run * 0.01; slices = run / 5e5; }
    else { run = g.vhostRunNs; wait = run * 0.02; slices = run / 2e5; userShare = 0.05; }
    const ticks = (run / 1e9) * CLK_TCK;
    const ut = ticks * userShare; const st = ticks - ut;
    utot += fl(ut); stot += fl(st); gtot += fl((guest / 1e9) * CLK_TCK);
    runAll += run; waitAll += wait; slAll += slices;
    const tdir = `${p.proc}/task/${th.tid}`;
    w.put(`${tdir}/schedstat`, `${fl(run)} ${fl(wait)} ${fl(slices)}\n`);
    w.put(`${tdir}/stat`, statLine(th.tid, th.comm, { state: th.kind === 'vcpu' && run > 0 && g.running ? 'R' : 'S', minflt: 0, majflt: 0,
      utime: ut, stime: st, threads: threads.length, start, vsize, rss, cpu, guest: (guest / 1e9) * CLK_TCK, blkio: th.kind === 'main' ? blkio : 0 }));
    w.put(`${tdir}/status`, statusText(g, th.tid, th.comm, cpus, mask, threads.length, th.kind === 'main'));
  }
  w.put(`${p.proc}/stat`, statLine(s.pid, 'qemu-system-x86', { state: 'S', minflt: g.mem.pgfault, majflt: g.mem.pgmajfault, utime: utot,
    stime: stot, threads: threads.length, start, vsize, rss, cpu: g.eff.emuCpus[0] ?? 0, guest: gtot, blkio }));
  w.put(`${p.proc}/schedstat`, `${fl(runAll)} ${fl(waitAll)} ${fl(slAll)}\n`);
  w.put(`${p.proc}/status`, statusText(g, s.pid, 'qemu-system-x86', et.emu, et.emuMask, threads.length, true));
  w.put(`${p.proc}/numa_maps`, numaMapsText(g));
  // statm: size resident shared text lib data dt, in pages
  const vszPages = fl((g.spec.ramBytes + 1400 * MiB) / PAGE);
  w.put(`${p.proc}/statm`, `${vszPages} ${fl((g.mem.anon + 24 * MiB) / PAGE)} ${fl((24 * MiB) / PAGE)} 1920 0 ${fl((g.spec.ramBytes + 300 * MiB) / PAGE)} 0\n`);
  const merging = fl(g.ksmPages);
  const rmap = s.hugepages ? 0 : fl(Math.max(0, g.mem.anon - 140 * MiB) / PAGE * 0.6);
  w.put(`${p.proc}/ksm_merging_pages`, `${merging}\n`);
  w.put(`${p.proc}/ksm_stat`, `ksm_rmap_items ${rmap}\nksm_zero_pages 0\nksm_merging_pages ${merging}\nksm_process_profit ${merging * PAGE - rmap * 64}\nksm_merge_any: no\nksm_mergeable: ${s.hugepages ? 'no' : 'yes'}\n`);
  const rssKb = kB(g.mem.anon + 24 * MiB);
  w.put(`${p.proc}/smaps_rollup`, `55d0c0a00000-7ffd4a1e1000 ---p 00000000 00:00 0                          [rollup]\n`
    + `Rss:            ${String(rssKb).padStart(8)} kB\nPss:            ${String(rssKb - 12000).padStart(8)} kB\n`
    + `Anonymous:      ${String(kB(g.mem.anon)).padStart(8)} kB\nKSM:            ${String(kB(merging * PAGE)).padStart(8)} kB\n`
    + `AnonHugePages:  ${String(kB(Math.floor((g.mem.anon * 0.7) / HUGE_2M) * HUGE_2M)).padStart(8)} kB\n`
    + `ShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\n`
    + `Shared_Hugetlb: ${String(0).padStart(8)} kB\nPrivate_Hugetlb:${String(s.hugepages ? kB(s.ramBytes) : 0).padStart(8)} kB\n`
    + 'Swap:                  0 kB\nSwapPss:               0 kB\nLocked:                0 kB\n');

  // tap: the host end of the guest NIC — counters inverted
  const n = g.net;
  const st = `${p.net}/statistics`;
  w.put(`${st}/rx_bytes`, `${fl(n.txBytes)}\n`);
  w.put(`${st}/rx_packets`, `${fl(n.txPkts)}\n`);
  w.put(`${st}/tx_bytes`, `${fl(n.rxBytes)}\n`);
  w.put(`${st}/tx_packets`, `${fl(n.rxPkts)}\n`);
  w.put(`${st}/tx_dropped`, `${fl(n.tapTxDropped)}\n`);
}
