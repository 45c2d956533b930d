// Owns discovery: detect the cgroup layout from /proc/self/mountinfo, find QEMU processes by every
// route (proc scan, pidfiles, guest-shaped cgroups), merge them by pid, and describe each guest: id,
// name, manager, its own cgroup (from /proc/<pid>/cgroup; `own` false for shared cgroups), per-controller
// directories, its QMP socket, vCPU threads and NICs. With a DiscoveryGate, a discovery with nothing
// new to find (no pid handed out since the last one: quiet-gate.ts) returns the last result.

import type { Manager } from '../../engine/model/sample.js';
import { parseIdList } from '../cgroup/parse.js';
import { detectCgroupLayout, dirIn, findUnifiedMount, type CgroupLayout } from '../cgroup/layout.js';
import { parseMountinfo, parseProcCgroup, type ProcCgroup } from '../procfs/parse.js';
import type { ReadCtx } from '../read-ctx.js';
import { classifyCgroupPath, type CgroupClass } from './classify.js';
import { isQemuExecutable, parseQemuCmdline, type QemuCmdline } from './cmdline.js';
import type { CgroupScanMemo } from './cgroup-memo.js';
import type { ProcScanMemo } from './proc-memo.js';
import type { DiscoveryGate } from './quiet-gate.js';
import { readArgv, scanCgroups, scanPidfiles, scanProc, type Candidate, type Candidates } from './routes.js';
import type { DiscoveredGuest, DiscoveryResult, GuestCgroupDirs } from './types.js';
import { findNics, readIfindexes, vcpusFromCgroups, vcpusFromComm } from './vcpus-nics.js';

export interface DiscoverOptions {
  /** `--qmp` sockets: the only ones treated as dedicated to us */
  extraQmpSockets?: readonly string[];
  /** the /proc scan's memory between discoveries (the sampler keeps one): only new pids are read */
  procMemo?: ProcScanMemo | null;
  /** the cgroup route's memory between discoveries (the sampler keeps one): settled cgroups are not re-read */
  cgroupMemo?: CgroupScanMemo | null;
  /** the short cut of a discovery with nothing new to find (the sampler keeps one) */
  gate?: DiscoveryGate<DiscoveryResult & { layout: CgroupLayout }> | null;
}

/** Read the cgroup layout under the root. */
export function readCgroupLayout(ctx: ReadCtx, mountinfo?: string | null): CgroupLayout {
  const text = mountinfo !== undefined ? mountinfo : ctx.text('/proc/self/mountinfo', 'discovery', false);
  const mounts = text === null ? [] : parseMountinfo(text);
  const u = findUnifiedMount(mounts);
  const controllers = u ? ctx.text(`${u.mountPoint}/cgroup.controllers`, 'discovery', false) : null;
  return detectCgroupLayout(mounts, controllers);
}

const V1_ORDER = ['cpu', 'cpuacct', 'cpuset', 'blkio', 'memory', 'pids', 'name=systemd'];

/** The guest's cgroup path: the first classified (known) layout among its hierarchies, else the first non-root. */
function mainClass(pc: ProcCgroup, layout: CgroupLayout): { cls: CgroupClass; version: 1 | 2 } | null {
  const paths: string[] = [];
  if (layout.version === 1) {
    for (const c of V1_ORDER) { const p = pc.v1.get(c); if (p !== undefined) paths.push(p); }
    if (pc.v2 !== null) paths.push(pc.v2);
  } else if (pc.v2 !== null) {
    paths.push(pc.v2);
  }
  if (paths.length === 0) return null;
  const version = layout.version ?? 2;
  const classes = paths.map(classifyCgroupPath);
  const known = classes.find((c) => c.known);
  if (known) return { cls: known, version };
  const nonRoot = classes.find((c) => c.guestPath !== '/');
  return { cls: nonRoot ?? (classes[0] as CgroupClass), version };
}

