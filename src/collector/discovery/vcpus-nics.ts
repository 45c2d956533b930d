// Owns finding a guest's vCPU threads (per-vCPU cgroups `vcpuN/cgroup.threads|tasks`, else thread
// names `CPU N/KVM` / `CPU N/TCG` in /proc/<pid>/task/*/comm) and its NICs (tap fds passed on the
// command line → /proc/<pid>/fdinfo/<fd> `iff:`; `ifname=`; Proxmox `tap<vmid>i<n>`; macvtap fds
// `/dev/tap<ifindex>`). Runs at discovery cadence only: it lists directories.

import { parseIdList } from '../cgroup/parse.js';
import { parseFdinfoIff, parseVcpuComm } from '../procfs/parse.js';
import type { ReadCtx } from '../read-ctx.js';
import type { QemuCmdline } from './cmdline.js';
import type { DiscoveredNic, DiscoveredVcpu } from './types.js';

/** vCPU threads from per-vCPU cgroups under the first of `dirs` that has `vcpuN` children. */
export function vcpusFromCgroups(ctx: ReadCtx, dirs: Array<{ dir: string; rel: string }>): DiscoveredVcpu[] {
  for (const { dir, rel } of dirs) {
    const entries = ctx.list(dir, 'discovery');
    if (!entries) continue;
    const out: DiscoveredVcpu[] = [];
    for (const e of entries) {
      const m = /^vcpu(\d+)$/.exec(e);
      if (!m) continue;
      let tids: number[] = [];
      for (const f of ['cgroup.threads', 'tasks']) {
        const t = ctx.setting(`${dir}/${e}/${f}`, 'discovery');
        if (t === null) continue;
        try { tids = parseIdList(t); } catch { tids = []; }
        break;
      }
      const tid = tids[0];
      if (tid !== undefined) out.push({ index: Number(m[1]), tid, source: 'cgroup', cgroupPath: `${rel}/${e}` });
    }
    if (out.length > 0) return out.sort((a, b) => a.index - b.index);
  }
  return [];
}

/** vCPU threads from thread names. */
export function vcpusFromComm(ctx: ReadCtx, pid: number): DiscoveredVcpu[] {
  const out: DiscoveredVcpu[] = [];
  for (const t of ctx.list(`/proc/${pid}/task`, 'discovery') ?? []) {
    if (!/^\d+$/.test(t)) continue;
    let comm: string;
    try { comm = ctx.fs.readText(`/proc/${pid}/task/${t}/comm`); } catch { continue; }
    const v = parseVcpuComm(comm);
    if (v) out.push({ index: v.index, tid: Number(t), source: 'comm', cgroupPath: null });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Host interfaces: name → ifindex (one listing per discovery, shared by all guests). */
export function readIfindexes(ctx: ReadCtx): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of ctx.list('/sys/class/net', 'discovery') ?? []) {
    const t = ctx.setting(`/sys/class/net/${name}/ifindex`, 'discovery');
    const n = t === null ? NaN : Number(t.trim());
    if (Number.isInteger(n)) out.set(name, n);
  }
  return out;
}

function iffOf(ctx: ReadCtx, pid: number, fd: number): string | null {
  const t = ctx.setting(`/proc/${pid}/fdinfo/${fd}`, 'discovery');
  return t === null ? null : parseFdinfoIff(t);
}

/** The guest's NICs, deduplicated by interface name. */
export function findNics(
  ctx: ReadCtx, pid: number, cmd: QemuCmdline | null, vmid: string | null, ifindexes: Map<string, number>,
): DiscoveredNic[] {
  const out = new Map<string, DiscoveredNic>();
  const add = (ifname: string, mac: string | null, macvtap: boolean): void => {
    const prev = out.get(ifname);
    if (!prev) out.set(ifname, { ifname, mac, macvtap });
    else if (prev.mac === null && mac !== null) prev.mac = mac;
  };
  const byIndex = new Map<number, string>();
  for (const [n, i] of ifindexes) byIndex.set(i, n);
  for (const nd of cmd?.netdevs ?? []) {
    if (nd.ifname) add(nd.ifname, nd.mac, false);
    for (const fd of nd.fds) {
      const iff = iffOf(ctx, pid, fd);
      if (iff) { add(iff, nd.mac, false); continue; }
      const target = ctx.link(`/proc/${pid}/fd/${fd}`);
      const mv = target ? /^\/dev\/tap(\d+)$/.exec(target) : null;
      const name = mv ? byIndex.get(Number(mv[1])) : undefined;
      if (name) add(name, nd.mac, true);
    }
  }
  if ((cmd?.netdevs.length ?? 0) === 0) scanFds(ctx, pid, byIndex, add);
  if (vmid !== null) {
    const re = new RegExp(`^tap${vmid}i\\d+$`);
    for (const name of ifindexes.keys()) if (re.test(name)) add(name, null, false);
  }
  return [...out.values()];
}

/** No netdev on the command line (hot-plugged, or an unusual launcher): look at every fd. */
function scanFds(ctx: ReadCtx, pid: number, byIndex: Map<number, string>, add: (n: string, m: string | null, mv: boolean) => void): void {
  const fds = ctx.list(`/proc/${pid}/fd`, 'discovery') ?? ctx.list(`/proc/${pid}/fdinfo`, 'discovery') ?? [];
  for (const f of fds) {
    if (!/^\d+$/.test(f)) continue;
    const target = ctx.link(`/proc/${pid}/fd/${f}`);
    if (target !== null && target !== '/dev/net/tun' && !/^\/dev\/tap\d+$/.test(target)) continue;
    const mv = target ? /^\/dev\/tap(\d+)$/.exec(target) : null;
    if (mv) {
      const name = byIndex.get(Number(mv[1]));
      if (name) add(name, null, true);
      continue;
    }
    const iff = iffOf(ctx, pid, Number(f));
    if (iff) add(iff, null, false);
  }
}
