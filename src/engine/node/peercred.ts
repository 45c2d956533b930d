// Owns reading a unix-socket peer's credentials from the kernel (SO_PEERCRED) through the small
// Node-API addon (native-addon.ts), and mapping
// the uid to a user name from /etc/passwd. Returns null when the addon is not built or the socket
// has no descriptor; callers then record the caller as unknown (null), never as root.

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