function cgroupDirs(pc: ProcCgroup, layout: CgroupLayout, cls: CgroupClass, exists: (p: string) => boolean): GuestCgroupDirs {
  const guestPath = cls.guestPath;
  const nestedRel = cls.nestedPath;
  const v2mount = layout.unified;
  const unifiedDir = v2mount && pc.v2 !== null && classifyCgroupPath(pc.v2).guestPath === guestPath ? dirIn(v2mount, guestPath) : null;
  if (layout.version === 2) {
    const d = v2mount ? dirIn(v2mount, guestPath) : null;
    const n = v2mount && nestedRel ? dirIn(v2mount, nestedRel) : null;
    return {
      version: 2, cpu: d, cpuacct: null, cpuset: d, memory: d, io: d, hugetlb: d, unified: d,
      nested: n ? { cpu: n, cpuset: n, memory: n, io: n } : null,
    };
  }
  const v1dir = (ctrl: string): string | null => {
    const mount = layout.v1.get(ctrl);
    const p = pc.v1.get(ctrl);
    // a controller whose group is not the guest's (e.g. memory left in the launcher's group) is not read
    if (!mount || p === undefined || classifyCgroupPath(p).guestPath !== guestPath) return null;
    return dirIn(mount, guestPath);
  };
  const nestedDir = (ctrl: string): string | null => {
    const base = v1dir(ctrl);
    return base && exists(`${base}/libvirt`) ? `${base}/libvirt` : null;
  };
  const nCpu = nestedDir('cpu');
  const nested = nCpu || nestedDir('memory') || nestedDir('blkio') || nestedDir('cpuset')
    ? { cpu: nCpu, cpuset: nestedDir('cpuset'), memory: nestedDir('memory'), io: nestedDir('blkio') }
    : null;
  return {
    version: 1, cpu: v1dir('cpu'), cpuacct: v1dir('cpuacct'), cpuset: v1dir('cpuset'), memory: v1dir('memory'),
    io: v1dir('blkio'), hugetlb: v1dir('hugetlb'), unified: unifiedDir, nested,
  };
}

function normalize(p: string): string {
  return p.replace(/\/+/g, '/').replace(/\/$/, '');
}

