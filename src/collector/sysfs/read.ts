// Owns the thin sysfs readers: NUMA nodes, hugepage pools, THP, KSM, net statistics and block device
// names, one file each through ReadCtx, parsed by sysfs/parse.ts.

import type { ReadCtx } from '../read-ctx.js';
import { blockNameFromLink, parseBracketed, parseCounter, parseDistance, parseNodeMeminfo, parseUevent } from './parse.js';
import { parseCpusetList } from '../cgroup/parse.js';

const S = 'sysfs';

export const readCounter = (ctx: ReadCtx, path: string): number | null => ctx.get(path, S, (t) => parseCounter(t, path));
/** A number that is a setting (a pool size, a KSM knob): read on settings ticks, carried in between. */
export const readSettingCounter = (ctx: ReadCtx, path: string): number | null => ctx.carried(path, S, (t) => parseCounter(t, path));
export const readList = (ctx: ReadCtx, path: string): string | null => ctx.get(path, S, parseCpusetList);
export const readNodeMeminfo = (ctx: ReadCtx, node: number): Map<string, number> | null =>
  ctx.get(`/sys/devices/system/node/node${node}/meminfo`, S, parseNodeMeminfo);
export const readNodeDistance = (ctx: ReadCtx, node: number): number[] | null =>
  ctx.get(`/sys/devices/system/node/node${node}/distance`, S, parseDistance, false);
/** THP mode (`enabled`, `defrag`): a setting, read on settings ticks and carried in between. */
export const readThp = (ctx: ReadCtx, file: string): string | null =>
  ctx.carried(`/sys/kernel/mm/transparent_hugepage/${file}`, S, parseBracketed);

/** Block device name of `MAJ:MIN`: the /sys/dev/block symlink's last component, else uevent DEVNAME. */
export function readBlockName(ctx: ReadCtx, majmin: string): string | null {
  const link = ctx.link(`/sys/dev/block/${majmin}`);
  const fromLink = link ? blockNameFromLink(link) : null;
  if (fromLink) return fromLink;
  const ue = ctx.get(`/sys/dev/block/${majmin}/uevent`, S, parseUevent, false);
  return ue?.get('DEVNAME') ?? null;
}

/** Net interface statistics (64-bit counters), as the host sees them (tap direction). */
export function readNetStats(ctx: ReadCtx, ifname: string): {
  rxBytes: number | null; txBytes: number | null; rxPackets: number | null; txPackets: number | null;
  rxDropped: number | null; txDropped: number | null;
} {
  const base = `/sys/class/net/${ifname}/statistics`;
  return {
    rxBytes: readCounter(ctx, `${base}/rx_bytes`), txBytes: readCounter(ctx, `${base}/tx_bytes`),
    rxPackets: readCounter(ctx, `${base}/rx_packets`), txPackets: readCounter(ctx, `${base}/tx_packets`),
    rxDropped: readCounter(ctx, `${base}/rx_dropped`), txDropped: readCounter(ctx, `${base}/tx_dropped`),
  };
}
