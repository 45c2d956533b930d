// Owns reading the tc shaping of every guest tap (RawNic.shaping), on settings ticks, carried in
// between: one `tc -j qdisc show` per network namespace tells which taps have a root HTB or an ingress
// qdisc at all; only those pay for `tc class show` / `tc filter show` (and the IFB's classes). `in` is
// the tap's root HTB rate (traffic to the guest), `out` the ingress policer's rate or the rate of the
// IFB the ingress traffic is redirected to (traffic from the guest). A tap with neither qdisc is known
// to be unshaped ({ null, null }); shaping stays null (unknown) when tc could not be asked.
// Only for the local host: a tree read under --root has no taps here.

import type { RawGuest, RawNic } from '../../engine/model/sample.js';
import type { CommandRunner } from '../../engine/ports/command-runner.js';
import type { HostFs } from '../../engine/ports/host-fs.js';
import type { EnrichContext, GuestEnricher } from '../../engine/ports/sources.js';
import { parseIngressFilters, parseQdiscJson, rootHtbRateKbit, type TcQdisc } from './parse.js';

export interface TcEnricherDeps { runner: CommandRunner; fs: HostFs; timeoutMs?: number }

type Shaping = NonNullable<RawNic['shaping']>;

export function createTcEnricher(deps: TcEnricherDeps): GuestEnricher {
  const carried = new Map<string, Shaping | null>(); // key: guest id + ifname
  const timeoutMs = deps.timeoutMs ?? 2000;

  /** argv prefix for a guest whose QEMU lives in another network namespace. */
  const netnsOf = (pid: number): string | null => {
    try {
      const theirs = deps.fs.readLink(`/proc/${pid}/ns/net`);
      return theirs === deps.fs.readLink('/proc/self/ns/net') ? null : `/proc/${pid}/ns/net`;
    } catch {
      return null;
    }
  };

  async function tc(ns: string | null, args: string[]): Promise<string | null> {
    const argv = ns ? ['nsenter', `--net=${ns}`, 'tc', ...args] : ['tc', ...args];
    const r = await deps.runner.run(argv, { timeoutMs, maxOutputBytes: 4 << 20 });
    return r.code === 0 ? r.stdout : null;
  }

  async function shapingOf(ns: string | null, ifname: string, qdiscs: TcQdisc[]): Promise<Shaping | null> {
    const mine = qdiscs.filter((q) => q.dev === ifname);
    const out: Shaping = { inKbitPerSec: null, outKbitPerSec: null };
    if (mine.some((q) => q.root && q.kind === 'htb')) {
      const classes = await tc(ns, ['class', 'show', 'dev', ifname]);
      if (classes === null) return null;
      out.inKbitPerSec = rootHtbRateKbit(classes);
    }
    if (mine.some((q) => q.kind === 'ingress' || q.kind === 'clsact')) {
      const filters = await tc(ns, ['filter', 'show', 'dev', ifname, 'ingress']);
      if (filters === null) return null;
      const f = parseIngressFilters(filters);
      out.outKbitPerSec = f.policeKbit;
      if (f.policeKbit === null && f.redirectTo !== null) {
        const ifb = await tc(ns, ['class', 'show', 'dev', f.redirectTo]);
        out.outKbitPerSec = ifb === null ? null : rootHtbRateKbit(ifb);
      }
    }
    return out;
  }

  async function readAll(guests: RawGuest[], ctx: EnrichContext): Promise<void> {
    const byNs = new Map<string | null, RawGuest[]>();
    for (const g of guests) {
      if (g.nics.length === 0) continue;
      const ns = netnsOf(g.pid);
      byNs.set(ns, [...(byNs.get(ns) ?? []), g]);
    }
    for (const [ns, gs] of byNs) {
      const text = await tc(ns, ['-j', 'qdisc', 'show']);
      let qdiscs: TcQdisc[] | null = null;
      try {
        qdiscs = text === null ? null : parseQdiscJson(text);
      } catch (e) {
        ctx.errors.push({ source: 'tc', guest: null, message: `tc -j qdisc show: ${e instanceof Error ? e.message : String(e)}`, kind: 'parse' });
      }
      for (const g of gs) {
        for (const n of g.nics) {
          if (n.macvtap) continue;
          const s = qdiscs === null ? null : await shapingOf(ns, n.ifname, qdiscs);
          carried.set(`${g.id}\0${n.ifname}`, s);
        }
      }
      if (qdiscs === null) ctx.errors.push({ source: 'tc', guest: null, message: 'tc could not be asked for qdiscs; shaping unknown', kind: 'io' });
    }
  }

  return {
    name: 'tc',
    async enrich(guests: RawGuest[], ctx: EnrichContext): Promise<void> {
      const first = guests.some((g) => g.nics.some((n) => !carried.has(`${g.id}\0${n.ifname}`)));
      if (ctx.tasks.has('settings') || ctx.tasks.has('discovery') || first) {
        carried.clear();
        await readAll(guests, ctx);
      }
      for (const g of guests) {
        for (const n of g.nics) {
          const s = carried.get(`${g.id}\0${n.ifname}`);
          if (s !== undefined && n.shaping === null) n.shaping = s === null ? null : { ...s };
        }
      }
    },
    async close(): Promise<void> {
      carried.clear();
    },
  };
}
