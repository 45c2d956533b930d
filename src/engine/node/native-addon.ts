// Owns loading the small Node-API addon in native/peercred (built by `npm install` /
// `npm run build:native`): SO_PEERCRED for unix-socket peers and flock(2) for the state lock. Returns
// null when the addon is not built; each caller decides what that means for it.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface PeerCred { uid: number; gid: number; pid: number }

export interface NativeAddon {
  peerCred(fd: number): PeerCred;
  /** false: another open file description holds the lock */
  flock(fd: number, op: 'try-exclusive' | 'unlock'): boolean;
}

let addon: NativeAddon | null | undefined;

export function nativeAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  try {
    const require = createRequire(import.meta.url);
    // src/engine/node and dist/engine/node are both three levels below the package root
    const file = fileURLToPath(new URL('../../../native/peercred/build/Release/peercred.node', import.meta.url));
    addon = require(file) as NativeAddon;
  } catch {
    addon = null;
  }
  return addon;
}