function chooseQmp(
  manager: Manager, cmd: QemuCmdline | null, vmid: string | null, ctx: ReadCtx, extra: Set<string>,
): { socket: string; dedicated: boolean } | null {
  const sockets = (cmd?.qmpSockets ?? []).map((s) => s.path);
  for (const s of sockets) if (extra.has(normalize(s))) return { socket: s, dedicated: true };
  if (manager === 'libvirt') {
    // libvirt owns its monitor (`charmonitor`, under its runtime dirs): never touch it, QMP goes
    // through virsh. A second monitor the operator added (<qemu:commandline> -qmp) is ours.
    const added = (cmd?.qmpSockets ?? []).find((s) => s.chardevId !== 'charmonitor' && !/\/libvirt\/qemu\//.test(s.path));
    return added ? { socket: added.path, dedicated: true } : null;
  }
  if (manager === 'proxmox') {
    const own = sockets.find((s) => /\/qemu-server\/\d+\.qmp$/.test(s));
    if (own) return { socket: own, dedicated: false };
    for (const dir of ['/var/run/qemu-server', '/run/qemu-server']) {
      const p = `${dir}/${vmid}.qmp`;
      if (vmid !== null && ctx.fs.exists(p)) return { socket: p, dedicated: false };
    }
  }
  const first = sockets[0];
  return first !== undefined ? { socket: first, dedicated: false } : null;
}

/**
 * A process is a QEMU when the kernel says so: its /proc/PID/exe names a QEMU binary. argv is the
 * process's own claim (any local user can start `qemu-system-x86_64 -qmp unix:/any/socket`), trusted
 * only where there is no exe link to ask (a captured tree, a process whose link we may not read).
 */
function isQemuProcess(ctx: ReadCtx, c: Candidate): boolean {
  c.argv ??= readArgv(ctx, c.pid);
  if (c.argv === null || c.argv.length === 0) return false;
  const exe = ctx.link(`/proc/${c.pid}/exe`);
  if (exe !== null) return isQemuExecutable(exe);
  return isQemuExecutable(c.argv[0] as string);
}

/**
 * A QMP socket found on a command line is dialled only when its owner is the QEMU process's owner: a
 * process cannot point a root daemon at someone else's socket. Returns the reason it is not trusted.
 */
function untrustedSocket(ctx: ReadCtx, pid: number, socket: string): string | null {
  let procUid: number;
  let sockUid: number;
  try { procUid = ctx.fs.stat(`/proc/${pid}`).uid; } catch { return null; }
  try { sockUid = ctx.fs.stat(socket).uid; } catch { return null; } // not there (yet): nothing to dial
  return procUid === sockUid ? null : `QMP socket ${socket} of pid ${pid} is owned by uid ${sockUid}, not by the process's owner (uid ${procUid}); not used`;
}

export function discover(ctx: ReadCtx, opts: DiscoverOptions = {}): DiscoveryResult & { layout: CgroupLayout } {
  const gate = opts.gate ?? null;
  let mountinfo: string | null | undefined;
  let lastPid: number | null = null;
  if (gate) {
    // read before the scan: a pid handed out while it runs makes the next discovery a full one
    let t: string | null = null;
    try { t = ctx.fs.readText('/proc/sys/kernel/ns_last_pid'); } catch { /* unknown: no short cut */ }
    const n = t === null ? NaN : Number(t.trim());
    lastPid = Number.isSafeInteger(n) ? n : null;
    mountinfo = ctx.text('/proc/self/mountinfo', 'discovery', false);
    const same = gate.check(lastPid, mountinfo, (g) => ctx.fs.exists(`/proc/${g.pid}`));
    if (same) {
      // the scans' periodic full reads count discoveries, not scans: they stay once a minute
      opts.procMemo?.skipped();
      opts.cgroupMemo?.skipped();
      return same;
    }
  }
  const result = discoverAll(ctx, opts, mountinfo);
  gate?.store(lastPid, mountinfo ?? null, result);
  return result;
}

function discoverAll(ctx: ReadCtx, opts: DiscoverOptions, mountinfo: string | null | undefined): DiscoveryResult & { layout: CgroupLayout } {
  const layout = readCgroupLayout(ctx, mountinfo);
  const candidates: Candidates = new Map();
  scanProc(ctx, candidates, opts.procMemo ?? null);
  scanPidfiles(ctx, candidates);
  const mountPoints: string[] = [];
  if (layout.version === 2 && layout.unified) mountPoints.push(layout.unified.mountPoint);
  for (const c of ['cpu', 'name=systemd']) { const m = layout.v1.get(c); if (m) mountPoints.push(m.mountPoint); }
  scanCgroups(ctx, [...new Set(mountPoints)], candidates, opts.cgroupMemo ?? null);

  const extra = new Set((opts.extraQmpSockets ?? []).map(normalize));
  const matchedExtra = new Set<string>();
  const ifindexes = readIfindexes(ctx);
  const guests: DiscoveredGuest[] = [];
  const warnings: DiscoveryResult['warnings'] = [];
  const ids = new Set<string>();

  for (const c of [...candidates.values()].sort((a, b) => a.pid - b.pid)) {
    if (!ctx.fs.exists(`/proc/${c.pid}`)) continue;     // stale pidfile
    if (!isQemuProcess(ctx, c)) continue;               // a scope with no QEMU is not a guest
    const cmd = parseQemuCmdline(c.argv ?? []) ?? (c.argv ? parseQemuCmdline(['qemu-system', ...c.argv.slice(1)]) : null);
    const pcText = ctx.setting(`/proc/${c.pid}/cgroup`, 'discovery');
    const pc = pcText === null ? null : parseProcCgroup(pcText);
    const main = pc ? mainClass(pc, layout) : null;
    const cls = main?.cls ?? null;

    let manager: Manager = 'qemu';
    if (c.libvirtName !== null || cls?.manager === 'libvirt' || cmd?.libvirtHint) manager = 'libvirt';
    else if (c.pveVmid !== null || cls?.manager === 'proxmox' || cmd?.vmid != null) manager = 'proxmox';
    const vmid = manager === 'proxmox' ? (cmd?.vmid ?? c.pveVmid ?? cls?.vmid ?? null) : null;

    let name: string;
    if (manager === 'libvirt') name = cmd?.name ?? c.libvirtName ?? cls?.nameHint ?? String(c.pid);
    else if (manager === 'proxmox') name = cmd?.name ?? vmid ?? String(c.pid);
    else name = cmd?.name ?? cls?.nameHint ?? String(c.pid);

    let id = manager === 'libvirt' ? `libvirt:${name}` : manager === 'proxmox' && vmid !== null ? `pve:${vmid}` : `qemu:${cmd?.name ?? cls?.nameHint ?? c.pid}`;
    if (ids.has(id)) id = `${id}-${c.pid}`;
    ids.add(id);

    let cgroup: DiscoveredGuest['cgroup'] = null;
    let dirs: GuestCgroupDirs | null = null;
    if (pc && cls && main) {
      dirs = cgroupDirs(pc, layout, cls, (p) => ctx.fs.exists(p));
      let own = cls.guestPath !== '/' && cls.known;
      if (!own && cls.guestPath !== '/') {
        const dir = dirs.version === 2 ? dirs.unified : dirs.cpu ?? dirs.cpuacct ?? dirs.memory;
        const procs = dir ? ctx.text(`${dir}/cgroup.procs`, 'discovery', false) : null;
        try {
          own = procs !== null && parseIdList(procs).every((p) => p === c.pid);
        } catch { own = false; }
      }
      // a shared cgroup (own false): its counters belong to others too; its dirs serve settings only
      cgroup = { path: cls.guestPath, version: main.version, own, nestedPath: cls.nestedPath };
    }

    let qmp = chooseQmp(manager, cmd, vmid, ctx, extra);
    if (qmp?.dedicated) matchedExtra.add(normalize(qmp.socket));
    const distrust = qmp && !qmp.dedicated ? untrustedSocket(ctx, c.pid, qmp.socket) : null;
    if (distrust) {
      warnings.push({ source: 'discovery', guest: null, kind: 'permission', message: distrust });
      qmp = null;
    }

    const vcpuDirs: Array<{ dir: string; rel: string }> = [];
    if (dirs && cgroup) {
      const base = cgroup.nestedPath ?? cgroup.path;
      const push = (d: string | null | undefined, rel: string): void => { if (d) vcpuDirs.push({ dir: d, rel }); };
      if (dirs.unified) push(cgroup.nestedPath && dirs.version === 2 ? dirs.nested?.cpu : dirs.unified, base);
      if (dirs.version === 1) {
        push(dirs.nested?.cpu, base);
        push(dirs.cpu, cgroup.path);
        push(dirs.nested?.cpuset, base);
        push(dirs.cpuset, cgroup.path);
        if (dirs.unified && cgroup.nestedPath) push(`${dirs.unified}/libvirt`, base);
      }
    }
    let vcpus = vcpuDirs.length > 0 ? vcpusFromCgroups(ctx, vcpuDirs) : [];
    if (vcpus.length === 0) vcpus = vcpusFromComm(ctx, c.pid);

    guests.push({
      id, name, uuid: cmd?.uuid ?? null, manager, pid: c.pid, vmid, cmd, cgroup, dirs, qmp, vcpus,
      nics: findNics(ctx, c.pid, cmd, vmid, ifindexes), routes: [...c.routes].sort(),
    });
  }
  for (const s of extra) {
    if (!matchedExtra.has(s)) {
      warnings.push({ source: 'discovery', guest: null, kind: 'missing', message: `QMP socket ${s} (--qmp) is not on the command line of any running QEMU` });
    }
  }
  return { guests, warnings, layout };
}
