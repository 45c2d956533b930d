// Owns the sanity checks of a hugepage pool change, as --mem-max has them: growing the pool beyond
// the memory that is available (host: MemAvailable; one node: its MemFree) and shrinking it below the
// pages in use are refused unless --force (then a warning says what the kernel will do instead).

import { VirtuneError } from '../engine/model/errors.js';
import type { TuningChange } from '../engine/model/tuning.js';
import { tryRead } from './guest.js';
import type { PlanCtx } from './plan-context.js';
import { humanBytes } from '../engine/model/units.js';

const num = (t: string | null): number | null => (t === null || !/^\d+$/.test(t.trim()) ? null : Number(t.trim()));

/** `MemAvailable:  123 kB` (host) or `Node 0 MemFree:  123 kB` (node) → bytes. */
function meminfoBytes(text: string | null, key: string): number | null {
  if (text === null) return null;
  const m = new RegExp(`^(?:Node \\d+ )?${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

export function checkHugepages(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'hugepages' }>, dir: string): void {
  const spec = `${c.sizeKb >= 1048576 ? `${c.sizeKb / 1048576}G` : c.sizeKb >= 1024 ? `${c.sizeKb / 1024}M` : `${c.sizeKb}K`}${c.node === null ? '' : `@${c.node}`}=${c.count}`;
  const total = num(tryRead(ctx.fs, `${dir}/nr_hugepages`));
  const free = num(tryRead(ctx.fs, `${dir}/free_hugepages`));
  const force = ctx.req.force === true;
  if (total !== null && free !== null && c.count < total - free) {
    const used = total - free;
    if (!force) throw new VirtuneError(2, `--hugepages ${spec}: ${used} pages of the pool are in use, so it cannot shrink to ${c.count}; pass --force to ask the kernel anyway (it frees only unused pages)`);
    ctx.warnings.push(`--hugepages ${spec} is below the ${used} pages in use (--force): the kernel frees only the unused pages`);
  }
  if (total === null || c.count <= total) return;
  const grow = (c.count - total) * c.sizeKb * 1024;
  const avail = c.node === null
    ? meminfoBytes(tryRead(ctx.fs, '/proc/meminfo'), 'MemAvailable')
    : meminfoBytes(tryRead(ctx.fs, `/sys/devices/system/node/node${c.node}/meminfo`), 'MemFree');
  if (avail === null || grow <= avail) return;
  const where = c.node === null ? 'available on this host' : `free on node ${c.node}`;
  if (!force) throw new VirtuneError(2, `--hugepages ${spec}: growing the pool needs ${humanBytes(grow)} more, but only ${humanBytes(avail)} is ${where}; pass --force to ask the kernel anyway (it allocates what it can)`);
  ctx.warnings.push(`--hugepages ${spec} needs ${humanBytes(grow)} but only ${humanBytes(avail)} is ${where} (--force): the kernel allocates what it can`);
}
