// Owns reading a unix-socket peer's credentials from the kernel (SO_PEERCRED) through the small
// Node-API addon (native-addon.ts; native/peercred, built by `npm install` / `npm run build:native`), and mapping
// the uid to a user name from /etc/passwd and the user to its groups (primary gid + /etc/group
// membership). Returns null when the addon is not built or the socket has no descriptor; the daemon
// then refuses to start its read-write socket (it must know who calls), never records a null caller.

import { readFileSync } from 'node:fs';
import type * as net from 'node:net';
import { nativeAddon, type PeerCred } from './native-addon.js';

export type { PeerCred };

const load = nativeAddon;

/** true when the native addon is available */
export function peerCredAvailable(): boolean { return load() !== null; }

export function peerCredOf(sock: net.Socket): PeerCred | null {
  const a = load();
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!a || typeof fd !== 'number' || fd < 0) return null;
  try { return a.peerCred(fd); } catch { return null; }
}

/** user name for a uid from /etc/passwd (null when unknown) */
export function userName(uid: number): string | null {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid) return f[0] ?? null;
    }
  } catch { /* no passwd file */ }
  return null;
}

/** Names of a user's groups: its primary gid's group and every /etc/group entry listing the user. */
export function groupNames(user: string | null, gid: number): string[] {
  const out = new Set<string>();
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length < 4 || !f[0]) continue;
      if (Number(f[2]) === gid) out.add(f[0]);
      else if (user !== null && (f[3] ?? '').split(',').includes(user)) out.add(f[0]);
    }
  } catch { /* no group file: no groups */ }
  return [...out];
}
