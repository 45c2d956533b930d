// Owns the pure parsers of sysfs files: NUMA node cpulist/distance/meminfo, hugepage directory names,
// THP bracketed modes, block device uevent and /sys/dev/block symlink targets, single-number files
// (net statistics, KSM, hugepage counters). Text in, values out; no I/O.

import { parseError, toInt } from '../parse-common.js';

/** `node<N>/meminfo`: `Node <N> <Key>: <value> [kB]` → key → bytes (HugePages_* lines are counts). */
export function parseNodeMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^Node (\d+) ([^:]+):\s+(\d+)( kB)?\s*$/.exec(line.trim());
    if (m) out.set(m[2] as string, m[4] ? Number(m[3]) * 1024 : Number(m[3]));
  }
  return out;
}

/** `node<N>/distance`: space-separated distances to every online node in node order. */
export function parseDistance(text: string): number[] {
  const t = text.trim();
  if (t === '') throw parseError('node distance', text);
  return t.split(/\s+/).map((s) => {
    const v = toInt(s);
    if (v === null) throw parseError('node distance', text);
    return v;
  });
}

/** THP `enabled`/`defrag`: the bracketed selected value (`always [madvise] never` → `madvise`). */
export function parseBracketed(text: string): string | null {
  const m = /\[([^\]]+)\]/.exec(text);
  return m ? (m[1] as string) : null;
}

/** `hugepages-2048kB` → 2048 (KiB), else null. */
export function parseHugepagesDirName(name: string): number | null {
  const m = /^hugepages-(\d+)kB$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** `node3` → 3, else null. */
export function parseNodeDirName(name: string): number | null {
  const m = /^node(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** A uevent file: `KEY=value` lines (DEVNAME, MAJOR, MINOR, DEVTYPE). */
export function parseUevent(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** Target of `/sys/dev/block/MAJ:MIN` (`../../devices/…/block/vda`) → device name (`vda`). */
export function blockNameFromLink(target: string): string | null {
  const parts = target.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  return parts.length > 0 ? (parts[parts.length - 1] as string) : null;
}

/** A single decimal counter file (net statistics, KSM, hugepage counts); throws when not one integer. */
export function parseCounter(text: string, what: string): number {
  const v = toInt(text);
  if (v === null) throw parseError(what, text);
  return v;
}
