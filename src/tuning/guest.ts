// Owns finding the guest a tuning request names (id, UUID or name; an ambiguous name lists the
// candidates, exit 2; unknown, exit 3) and where its cgroups are: the real host directory per
// controller, from /proc/<pid>/cgroup and the mounts in /proc/self/mountinfo (the collector's parsers
// and layout detection: one reader per kernel file).

import { VirtuneError } from '../engine/model/errors.js';
import type { RawGuest, RawSample } from '../engine/model/sample.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import { detectCgroupLayout, dirIn, findUnifiedMount, type CgroupLayout, type CgroupMount } from '../collector/cgroup/layout.js';
import { parseMountinfo, parseProcCgroup } from '../collector/procfs/parse.js';

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

/**
 * The host's cgroup mounts, found the way the collector finds them: /proc/self/mountinfo through its
 * parser and layout detection (co-mounted v1 controllers, hybrid hosts, a cgroup2 mount anywhere).
 * Unreadable mountinfo is an error naming it, never a guessed /sys/fs/cgroup.
 */
export function cgroupLayoutOf(fs: HostFs): CgroupLayout {
  let text: string;
  try {
    text = fs.readText('/proc/self/mountinfo');
  } catch (e) {
    throw new VirtuneError(1, `cannot read /proc/self/mountinfo to find the cgroup mounts (${e instanceof Error ? e.message : 'unreadable'})`);
  }
  const mounts = parseMountinfo(text);
  const u = findUnifiedMount(mounts);
  return detectCgroupLayout(mounts, u ? tryRead(fs, `${u.mountPoint}/cgroup.controllers`) : null);
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

export function guestCgroups(fs: HostFs, raw: RawSample, g: RawGuest): GuestCgroups {
  const layout = cgroupLayoutOf(fs);
  const version: 1 | 2 = g.cgroup?.version ?? layout.version ?? raw.host.cgroupVersion ?? 1;
  const proc = tryRead(fs, `/proc/${g.pid}/cgroup`);
  const pc = proc ? parseProcCgroup(proc) : null;
  // QEMU's main thread sits in a thread group of libvirt's layout (`…/emulator`, under `…scope/libvirt/`
  // with systemd): whole-guest limits belong to the guest's group above it, the one the collector
  // reports, never to the emulator threads alone.
  const rel = (c: string): string | null => {
    const p = pc ? (version === 2 ? pc.v2 : pc.v1.get(c)) ?? undefined : undefined;
    if (p === undefined) return g.cgroup?.path ?? null;
    return guestLevel(p);
  };
  const mountOf = (c: string): CgroupMount | null => (version === 2 ? layout.unified : layout.v1.get(c) ?? null);
  return {
    version,
    rel,
    // a controller that is not mounted: the path it would have, so a plan names what is missing
    mount: (c) => mountOf(c)?.mountPoint ?? (version === 2 ? '/sys/fs/cgroup' : `/sys/fs/cgroup/${c}`),
    dir: (c) => {
      const r = rel(c);
      const m = mountOf(c);
      return r === null || m === null ? null : dirIn(m, r);
    },
    own: (c) => {
      const r = rel(c);
      if (r === null || r === '/' || r === '') return false;
      if (g.cgroup && g.cgroup.own === false && (version === 2 || r === g.cgroup.path)) return false;
      return true;
    },
  };
}
