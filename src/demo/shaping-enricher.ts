// Owns the demo host's tc shaping as the collector sees it (RawNic.shaping): the demo's simulated tc
// keeps no state the sampler could ask (it lives with the tuner, possibly in another thread or
// process), but it publishes each tap's effective limits in the demo tree's shaping file, which the
// simulation itself obeys. Read on the first tick and on settings and discovery ticks, carried in
// between, as the real tc enricher does on a host. The file names every shaped tap (the demo's built-in
// scenarios write it before the simulated tc starts from it), so a tap it does not name, or no file at
// all, is known to be unshaped ({ null, null }); a file that cannot be read leaves shaping unknown (null)
// and says so in `errors`.

import { HostError } from '../engine/model/errors.js';
import type { RawGuest, RawNic } from '../engine/model/sample.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { EnrichContext, GuestEnricher } from '../engine/ports/sources.js';
import { parseShaping, SHAPING_FILE, type TapShaping } from './net-shaping.js';

type Shaping = NonNullable<RawNic['shaping']>;

/** The shaping file's taps, an empty map when there is no file yet; throws HostError otherwise. */
export function readDemoShaping(fs: HostFs): Map<string, TapShaping> {
  try {
    return parseShaping(fs.readText(SHAPING_FILE));
  } catch (e) {
    if (e instanceof HostError && e.kind === 'missing') return new Map();
    throw e;
  }
}

/** a tap the file does not name: one frozen object every such NIC shares, tick after tick */
const UNSHAPED: Shaping = Object.freeze({ inKbitPerSec: null, outKbitPerSec: null });

export function createDemoShapingEnricher(fs: HostFs): GuestEnricher {
  // per tap, the frozen shaping handed over until the next read (null: not read yet, or unreadable;
  // a tap not in the map is unshaped)
  let taps: Map<string, Shaping> | null = null;
  let read = false;

  const refresh = (ctx: EnrichContext): void => {
    read = true;
    try {
      taps = new Map([...readDemoShaping(fs)].map(([ifname, t]) => [ifname, Object.freeze({ inKbitPerSec: t.inKbit, outKbitPerSec: t.outKbit })]));
    } catch (e) {
      taps = null;
      ctx.errors.push({ source: 'tc', guest: null, message: `demo shaping: ${e instanceof Error ? e.message : String(e)}; shaping unknown`, kind: 'io' });
    }
  };

  return {
    name: 'demo-tc',
    async enrich(guests: RawGuest[], ctx: EnrichContext): Promise<void> {
      if (!read || ctx.tasks.has('settings') || ctx.tasks.has('discovery')) refresh(ctx);
      if (taps === null) return;
      for (const g of guests) {
        for (const n of g.nics) if (n.shaping === null && !n.macvtap) n.shaping = taps.get(n.ifname) ?? UNSHAPED;
      }
    },
    async close(): Promise<void> {
      taps = null;
    },
  };
}
