// Owns where a demo guest's files live in the simulated host (real host paths, under the root).

import type { GuestSpec } from './spec.js';

export interface GuestPaths {
  scope: string;
  libvirt: string;
  vcpu: string[];
  emulator: string;
  proc: string;
  net: string;
}

export function guestPaths(s: GuestSpec): GuestPaths {
  const scope = `/sys/fs/cgroup${s.scopeRel}`;
  const libvirt = `${scope}/libvirt`;
  return {
    scope, libvirt,
    vcpu: s.tids.vcpus.map((_, i) => `${libvirt}/vcpu${i}`),
    emulator: `${libvirt}/emulator`,
    proc: `/proc/${s.pid}`,
    net: `/sys/class/net/${s.nic.ifname}`,
  };
}

export interface ThreadInfo { tid: number; comm: string; cgroup: string; kind: 'main' | 'vcpu' | 'vhost'; vcpu: number }

export function threadsOf(s: GuestSpec, p: GuestPaths): ThreadInfo[] {
  const rel = (abs: string): string => abs.slice('/sys/fs/cgroup'.length);
  const emu = rel(p.emulator);
  return [
    { tid: s.tids.main, comm: 'qemu-system-x86', cgroup: emu, kind: 'main', vcpu: -1 },
    ...s.tids.vcpus.map((tid, i) => ({ tid, comm: `CPU ${i}/KVM`, cgroup: rel(p.vcpu[i] as string), kind: 'vcpu' as const, vcpu: i })),
    { tid: s.tids.vhost, comm: `vhost-${s.pid}`, cgroup: emu, kind: 'vhost', vcpu: -1 },
  ];
}
