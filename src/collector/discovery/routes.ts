// Owns the routes that find QEMU candidates, merged later by pid: a /proc scan (cmdline argv[0], exe
// link as fallback; with a ProcScanMemo only pids new since the last scan are read), libvirt and Proxmox pidfiles (/run/libvirt/qemu/<name>.pid,
// /var/run/qemu-server/<vmid>.pid), and cgroup.procs of guest-shaped cgroups under machine/,
// machine.slice/ and qemu.slice/ (a scope with no QEMU process is not a guest; with a CgroupScanMemo a
// directory whose processes all still exist is not read again).

import { parseIdList } from '../cgroup/parse.js';
import { parseCmdline, parseStartTime, parseUptimeTicks } from '../procfs/parse.js';
import { CLK_TCK } from '../host-reader.js';
import type { ReadCtx } from '../read-ctx.js';
import { isQemuExecutable } from './cmdline.js';
import type { CgroupScanMemo } from './cgroup-memo.js';
import type { ProcScanMemo } from './proc-memo.js';

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

/**
 * Every process whose argv[0] is a QEMU system emulator. With a memo, a pid listed last time with the
 * same start time keeps its verdict (its command line is not read again; not even its stat when the
 * kernel's last pid shows it was not handed out since); a process without a readable
 * start time (a captured tree) is always read.
 */
export function scanProc(ctx: ReadCtx, out: Candidates, memo: ProcScanMemo | null = null): void {
  const entries = ctx.list('/proc', 'discovery') ?? [];
  if (memo) {
    const opt = (p: string): string | null => { try { return ctx.fs.readText(p); } catch { return null; } };
    const uptime = opt('/proc/uptime'); // unknown: no "not a QEMU" verdict is kept
    const last = Number(opt('/proc/sys/kernel/ns_last_pid')?.trim() ?? NaN); // unknown: stat decides
    memo.begin(uptime === null ? null : parseUptimeTicks(uptime, CLK_TCK), Number.isSafeInteger(last) ? last : null);
  }
  const found = (pid: number, argv: string[]): void => {
    const c = cand(out, pid);
    c.argv = argv;
    c.routes.add('proc');
  };
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    let start: number | null = null;
    if (memo) {
      const carried = memo.carried(pid);
      if (carried) {
        if (carried.argv) found(pid, carried.argv);
        continue;
      }
      try { start = parseStartTime(ctx.fs.readText(`/proc/${pid}/stat`)); } catch { start = null; }
      const v = start === null ? undefined : memo.known(pid, start);
      if (v) {
        if (v.argv) found(pid, v.argv);
        continue;
      }
    }
    let argv: string[] | null;
    try {
      argv = parseCmdline(ctx.fs.readText(`/proc/${pid}/cmdline`));
    } catch {
      continue; // exited or unreadable: not our business during a scan
    }
    const a0 = argv[0];
    const qemu = a0 !== undefined && isQemuExecutable(a0);
    if (qemu) found(pid, argv);
    if (memo && start !== null) memo.record(pid, start, qemu ? argv : null);
  }
  memo?.end();
}

function readPid(ctx: ReadCtx, file: string): number | null {
  const t = ctx.text(file, 'discovery', false);
  const m = t === null ? null : /^\s*(\d+)\s*$/.exec(t);
  return m ? Number(m[1]) : null;
}

/**
 * `/run/SUB` and `/var/run/SUB` — or only the first when /var/run is the usual symlink to /run (the
 * same pidfiles would be read twice).
 */
function runDirs(ctx: ReadCtx, sub: string): string[] {
  const t = ctx.link('/var/run');
  const same = t !== null && /^(\/|\.\.\/)run\/?$/.test(t);
  return same ? [`/run/${sub}`] : [`/run/${sub}`, `/var/run/${sub}`];
}

/** libvirt `/run/libvirt/qemu/<name>.pid` and Proxmox `/var/run/qemu-server/<vmid>.pid`. */
export function scanPidfiles(ctx: ReadCtx, out: Candidates): void {
  for (const dir of runDirs(ctx, 'libvirt/qemu')) {
    for (const f of ctx.list(dir, 'discovery') ?? []) {
      if (!f.endsWith('.pid')) continue;
      const pid = readPid(ctx, `${dir}/${f}`);
      if (pid === null) continue;
      const c = cand(out, pid);
      c.routes.add('pidfile');
      c.libvirtName ??= f.slice(0, -4);
    }
  }
  for (const dir of runDirs(ctx, 'qemu-server')) {
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

/**
 * Guest-shaped cgroups under the given cgroup mount points; their processes become candidates. With a
 * memo, a directory whose remembered processes all still exist is not read again.
 */
export function scanCgroups(ctx: ReadCtx, mountPoints: string[], out: Candidates, memo: CgroupScanMemo | null = null): void {
  const alive = (pid: number): boolean => ctx.fs.exists(`/proc/${pid}`);
  const visit = (dir: string, depth: number): void => {
    if (depth > 4) return;
    for (const e of ctx.list(dir, 'discovery') ?? []) {
      const sub = `${dir}/${e}`;
      if (GUEST_DIR.test(e)) {
        let pids: Iterable<number> | undefined = memo?.known(sub, alive);
        if (pids === undefined) {
          const found = new Set<number>(procsOf(ctx, sub));
          for (const child of ['libvirt', 'emulator', 'libvirt/emulator']) {
            for (const p of procsOf(ctx, `${sub}/${child}`)) found.add(p);
          }
          memo?.record(sub, [...found]);
          pids = found;
        }
        for (const p of pids) cand(out, p).routes.add('cgroup');
      } else if (DESCEND.test(e)) {
        visit(sub, depth + 1);
      }
    }
  };
  memo?.begin();
  for (const mp of mountPoints) {
    for (const top of ['machine.slice', 'machine', 'qemu.slice']) {
      const d = `${mp}/${top}`;
      if (ctx.fs.exists(d)) visit(d, 1);
    }
  }
  memo?.end();
}
