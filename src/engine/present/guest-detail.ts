// Owns the guest detail view-model: the guest's current settings (weight, quota, cpuset, nodes, memory,
// disk and network limits) and the per-vCPU / per-disk / per-NIC / per-node tables, each table tagged
// with the chart section it belongs to (the charts themselves: guest-charts.ts). Pure: faces fetch
// history themselves and only draw.

import { allDisks, countedDisks, diskHasLimit } from '../model/disk-io.js';
import type { GuestSnap } from '../model/snapshot.js';
import { formatBytes, formatMs, formatOps, formatPct, formatRate, UNKNOWN } from './format.js';
import { guestMemBytes } from './guest-table.js';

/** the chart section (guest-charts.ts ChartGroup) a table belongs to */
export type DetailSection = 'cpu' | 'disk' | 'net' | 'mem';

export interface DetailTable { title: string; section: DetailSection; header: string[]; rows: string[][] }

export interface GuestDetailVM {
  name: string;
  title: string;
  settings: Array<[string, string]>;
  tables: DetailTable[];
}

/** cgroup quota as percent of one CPU (null = none). */
export function quotaPct(g: GuestSnap): number | null {
  const q = g.cpu.quotaUsec;
  const p = g.cpu.periodUsec;
  return q === null || p === null || p <= 0 ? null : (q / p) * 100;
}

const lim = (v: number | null, f: (n: number) => string): string | null => (v === null || v <= 0 ? null : f(v));

function diskLimitText(d: GuestSnap['disks'][number]): string {
  const l = d.limits;
  const parts = [
    lim(l.readIops, (n) => `r ${n} iops`), lim(l.writeIops, (n) => `w ${n} iops`), lim(l.totalIops, (n) => `${n} iops`),
    lim(l.readBytesPerSec, (n) => `r ${formatRate(n)}`), lim(l.writeBytesPerSec, (n) => `w ${formatRate(n)}`),
    lim(l.totalBytesPerSec, (n) => formatRate(n)),
  ].filter((x): x is string => x !== null);
  return parts.length ? parts.join(', ') : 'none';
}

const kbit = (k: number | null): string => (k === null ? 'none' : k >= 1000 ? `${(k / 1000).toFixed(k % 1000 ? 1 : 0)} mbit/s` : `${k} kbit/s`);

export function guestSettings(g: GuestSnap): Array<[string, string]> {
  const qp = quotaPct(g);
  const out: Array<[string, string]> = [
    ['id', g.id],
    ['manager / pid', `${g.manager} / ${g.pid}`],
    ['state', g.state ?? UNKNOWN],
    [g.cpu.weight !== null ? 'cpu.weight' : 'cpu.shares', String(g.cpu.weight ?? g.cpu.shares ?? UNKNOWN)],
    ['cpu quota', qp === null ? 'none' : `${formatPct(qp, 0)} (${g.cpu.quotaUsec} of ${g.cpu.periodUsec} µs)`],
    ['cpuset', g.cpu.cpuset ?? UNKNOWN],
    ['memory nodes', g.memory.mems ?? UNKNOWN],
    ['memory max', g.memory.maxBytes === null ? (g.memory.maxUnlimited === false ? UNKNOWN : 'none') : formatBytes(g.memory.maxBytes)],
  ];
  for (const d of allDisks(g)) if (d.source !== 'cgroup' || diskHasLimit(d)) {
    out.push([`disk ${d.name}`, diskLimitText(d)]);
  }
  for (const n of g.nics) {
    out.push([`net ${n.ifname}`, n.shaping.active === null && n.shaping.inKbitPerSec === null ? 'unknown'
      : `in ${kbit(n.shaping.inKbitPerSec)}, out ${kbit(n.shaping.outKbitPerSec)}`]);
  }
  return out;
}

export function guestDetail(g: GuestSnap): GuestDetailVM {
  const counted = new Set(countedDisks(allDisks(g)));
  const tables: DetailTable[] = [
    {
      title: 'vCPUs (percent of one CPU)', section: 'cpu', header: ['vCPU', 'CPU%', 'RUNQ%', 'on', 'allowed'],
      rows: g.vcpus.map((v) => [String(v.index), formatPct(v.usagePct), formatPct(v.runDelayPct), v.lastCpu === null ? UNKNOWN : String(v.lastCpu), v.cpusAllowed ?? UNKNOWN]),
    },
    {
      title: 'disks', section: 'disk', header: ['disk', 'src', 'r iops', 'w iops', 'read', 'write', 'r lat', 'w lat'],
      rows: allDisks(g).map((d) => [
        counted.has(d) ? d.name : `(${d.name})`, d.source,
        formatOps(d.readIops), formatOps(d.writeIops), formatRate(d.readBytesPerSec), formatRate(d.writeBytesPerSec),
        formatMs(d.readLatencyMs), formatMs(d.writeLatencyMs),
      ]),
    },
    {
      title: 'network (rx = received by the guest)', section: 'net', header: ['if', 'rx', 'tx', 'rx pkt/s', 'tx pkt/s', 'drops/s'],
      rows: g.nics.map((n) => [
        n.ifname, formatRate(n.rxBytesPerSec), formatRate(n.txBytesPerSec), formatOps(n.rxPacketsPerSec), formatOps(n.txPacketsPerSec),
        n.rxDroppedPerSec === null || n.txDroppedPerSec === null ? UNKNOWN : formatOps(n.rxDroppedPerSec + n.txDroppedPerSec),
      ]),
    },
    {
      title: 'memory per node', section: 'mem', header: ['node', 'resident'],
      rows: Object.entries(g.memory.perNodeBytes ?? {}).map(([n, b]) => [n, formatBytes(b)]),
    },
  ];
  return {
    name: g.name,
    title: `${g.name}  ${g.vcpus.length} vCPUs  cpu ${formatPct(g.cpu.usagePct)}  mem ${formatBytes(guestMemBytes(g))}`,
    settings: guestSettings(g), tables,
  };
}
