// Owns the static host-wide files of the demo, written once: mounts (pure cgroup v2 at
// /sys/fs/cgroup with non-empty controllers, hugetlbfs), hostname/kernel marked as demo, CPU and
// NUMA topology (2 nodes), KSM/hugepage/THP settings, the cgroup root and slices, a few host
// processes that are not guests, host NICs and the physical disk.

import { formatCpuList } from '../engine/model/cpulist.js';
import { formatMask } from './format.js';
import { HOSTNAME, KERNEL } from './spec.js';
import type { HostState } from './state.js';
import type { TreeWriter } from './writer.js';

const MOUNTINFO = [
  '22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw',
  '24 1 0:5 / /dev rw,nosuid,relatime shared:8 - devtmpfs udev rw,size=32826940k,nr_inodes=8206735,mode=755,inode64',
  '26 1 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=6571440k,mode=755,inode64',
  '27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro',
  '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
  '31 23 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:6 - pstore pstore rw',
  '40 24 0:35 / /dev/hugepages rw,nosuid,nodev,relatime shared:15 - hugetlbfs hugetlbfs rw,pagesize=2M',
  '41 24 0:20 / /dev/mqueue rw,nosuid,nodev,noexec,relatime shared:16 - mqueue mqueue rw',
].join('\n') + '\n';

function cgroupDir(w: TreeWriter, dir: string, type: string, procs: string): void {
  w.create(`${dir}/cgroup.type`, `${type}\n`);
  w.create(`${dir}/cgroup.controllers`, 'cpuset cpu io memory hugetlb pids\n');
  w.create(`${dir}/cgroup.subtree_control`, 'cpuset cpu io memory hugetlb pids\n');
  w.create(`${dir}/cgroup.procs`, procs);
  w.create(`${dir}/cgroup.events`, 'populated 1\nfrozen 0\n');
  w.create(`${dir}/cpu.weight`, '100\n');
  w.create(`${dir}/cpu.max`, 'max 100000\n');
  w.create(`${dir}/cpu.stat`, 'usage_usec 0\nuser_usec 0\nsystem_usec 0\nnice_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n');
  w.create(`${dir}/cpuset.cpus`, '\n');
  w.create(`${dir}/cpuset.mems`, '\n');
  w.create(`${dir}/memory.current`, '0\n');
  w.create(`${dir}/memory.max`, 'max\n');
  w.create(`${dir}/memory.high`, 'max\n');
  w.create(`${dir}/io.max`, '');
  w.create(`${dir}/io.stat`, '');
}

function proc(w: TreeWriter, pid: number, comm: string, argv: string[], cgroup: string): void {
  w.create(`/proc/${pid}/cmdline`, argv.join('\0') + '\0');
  w.create(`/proc/${pid}/comm`, `${comm}\n`);
  w.create(`/proc/${pid}/cgroup`, `0::${cgroup}\n`);
  w.create(`/proc/${pid}/stat`, `${pid} (${comm}) S 0 ${pid} ${pid} 0 -1 4194560 9000 0 30 0 120 80 0 0 20 0 1 0 10 20000000 3000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0\n`);
  w.create(`/proc/${pid}/status`, `Name:\t${comm}\nState:\tS (sleeping)\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t${pid === 1 ? 0 : 1}\nThreads:\t1\nVmRSS:\t   12000 kB\n`);
  w.create(`/proc/${pid}/task/${pid}/comm`, `${comm}\n`);
}

/** the pids of the host's own processes written by writeHostStatic */
export const HOST_PIDS: readonly number[] = [1, 950, 1200];

/**
 * /proc/sys/kernel/ns_last_pid as the kernel keeps it: the last pid or thread id handed out. The demo's
 * processes and threads are all made when the tree is laid out and none later (a paused guest keeps its
 * threads), so it is the highest id in the tree, written once after every process; a simulator that
 * made a process or thread later would write it again. What lets discovery's quiet gate work on the
 * demo through the same code as on a real host.
 */
export function writeLastPid(w: TreeWriter, ids: Iterable<number>): void {
  let last = 0;
  for (const id of ids) if (id > last) last = id;
  w.put('/proc/sys/kernel/ns_last_pid', `${last}\n`);
}

