// Owns the static shape of the demo host: how many CPUs, NUMA nodes and how much memory the host has
// for N guests, and each guest's identity (name, libvirt id, uuid, pids/tids, disks, NIC, RAM,
// backing, load profile). Pure: derived from the guest count and the seed only.

import { formatCpuList } from '../engine/model/cpulist.js';
import { makeRng, mixSeed, uuidFrom } from './rng.js';
import { PROFILES, type ProfileName } from './profiles.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;
export const PAGE = 4096;
export const HUGE_2M = 2 * MiB;
export const CLK_TCK = 100;
export const VCPUS = 4;
export const DM_MAJOR = 253;
export const QMP_DIR = '/var/lib/virtune-demo';
export const HOSTNAME = 'demo-host';
export const KERNEL = '6.8.0-virtune-demo';

export interface DiskSpec {
  alias: string;          // libvirt alias = qdev id: virtio-disk0
  target: string;         // vda
  qdev: string;           // /machine/peripheral/virtio-disk0/virtio-backend
  nodeFormat: string;     // libvirt-2-format
  nodeStorage: string;    // libvirt-2-storage
  dmMinor: number;
  majMin: string;         // 253:K
  dmName: string;         // dm-K
  lvPath: string;         // /dev/vg0/<name>-vda
  sizeBytes: number;
  fd: number;             // fd number in QEMU (for fd/ and fdinfo/)
}

export interface NicSpec {
  ifname: string;         // vnetN
  mac: string;
  alias: string;          // net0
  netdev: string;         // hostnet0
  tapFd: number;
  vhostFd: number;
  ifindex: number;
}

export interface GuestSpec {
  index: number;
  domId: number;
  name: string;
  uuid: string;
  profile: ProfileName;
  seed: number;
  pid: number;
  tids: { main: number; vcpus: number[]; vhost: number };
  ramBytes: number;
  hugepages: boolean;
  homeNode: number;
  /** seconds between the guest's start and the demo's start */
  ageSec: number;
  scopeRel: string;       // cgroup path relative to the mount
  disks: DiskSpec[];
  nic: NicSpec;
  qmpPath: string;        // real host path (relative to the root)
  monitorFd: number;
}

export interface HostSpec {
  guests: number;
  seed: number;
  cpus: number;
  nodes: number;
  cpusPerNode: number;
  nodeCpus: number[][];
  nodeMemBytes: number;
  /** 2M pages in the pool per node */
  hugePagesPerNode: number[];
  uptimeSec: number;
  onlineList: string;
}

const RAM_BY_PROFILE: Record<ProfileName, number> = {
  steady: 4 * GiB, bursty: 2 * GiB, idle: 1 * GiB, 'disk-heavy': 4 * GiB, 'network-heavy': 2 * GiB, 'memory-hungry': 8 * GiB,
};
const NAME_BY_PROFILE: Record<ProfileName, string> = {
  steady: 'web', bursty: 'batch', idle: 'idle', 'disk-heavy': 'db', 'network-heavy': 'proxy', 'memory-hungry': 'cache',
};

export function escapeSystemd(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/[0-9A-Za-z:_.]/.test(ch)) out += ch;
    else if (ch === '/') out += '-';
    else out += '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
  }
  return out;
}

export function makeGuestSpecs(count: number, seed: number): GuestSpec[] {
  const width = Math.max(2, String(count).length);
  const out: GuestSpec[] = [];
  for (let i = 0; i < count; i++) {
    const profile = PROFILES[i % PROFILES.length] as ProfileName;
    const gseed = mixSeed(seed, i + 1);
    const rng = makeRng(gseed);
    const name = `${NAME_BY_PROFILE[profile]}-${String(i + 1).padStart(width, '0')}`;
    const domId = i + 1;
    const pid = 100000 + i * 16;
    const disks: DiskSpec[] = ['vda', 'vdb'].map((target, d) => {
      const minor = i * 2 + d;
      return {
        alias: `virtio-disk${d}`, target,
        qdev: `/machine/peripheral/virtio-disk${d}/virtio-backend`,
        nodeFormat: `libvirt-${2 - d}-format`, nodeStorage: `libvirt-${2 - d}-storage`,
        dmMinor: minor, majMin: `${DM_MAJOR}:${minor}`, dmName: `dm-${minor}`,
        lvPath: `/dev/vg0/${name}-${target}`,
        sizeBytes: d === 0 ? 20 * GiB : 100 * GiB,
        fd: 40 + d,
      };
    });
    const mac = `52:54:00:${[((i + 1) >> 16) & 0xff, ((i + 1) >> 8) & 0xff, (i + 1) & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    const machine = `qemu-${domId}-${name}`;
    out.push({
      index: i, domId, name, uuid: uuidFrom(rng), profile, seed: gseed, pid,
      tids: { main: pid, vcpus: Array.from({ length: VCPUS }, (_, v) => pid + 3 + v), vhost: pid + 8 },
      ramBytes: RAM_BY_PROFILE[profile],
      hugepages: profile === 'disk-heavy',
      homeNode: i % 2,
      ageSec: Math.round(3600 + rng() * 2 * 86400),
      scopeRel: `/machine.slice/machine-${escapeSystemd(machine)}.scope`,
      disks,
      nic: { ifname: `vnet${i}`, mac, alias: 'net0', netdev: 'hostnet0', tapFd: 34, vhostFd: 36, ifindex: 100 + i },
      qmpPath: `${QMP_DIR}/${name}.qmp`,
      monitorFd: 31,
    });
  }
  return out;
}

export function makeHostSpec(guests: GuestSpec[], seed: number): HostSpec {
  const n = guests.length;
  const nodes = 2;
  const cpusPerNode = Math.min(128, Math.max(8, Math.ceil(n / 8) * 8));
  const cpus = nodes * cpusPerNode;
  const nodeCpus = Array.from({ length: nodes }, (_, k) => Array.from({ length: cpusPerNode }, (_, c) => k * cpusPerNode + c));
  const hugePagesPerNode = [0, 0];
  let ram = 0;
  for (const g of guests) {
    ram += g.ramBytes;
    if (g.hugepages) hugePagesPerNode[g.homeNode] = (hugePagesPerNode[g.homeNode] ?? 0) + g.ramBytes / HUGE_2M;
  }
  for (let k = 0; k < nodes; k++) hugePagesPerNode[k] = (hugePagesPerNode[k] ?? 0) + 512; // 1 GiB spare per node
  const perNode = Math.max(32 * GiB, Math.ceil((ram * 1.15) / nodes / (16 * GiB)) * 16 * GiB);
  const maxAge = guests.reduce((m, g) => Math.max(m, g.ageSec), 0);
  return {
    guests: n, seed, cpus, nodes, cpusPerNode, nodeCpus, nodeMemBytes: perNode, hugePagesPerNode,
    uptimeSec: maxAge + 600, onlineList: formatCpuList(Array.from({ length: cpus }, (_, c) => c)),
  };
}
