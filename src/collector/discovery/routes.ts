// Owns the routes that find QEMU candidates, merged later by pid: a /proc scan (cmdline argv[0], exe
// link as fallback), libvirt and Proxmox pidfiles (/run/libvirt/qemu/<name>.pid,
// /var/run/qemu-server/<vmid>.pid), and cgroup.procs of guest-shaped cgroups under machine/,
// machine.slice/ and qemu.slice/ (a scope with no QEMU process is not a guest).

import { parseIdList } from '../cgroup/parse.js';
import { parseCmdline } from '../procfs/parse.js';
import type { ReadCtx } from '../read-ctx.js';
import { isQemuExecutable } from './cmdline.js';

export interface Candidate {
  pid: number;
  argv: string[] | null;
  routes: Set<string>;
  libvirtName: string | null;
  pveVmid: string | null;
}

export type Candidates = Map<number, Candidate>;

function cand(map: Candidates, pid: number): Candidate {
  let c = map.get(pid);
  if (!c) {
    c = { pid, argv: null, routes: new Set(), libvirtName: null, pveVmid: null };
    map.set(pid, c);
  }
  return c;
}

/** argv of a process, or null when it is gone or unreadable. */
export function readArgv(ctx: ReadCtx, pid: number): string[] | null {
  const t = ctx.text(`/proc/${pid}/cmdline`, 'discovery', false);
  return t === null ? null : parseCmdline(t);
}

/** Every process whose argv[0] is a QEMU system emulator. */
export function scanProc(ctx: ReadCtx, out: Candidates): void {
  const entries = ctx.list('/proc', 'discovery') ?? [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    let argv: string[] | null;
    try {
      argv = parseCmdline(ctx.fs.readText(`/proc/${pid}/cmdline`));
    } catch {
      continue; // exited or unreadable: not our business during a scan
    }
    const a0 = argv[0];
    if (a0 !== undefined && isQemuExecutable(a0)) {
      const c = cand(out, pid);
      c.argv = argv;
      c.routes.add('proc');
    }
  }
}

function readPid(ctx: ReadCtx, file: string): number | null {
  const t = ctx.text(file, 'discovery', false);
  const m = t === null ? null : /^\s*(\d+)\s*$/.exec(t);
  return m ? Number(m[1]) : null;
}

/** libvirt `/run/libvirt/qemu/<name>.pid` and Proxmox `/var/run/qemu-server/<vmid>.pid`. */
export function scanPidfiles(ctx: ReadCtx, out: Candidates): void {
  for (const dir of ['/run/libvirt/qemu', '/var/run/libvirt/qemu']) {
    for (const f of ctx.list(dir, 'discovery') ?? []) {
      if (!f.endsWith('.pid')) continue;
      const pid = readPid(ctx, `${dir}/${f}`);
      if (pid === null) continue;
      const c = cand(out, pid);
      c.routes.add('pidfile');
      c.libvirtName ??= f.slice(0, -4);
    }
  }
  for (const dir of ['/run/qemu-server', '/var/run/qemu-server']) {
    for (const f of ctx.list(dir, 'discovery') ?? []) {
      const m = /^(\d+)\.pid$/.exec(f);
      if (!m) continue;
      const pid = readPid(ctx, `${dir}/${f}`);
      if (pid === null) continue;
      const c = cand(out, pid);
      c.routes.add('pidfile');
      c.pveVmid ??= m[1] as string;
    }
  }
}

const GUEST_DIR = /(\.libvirt-qemu|\.scope)$/;
const DESCEND = /(\.slice|\.partition|^machine)$/;

function procsOf(ctx: ReadCtx, dir: string): number[] {
  for (const f of ['cgroup.procs', 'tasks']) {
    const t = ctx.text(`${dir}/${f}`, 'discovery', false);
    if (t === null) continue;
    try { return parseIdList(t); } catch { return []; }
  }
  return [];
}

/** Guest-shaped cgroups under the given cgroup mount points; their processes become candidates. */
export function scanCgroups(ctx: ReadCtx, mountPoints: string[], out: Candidates): void {
  const visit = (dir: string, depth: number): void => {
    if (depth > 4) return;
    for (const e of ctx.list(dir, 'discovery') ?? []) {
      const sub = `${dir}/${e}`;
      if (GUEST_DIR.test(e)) {
        const pids = new Set<number>(procsOf(ctx, sub));
        for (const child of ['libvirt', 'emulator', 'libvirt/emulator']) {
          for (const p of procsOf(ctx, `${sub}/${child}`)) pids.add(p);
        }
        for (const p of pids) cand(out, p).routes.add('cgroup');
      } else if (DESCEND.test(e)) {
        visit(sub, depth + 1);
      }
    }
  };
  for (const mp of mountPoints) {
    for (const top of ['machine.slice', 'machine', 'qemu.slice']) {
      const d = `${mp}/${top}`;
      if (ctx.fs.exists(d)) visit(d, 1);
    }
  }
}
