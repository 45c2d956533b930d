// Owns cgroup layout detection, pure: from /proc/self/mountinfo entries (and the text of the cgroup2
// mount's cgroup.controllers) decide pure v2, v1 (separate or co-mounted controllers) or hybrid
// (v1 controllers plus a cgroup2 mount that has no controllers of its own → counts as v1, as libvirt
// does), and map a cgroup path of a controller to the real directory under /sys/fs/cgroup.

import type { MountInfo } from '../procfs/parse.js';

export const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio',
  'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);

/** Controllers whose v1 presence makes a host "cgroup v1" for resource accounting. */
const RESOURCE_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'blkio', 'cpuset'];

export interface CgroupMount { mountPoint: string; root: string }

export interface CgroupLayout {
  /** 1 for v1 and hybrid hosts, 2 for pure v2, null when no cgroup filesystem is mounted */
  version: 1 | 2 | null;
  /** the cgroup2 mount (pure v2: /sys/fs/cgroup; hybrid: usually /sys/fs/cgroup/unified) */
  unified: (CgroupMount & { controllers: string[] }) | null;
  /** v1 controller (and `name=systemd`) → its mount */
  v1: Map<string, CgroupMount>;
  hybrid: boolean;
}

/** The cgroup2 mount to inspect: the first `cgroup2` entry (its cgroup.controllers decides hybrid vs v2). */
export function findUnifiedMount(mounts: MountInfo[]): MountInfo | null {
  return mounts.find((m) => m.fstype === 'cgroup2') ?? null;
}

export function detectCgroupLayout(mounts: MountInfo[], unifiedControllersText: string | null): CgroupLayout {
  const v1 = new Map<string, CgroupMount>();
  for (const m of mounts) {
    if (m.fstype !== 'cgroup') continue;
    for (const opt of m.superOptions) {
      const ctrl = opt.startsWith('name=') ? opt : V1_CONTROLLERS.has(opt) ? opt : null;
      if (ctrl && !v1.has(ctrl)) v1.set(ctrl, { mountPoint: m.mountPoint, root: m.root });
    }
  }
  const u = findUnifiedMount(mounts);
  const controllers = unifiedControllersText === null ? [] : unifiedControllersText.trim().split(/\s+/).filter(Boolean);
  const unified = u ? { mountPoint: u.mountPoint, root: u.root, controllers } : null;
  const hasV1Resources = RESOURCE_CONTROLLERS.some((c) => v1.has(c));
  let version: 1 | 2 | null = null;
  if (hasV1Resources) version = 1;
  else if (unified) version = 2;
  return { version, unified, v1, hybrid: hasV1Resources && unified !== null };
}

/** Real directory of cgroup `cgPath` in a mount, or null when the path is outside the mount's root. */
export function dirIn(mount: CgroupMount, cgPath: string): string | null {
  const root = mount.root === '/' ? '' : mount.root.replace(/\/$/, '');
  if (root !== '' && cgPath !== root && !cgPath.startsWith(`${root}/`)) return null;
  const rel = cgPath.slice(root.length);
  const mp = mount.mountPoint.replace(/\/$/, '');
  return rel === '' || rel === '/' ? mp : `${mp}${rel.startsWith('/') ? '' : '/'}${rel}`;
}
