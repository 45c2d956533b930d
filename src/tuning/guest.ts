// Owns finding the guest a tuning request names (id, UUID or name; an ambiguous name lists the
// candidates, exit 2; unknown, exit 3) and where its cgroups are: the real host directory per
// controller (v1: /sys/fs/cgroup/<ctrl><path> from /proc/<pid>/cgroup; v2: the unified mount).

import { VirtuneError } from '../engine/model/errors.js';
import type { RawGuest, RawSample } from '../engine/model/sample.js';
import type { HostFs } from '../engine/ports/host-fs.js';

export function resolveGuest(raw: RawSample, ref: string): RawGuest {
  const byId = raw.guests.find((g) => g.id === ref);
  if (byId) return byId;
  const lower = ref.toLowerCase();
  const byUuid = raw.guests.find((g) => g.uuid !== null && g.uuid.toLowerCase() === lower);
  if (byUuid) return byUuid;
  const byName = raw.guests.filter((g) => g.name === ref);
  if (byName.length === 1) return byName[0] as RawGuest;
  if (byName.length > 1) {
    throw new VirtuneError(2, `guest name '${ref}' is ambiguous; candidates: ${byName.map((g) => g.id).join(', ')}`);
  }
  const known = raw.guests.map((g) => g.id).slice(0, 20).join(', ');
  throw new VirtuneError(3, `no guest '${ref}' on this host${known ? ` (guests: ${known})` : ' (no guests found)'}`);
}

export function tryRead(fs: HostFs, path: string): string | null {
  try { return fs.readText(path); } catch { return null; }
}

/** Parse /proc/<pid>/cgroup into controller → path ('' key = the v2 line). Pure. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const path = (m[3] as string).replace(/ \(deleted\)$/, '');
    const ctrls = m[2] as string;
    if (ctrls === '') out.set('', path);
    else for (const c of ctrls.split(',')) out.set(c, path);
  }
  return out;
}

export const V1_MOUNT = '/sys/fs/cgroup';

/** The unified (v2) mount: /sys/fs/cgroup on pure v2, /sys/fs/cgroup/unified on hybrid hosts. */
export function v2Mount(fs: HostFs): string {
  return fs.exists('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
}

export interface GuestCgroups {
  version: 1 | 2;
  /** relative path (v2) or per-controller relative paths (v1) */
  rel: (controller: string) => string | null;
  /** real host directory of the guest's group for a controller (v2: one directory for all) */
  dir: (controller: string) => string | null;
  /** a group of its own: not the root and not shared with other processes (per controller on v1) */
  own: (controller: string) => boolean;
  mount: (controller: string) => string;
}

/** The guest-level group of a thread group path: strip `/emulator`, `/vcpuN`, `/iothreadN`, then a nested `/libvirt`. Pure. */
export function guestLevel(path: string): string {
  const stripped = path.replace(/\/(?:emulator|vcpu\d+|iothread\d+)$/, '');
  if (stripped === path) return path;
  return stripped.replace(/(\.scope)\/libvirt$/, '$1');
}

function join(a: string, b: string): string {
  return b === '/' || b === '' ? a : `${a}${b.startsWith('/') ? '' : '/'}${b}`;
}

export function guestCgroups(fs: HostFs, raw: RawSample, g: RawGuest): GuestCgroups {
  const version: 1 | 2 = g.cgroup?.version ?? raw.host.cgroupVersion ?? 1;
  const proc = tryRead(fs, `/proc/${g.pid}/cgroup`);
  const map = proc ? parseProcCgroup(proc) : new Map<string, string>();
  const v2m = version === 2 ? v2Mount(fs) : '';
  // QEMU's main thread sits in a thread group of libvirt's layout (`…/emulator`, under `…scope/libvirt/`
  // with systemd): whole-guest limits belong to the guest's group above it, the one the collector
  // reports, never to the emulator threads alone.
  const rel = (c: string): string | null => {
    const p = version === 2 ? map.get('') : map.get(c);
    if (p === undefined) return g.cgroup?.path ?? null;
    return guestLevel(p);
  };
  const mount = (c: string): string => (version === 2 ? v2m : `${V1_MOUNT}/${c}`);
  return {
    version,
    rel,
    mount,
    dir: (c) => {
      const r = rel(c);
      return r === null ? null : join(mount(c), r);
    },
    own: (c) => {
      const r = rel(c);
      if (r === null || r === '/' || r === '') return false;
      if (g.cgroup && g.cgroup.own === false && (version === 2 || r === g.cgroup.path)) return false;
      return true;
    },
  };
}