export function writeHostStatic(w: TreeWriter, host: HostState): void {
  const s = host.spec;
  w.create('/proc/self/mountinfo', MOUNTINFO);
  w.create('/proc/self/cgroup', '0::/user.slice/user-0.slice/session-1.scope\n');
  w.create('/proc/mounts', MOUNTINFO.split('\n').filter(Boolean).map((l) => {
    const [pre, post] = l.split(' - ');
    const a = (pre ?? '').split(' '); const b = (post ?? '').split(' ');
    return `${b[1]} ${a[4]} ${b[0]} ${b[2]} 0 0`;
  }).join('\n') + '\n');
  w.create('/proc/sys/kernel/hostname', `${HOSTNAME}\n`);
  w.create('/proc/sys/kernel/osrelease', `${KERNEL}\n`);
  w.create('/proc/sys/kernel/ostype', 'Linux\n');
  w.create('/proc/sys/kernel/pid_max', '4194304\n');
  w.create('/proc/version', `Linux version ${KERNEL} (virtune demo host, simulated) #1 SMP PREEMPT_DYNAMIC\n`);
  w.create('/etc/hostname', `${HOSTNAME}\n`);
  w.create('/proc/pressure/irq', 'full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
  let cpuinfo = '';
  for (let c = 0; c < s.cpus; c++) {
    const node = Math.floor(c / s.cpusPerNode);
    cpuinfo += `processor\t: ${c}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: Virtune Demo CPU @ 2.40GHz\n`
      + `physical id\t: ${node}\nsiblings\t: ${s.cpusPerNode}\ncore id\t\t: ${c % s.cpusPerNode}\ncpu cores\t: ${s.cpusPerNode}\n`
      + `cpu MHz\t\t: 2400.000\ncache size\t: 61440 KB\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov vmx\n\n`;
  }
  w.create('/proc/cpuinfo', cpuinfo);

  // CPU and NUMA topology
  const all = Array.from({ length: s.cpus }, (_, c) => c);
  const nodes = Array.from({ length: s.nodes }, (_, k) => k);
  for (const f of ['online', 'possible', 'present']) w.create(`/sys/devices/system/cpu/${f}`, `${s.onlineList}\n`);
  for (let c = 0; c < s.cpus; c++) {
    const t = `/sys/devices/system/cpu/cpu${c}/topology`;
    w.create(`${t}/core_id`, `${c % s.cpusPerNode}\n`);
    w.create(`${t}/physical_package_id`, `${Math.floor(c / s.cpusPerNode)}\n`);
    w.create(`${t}/thread_siblings_list`, `${c}\n`);
    w.create(`${t}/thread_siblings`, `${formatMask([c], s.cpus)}\n`);
    w.create(`/sys/devices/system/cpu/cpu${c}/online`, '1\n');
  }
  const nodeList = formatCpuList(nodes);
  for (const f of ['online', 'possible', 'has_memory', 'has_cpu', 'has_normal_memory']) w.create(`/sys/devices/system/node/${f}`, `${nodeList}\n`);
  for (const k of nodes) {
    const d = `/sys/devices/system/node/node${k}`;
    const cpus = s.nodeCpus[k] as number[];
    w.create(`${d}/cpulist`, `${formatCpuList(cpus)}\n`);
    w.create(`${d}/cpumap`, `${formatMask(cpus, s.cpus)}\n`);
    w.create(`${d}/distance`, nodes.map((j) => (j === k ? 10 : 21)).join(' ') + '\n');
    w.create(`${d}/numastat`, 'numa_hit 912349000\nnuma_miss 1200\nnuma_foreign 1200\ninterleave_hit 4100\nlocal_node 912000000\nother_node 349000\n');
    w.create(`${d}/hugepages/hugepages-2048kB/surplus_hugepages`, '0\n');
    for (const f of ['nr_hugepages', 'free_hugepages', 'surplus_hugepages']) w.create(`${d}/hugepages/hugepages-1048576kB/${f}`, '0\n');
  }

  // memory management
  const ksm: Record<string, string> = {
    run: `${host.ksm.run}\n`, pages_to_scan: `${host.ksm.pagesToScan}\n`, sleep_millisecs: `${host.ksm.sleepMs}\n`,
    merge_across_nodes: '1\n', use_zero_pages: '0\n', max_page_sharing: '256\n', stable_node_chains_prune_millisecs: '2000\n',
    smart_scan: '1\n', stable_node_chains: '0\n', stable_node_dups: '0\n', ksm_zero_pages: '0\n', pages_skipped: '0\n',
    advisor_mode: '[none] scan-time\n', advisor_max_cpu: '70\n', advisor_min_pages_to_scan: '500\n',
    advisor_max_pages_to_scan: '30000\n', advisor_target_scan_time: '200\n',
  };
  for (const [f, c] of Object.entries(ksm)) w.create(`/sys/kernel/mm/ksm/${f}`, c);
  for (const f of ['nr_overcommit_hugepages', 'resv_hugepages', 'surplus_hugepages']) w.create(`/sys/kernel/mm/hugepages/hugepages-2048kB/${f}`, '0\n');
  for (const f of ['nr_hugepages', 'nr_hugepages_mempolicy', 'nr_overcommit_hugepages', 'free_hugepages', 'resv_hugepages', 'surplus_hugepages']) {
    w.create(`/sys/kernel/mm/hugepages/hugepages-1048576kB/${f}`, '0\n');
  }
  const thp = '/sys/kernel/mm/transparent_hugepage';
  w.create(`${thp}/enabled`, 'always [madvise] never\n');
  w.create(`${thp}/defrag`, 'always defer defer+madvise [madvise] never\n');
  w.create(`${thp}/shmem_enabled`, 'always within_size advise [never] deny force\n');
  w.create(`${thp}/hpage_pmd_size`, '2097152\n');
  w.create(`${thp}/use_zero_page`, '1\n');
  for (const [f, v] of Object.entries({ pages_to_scan: 4096, scan_sleep_millisecs: 10000, alloc_sleep_millisecs: 60000, defrag: 1,
    max_ptes_none: 511, max_ptes_swap: 64, max_ptes_shared: 256, pages_collapsed: 5120, full_scans: 830 })) {
    w.create(`${thp}/khugepaged/${f}`, `${v}\n`);
  }

  // cgroup root and slices
  const cg = '/sys/fs/cgroup';
  w.create(`${cg}/cgroup.controllers`, 'cpuset cpu io memory hugetlb pids rdma misc\n');
  w.create(`${cg}/cgroup.subtree_control`, 'cpuset cpu io memory hugetlb pids\n');
  w.create(`${cg}/cgroup.procs`, '2\n');
  w.create(`${cg}/cgroup.stat`, `nr_descendants ${10 + s.guests * 7}\nnr_dying_descendants 0\n`);
  w.create(`${cg}/cpuset.cpus.effective`, `${formatCpuList(all)}\n`);
  w.create(`${cg}/cpuset.mems.effective`, `${nodeList}\n`);
  w.create(`${cg}/io.stat`, '259:0 rbytes=90243563520 wbytes=50398961664 rios=5813306 wios=3013201 dbytes=0 dios=0\n');
  for (const f of ['cpu', 'io', 'memory']) w.create(`${cg}/${f}.pressure`, 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
  cgroupDir(w, `${cg}/machine.slice`, 'domain', '');
  w.create(`${cg}/machine.slice/cpuset.cpus.effective`, `${formatCpuList(all)}\n`);
  w.create(`${cg}/machine.slice/cpuset.mems.effective`, `${nodeList}\n`);
  cgroupDir(w, `${cg}/system.slice`, 'domain', '');
  cgroupDir(w, `${cg}/system.slice/libvirtd.service`, 'domain', '950\n');
  cgroupDir(w, `${cg}/system.slice/ssh.service`, 'domain', '1200\n');
  cgroupDir(w, `${cg}/user.slice`, 'domain', '');
  cgroupDir(w, `${cg}/init.scope`, 'domain', '1\n');

  // host processes that are not guests (HOST_PIDS)
  proc(w, 1, 'systemd', ['/sbin/init', 'splash'], '/init.scope');
  proc(w, 950, 'libvirtd', ['/usr/sbin/libvirtd', '--timeout', '120'], '/system.slice/libvirtd.service');
  proc(w, 1200, 'sshd', ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], '/system.slice/ssh.service');

  // runtime dirs; /var/run is a symlink to /run as on every systemd host
  w.mkdir('/run/libvirt/qemu');
  w.symlink('/var/run', '../run');

  // host NICs and the physical disk
  const nic = (name: string, idx: number, mac: string): void => {
    const n = `/sys/class/net/${name}`;
    w.create(`${n}/address`, `${mac}\n`); w.create(`${n}/mtu`, '1500\n'); w.create(`${n}/operstate`, 'up\n');
    w.create(`${n}/ifindex`, `${idx}\n`); w.create(`${n}/type`, name === 'lo' ? '772\n' : '1\n');
    for (const f of ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_dropped', 'tx_dropped', 'rx_errors', 'tx_errors']) {
      w.create(`${n}/statistics/${f}`, `${f.endsWith('bytes') ? 9_000_000_000 : f.endsWith('packets') ? 7_000_000 : 0}\n`);
    }
  };
  nic('lo', 1, '00:00:00:00:00:00');
  nic('eno1', 2, '3c:ec:ef:10:20:30');
  nic('virbr0', 3, '52:54:00:aa:bb:cc');
  const nv = '/sys/devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1';
  w.create(`${nv}/uevent`, 'MAJOR=259\nMINOR=0\nDEVNAME=nvme0n1\nDEVTYPE=disk\nDISKSEQ=1\n');
  w.create(`${nv}/dev`, '259:0\n');
  w.create(`${nv}/size`, '7814037168\n');
  w.create(`${nv}/nvme0n1p2/uevent`, 'MAJOR=259\nMINOR=2\nDEVNAME=nvme0n1p2\nDEVTYPE=partition\nPARTN=2\n');
  w.symlink('/sys/dev/block/259:0', `../../devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1`);
  w.symlink('/sys/dev/block/259:2', `../../devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1/nvme0n1p2`);
  w.symlink('/sys/block/nvme0n1', '../devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1');
  w.create(`${nv}/nvme0n1p2/dev`, '259:2\n');
  w.create(`${nv}/nvme0n1p2/partition`, '2\n');
  w.symlink('/sys/class/block/nvme0n1', '../../devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1');
  w.symlink('/sys/class/block/nvme0n1p2', '../../devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1/nvme0n1p2');
}
