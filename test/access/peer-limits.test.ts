// Per-peer limits (engine/rpc/peer-limits.ts): connections per peer, subscriptions per peer across its
// connections, and a request-rate token bucket that reconnecting does not refill.

import { describe, expect, it } from 'vitest';
import { PeerLimits } from '../../src/engine/rpc/peer-limits.js';

describe('PeerLimits', () => {
  it('caps connections per peer, independently per peer, and frees a slot on release', () => {
    let now = 0;
    const l = new PeerLimits({ maxConnections: 2, maxSubscriptions: 3, ratePerSec: 10, burst: 5 }, () => now);
    const a1 = l.open('uid:1');
    const a2 = l.open('uid:1');
    expect(a1 && a2).toBeTruthy();
    expect(l.open('uid:1')).toBeNull();
    expect(l.open('uid:2')).not.toBeNull();
    a1!.release();
    a1!.release(); // twice is once
    expect(l.connectionsOf('uid:1')).toBe(1);
    expect(l.open('uid:1')).not.toBeNull();
  });

  it('caps subscriptions over all of a peer\'s connections', () => {
    const l = new PeerLimits({ maxConnections: 5, maxSubscriptions: 3, ratePerSec: 10, burst: 5 }, () => 0);
    const a = l.open('p')!;
    const b = l.open('p')!;
    expect([a.quota.addSubscription(), b.quota.addSubscription(), a.quota.addSubscription()]).toEqual([true, true, true]);
    expect(b.quota.addSubscription()).toBe(false);
    a.quota.removeSubscription();
    expect(b.quota.addSubscription()).toBe(true);
  });

  it('limits the request rate with a burst, refills with time, and a reconnect does not reset it', () => {
    let now = 0;
    const l = new PeerLimits({ maxConnections: 5, maxSubscriptions: 3, ratePerSec: 10, burst: 5 }, () => now);
    const a = l.open('p')!;
    const took = Array.from({ length: 7 }, () => a.quota.takeRequest());
    expect(took).toEqual([true, true, true, true, true, false, false]);
    a.release();
    const b = l.open('p')!;
    expect(b.quota.takeRequest()).toBe(false);
    now += 200; // 10/s: two more
    expect([b.quota.takeRequest(), b.quota.takeRequest(), b.quota.takeRequest()]).toEqual([true, true, false]);
  });
});
