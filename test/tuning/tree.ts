// Owns small host trees for tuning unit tests, written into the test's temp dir: cgroup v2 and v1
// guest groups with their control files, block devices under /sys/class/block and /sys/dev/block,
// NUMA and KSM/hugepage sysfs files. Used where the real thing cannot run here (cgroup v2 controllers)
// or for input validation that must change nothing.

import { mkdirSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import type { Lab } from '../helpers/lab.js';

export interface Tree { root: string; fs: NodeHostFs; read(p: string): string; write(p: string, v: string): void }

export function makeTree(lab: Lab, files: Record<string, string>, links: Record<string, string> = {}): Tree {
  const root = lab.tmpdir('tune-tree');
  const write = (p: string, v: string): void => {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), v);
  };
  for (const [p, v] of Object.entries(files)) {
    if (p.endsWith('/')) mkdirSync(path.join(root, p), { recursive: true }); else write(p, v);
  }
  for (const [p, target] of Object.entries(links)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    symlinkSync(target, path.join(root, p));
  }
  const fs = new NodeHostFs(root);
  lab.defer(() => fs.close());
  return { root, fs, read: (p) => readFileSync(path.join(root, p), 'utf8'), write };
}

export const V2_SCOPE = '/machine.slice/web01.scope';

/** /proc/self/mountinfo of the fixture hosts: tuning finds the cgroup mounts the way the collector does */
const V2_MOUNTINFO = '24 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n';
const V1_MOUNTINFO = ['cpu', 'cpuacct', 'cpuset', 'blkio', 'memory'].map((c, i) =>
  `${32 + i} 31 0:${29 + i} / /sys/fs/cgroup/${c} rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,${c}`).join('\n') +
  '\n41 31 0:38 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n';

/** A pure cgroup v2 host with one guest scope (pid 4242), block devices vda (+vda1) and 8:16 sdb. */
export function v2Host(lab: Lab, extra: Record<string, string> = {}): Tree {
  const g = `/sys/fs/cgroup${V2_SCOPE}`;
  return makeTree(lab, {
    '/proc/self/mountinfo': V2_MOUNTINFO,
    '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids\n',
    '/sys/fs/cgroup/cgroup.subtree_control': 'cpuset cpu io memory pids\n',
    [`${g}/cpu.max`]: 'max 100000\n',
    [`${g}/cpu.weight`]: '100\n',
    [`${g}/cpuset.cpus`]: '\n',
    [`${g}/cpuset.mems`]: '\n',
    [`${g}/io.max`]: '',
    [`${g}/memory.max`]: 'max\n',
    [`${g}/memory.current`]: '1073741824\n',
    [`${g}/cgroup.procs`]: '4242\n',
    '/proc/4242/cgroup': `0::${V2_SCOPE}\n`,
    '/proc/4242/task/4242/stat': '',
    '/proc/4242/task/4250/stat': '',
    '/proc/4242/task/4251/stat': '',
    '/proc/4242/task/4260/stat': '',
    '/proc/4250/status': 'Name:\tCPU 0/TCG\nCpus_allowed_list:\t0-1\n',
    '/proc/4251/status': 'Name:\tCPU 1/TCG\nCpus_allowed_list:\t0-1\n',
    '/proc/4242/status': 'Name:\tqemu\nCpus_allowed_list:\t0-1\n',
    '/proc/4260/status': 'Name:\tworker\nCpus_allowed_list:\t0-1\n',
    '/sys/devices/system/cpu/online': '0-1\n',
    '/sys/devices/system/node/has_memory': '0\n',
    '/sys/devices/system/node/node0/cpulist': '0-1\n',
    '/sys/devices/system/node/node1/cpulist': '\n',
    ...BLOCK_FILES,
    ...extra,
  }, {
    ...BLOCK_LINKS,
  });
}

/** The block devices of both fixture hosts: vda (254:0) with partition vda1, and sdb (8:16). */
const BLOCK_FILES: Record<string, string> = {
  '/sys/class/block/vda/dev': '254:0\n',
  '/sys/class/block/vda1/dev': '254:1\n',
  '/sys/class/block/vda1/partition': '1\n',
  '/sys/class/block/sdb/dev': '8:16\n',
};
const BLOCK_LINKS: Record<string, string> = {
  '/sys/dev/block/254:0': '../../devices/virtual/block/vda',
  '/sys/dev/block/254:1': '../../devices/virtual/block/vda/vda1',
  '/sys/dev/block/8:16': '../../devices/pci0000:00/block/sdb',
};

export const V1_REL = '/machine/qemu-1-vm1';

/** A cgroup v1 host with the guest (pid 4242) in its own groups under cpu, cpuacct, cpuset, blkio, memory. */
export function v1Host(lab: Lab, extra: Record<string, string> = {}): Tree {
  const c = (ctrl: string, f: string): string => `/sys/fs/cgroup/${ctrl}${V1_REL}/${f}`;
  return makeTree(lab, {
    '/proc/self/mountinfo': V1_MOUNTINFO,
    [c('cpu', 'cpu.shares')]: '1024\n',
    [c('cpu', 'cpu.cfs_quota_us')]: '-1\n',
    [c('cpu', 'cpu.cfs_period_us')]: '100000\n',
    [c('cpuset', 'cpuset.cpus')]: '0-1\n',
    [c('cpuset', 'cpuset.mems')]: '0\n',
    [c('cpuset', 'cpuset.memory_migrate')]: '0\n',
    [c('blkio', 'blkio.throttle.read_iops_device')]: '',
    [c('blkio', 'blkio.throttle.write_iops_device')]: '',
    [c('blkio', 'blkio.throttle.read_bps_device')]: '8:16 1048576\n',
    [c('blkio', 'blkio.throttle.write_bps_device')]: '',
    [c('memory', 'memory.limit_in_bytes')]: '9223372036854771712\n',
    [c('memory', 'memory.usage_in_bytes')]: '536870912\n',
    '/proc/4242/cgroup': `12:memory:${V1_REL}\n6:blkio:${V1_REL}\n4:cpuset:${V1_REL}\n3:cpuacct:${V1_REL}\n2:cpu:${V1_REL}\n0::/\n`,
    '/sys/devices/system/cpu/online': '0-1\n',
    '/sys/devices/system/node/has_memory': '0\n',
    ...BLOCK_FILES,
    ...extra,
  }, {
    ...BLOCK_LINKS,
  });
}
