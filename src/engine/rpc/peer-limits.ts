// Owns the daemon's per-peer limits: how many connections one peer (a unix uid, a websocket remote
// address) may hold, how many subscriptions across them, and its request rate (a token bucket shared
// by its connections). Pure bookkeeping with an injected clock; the transports ask it per connection
// and the RPC server per request, so one local user cannot starve the daemon for the others.

import type { PeerQuota } from './server.js';

export interface PeerLimitSettings {
  /** live connections per peer */
  maxConnections: number;
  /** live subscriptions per peer, over all its connections */
  maxSubscriptions: number;
  /** sustained requests per second per peer */
  ratePerSec: number;
  /** requests a peer may send at once before the rate applies */
  burst: number;
}

export const DEFAULT_PEER_LIMITS: PeerLimitSettings = { maxConnections: 64, maxSubscriptions: 128, ratePerSec: 100, burst: 400 };

interface Peer { connections: number; subscriptions: number; tokens: number; at: number }

export interface PeerSlot {
  quota: PeerQuota;
  /** the connection closed: give its slot (and its subscriptions, via the server) back */
  release(): void;
}

export class PeerLimits {
  private readonly peers = new Map<string, Peer>();

  constructor(readonly settings: PeerLimitSettings, private readonly nowMs: () => number) {}

  /** live connections of a peer */
  connectionsOf(key: string): number { return this.peers.get(key)?.connections ?? 0; }

  /** A new connection from `key`; null when the peer already holds the maximum. */
  open(key: string): PeerSlot | null {
    let p = this.peers.get(key);
    if (!p) {
      p = { connections: 0, subscriptions: 0, tokens: this.settings.burst, at: this.nowMs() };
      this.peers.set(key, p);
    }
    if (p.connections >= this.settings.maxConnections) return null;
    p.connections++;
    const peer = p;
    let released = false;
    const quota: PeerQuota = {
      takeRequest: () => {
        const now = this.nowMs();
        peer.tokens = Math.min(this.settings.burst, peer.tokens + ((now - peer.at) / 1000) * this.settings.ratePerSec);
        peer.at = now;
        if (peer.tokens < 1) return false;
        peer.tokens -= 1;
        return true;
      },
      addSubscription: () => {
        if (peer.subscriptions >= this.settings.maxSubscriptions) return false;
        peer.subscriptions++;
        return true;
      },
      removeSubscription: () => { if (peer.subscriptions > 0) peer.subscriptions--; },
    };
    return {
      quota,
      release: () => {
        if (released) return;
        released = true;
        peer.connections--;
        // forget an idle peer whose bucket is full again (nothing left to remember); a peer that
        // reconnects to get a fresh bucket keeps its drained one
        const refilled = peer.tokens + ((this.nowMs() - peer.at) / 1000) * this.settings.ratePerSec;
        if (peer.connections === 0 && peer.subscriptions === 0 && refilled >= this.settings.burst) this.peers.delete(key);
      },
    };
  }
}
