// Owns planning of the guest's memory hard limit (v2 memory.max, v1 memory.limit_in_bytes), refusing a
// limit below current use unless --force, and of the host-level memory knobs: KSM (run, pages_to_scan,
// sleep_millisecs, merge_across_nodes — changeable only while no pages are merged) and hugepage pools
// per size and node (the kernel may allocate fewer than asked: read back, warn).

import { VirtuneError } from '../engine/model/errors.js';
import type { RawGuest } from '../engine/model/sample.js';
import type { TuningChange } from '../engine/model/tuning.js';
import { tryRead } from './guest.js';
import { checkHugepages } from './hugepages-check.js';
import { cgWrite, readCurrent, type PlanCtx } from './plan-context.js';
import { humanBytes } from '../engine/model/units.js';

export const V1_UNLIMITED_MIN = 2 ** 62;

export function planMemMax(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'memMax' }>): void {
  const g = ctx.guest as RawGuest;
  const v = ctx.cg?.version ?? 1;
  if (v === 1 && !ctx.cg?.own('memory') && !ctx.req.isolate) {
    throw new VirtuneError(2, `guest ${g.id}: its memory cgroup ${ctx.cg?.rel('memory') ?? '?'} is shared with other processes; a memory limit there would hit them too (on cgroup v1 virtune never creates memory cgroups, so --isolate cannot help)`);
  }
  if (v === 1 && ctx.req.isolate && !ctx.cg?.own('memory')) {
    ctx.warnings.push(`--mem-max not applied: on cgroup v1 virtune never creates memory cgroups, so the guest stays in its shared memory group ${ctx.cg?.rel('memory') ?? '?'}`);
    return;
  }
  const dir = ctx.cg?.dir('memory');
  let current = g.memory.currentBytes;
  if (current === null && dir && !ctx.fresh.has('memory')) {
    const t = tryRead(ctx.fs, `${dir}/${v === 2 ? 'memory.current' : 'memory.usage_in_bytes'}`);
    current = t === null ? null : Number(t.trim());
  }
  if (c.bytes !== 'max' && current !== null && c.bytes < current && !ctx.req.force) {
    throw new VirtuneError(2, `--mem-max: ${humanBytes(c.bytes)} is below the guest's current use ${humanBytes(current)}; the OOM killer would act — pass --force to do it anyway`);
  }
  if (c.bytes !== 'max' && current !== null && c.bytes < current) {
    ctx.warnings.push(`--mem-max ${humanBytes(c.bytes)} is below current use ${humanBytes(current)} (--force): the kernel will reclaim and may OOM-kill the guest`);
  }
  if (v === 2) {
    cgWrite(ctx, 'memory', 'memory.max', c.bytes === 'max' ? 'max' : String(c.bytes), 'the memory limit', { fromFresh: 'max' });
  } else {
    const path = `${dir ?? ''}/memory.limit_in_bytes`;
    const from = ctx.fresh.has('memory') ? null : readCurrent(ctx.fs, path);
    const undo = from !== null && Number(from) >= V1_UNLIMITED_MIN ? '-1' : undefined;
    cgWrite(ctx, 'memory', 'memory.limit_in_bytes', c.bytes === 'max' ? '-1' : String(c.bytes), 'the memory limit',
      { fromFresh: '-1', ...(from !== null ? { from } : {}), ...(undo ? { undo } : {}) });
  }
}

const KSM = '/sys/kernel/mm/ksm';

export function planKsm(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'ksm' }>): void {
  if (!ctx.fs.exists(`${KSM}/run`)) throw new VirtuneError(3, `KSM is not available on this kernel (${KSM} is missing)`);
  const order = ['run', 'pages_to_scan', 'sleep_millisecs', 'merge_across_nodes'] as const;
  for (const k of order) {
    const v = c.settings[k];
    if (v === undefined) continue;
    const path = `${KSM}/${k}`;
    const from = readCurrent(ctx.fs, path);
    if (k === 'merge_across_nodes' && from !== String(v)) {
      if (!ctx.fs.exists(path)) throw new VirtuneError(3, `${path} does not exist (a kernel without NUMA KSM support)`);
      const shared = Number(tryRead(ctx.fs, `${KSM}/pages_shared`) ?? 0);
      const sharing = Number(tryRead(ctx.fs, `${KSM}/pages_sharing`) ?? 0);
      const unmerging = c.settings.run === 2;
      if ((shared > 0 || sharing > 0) && !unmerging) {
        throw new VirtuneError(2, `--ksm merge_across_nodes can only change while no pages are merged (pages_shared=${shared}, pages_sharing=${sharing}); ` +
          `unmerge first with run=2 (e.g. --ksm run=2,merge_across_nodes=${v}), which can take long and needs the memory back`);
      }
    }
    if (k === 'run' && v === 2) ctx.warnings.push('KSM run=2 unmerges every merged page: it can take long and needs the saved memory back');
    ctx.steps.push({ kind: 'sysfs-write', path, from, to: String(v) });
  }
}

export function planHugepages(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'hugepages' }>): void {
  const sizeDir = `hugepages-${c.sizeKb}kB`;
  if (!ctx.fs.exists(`/sys/kernel/mm/hugepages/${sizeDir}`)) {
    let sizes: string[] = [];
    try { sizes = ctx.fs.readDir('/sys/kernel/mm/hugepages').map((d) => d.replace(/^hugepages-/, '')); } catch { /* none */ }
    throw new VirtuneError(2, `--hugepages: this host has no ${c.sizeKb} kB hugepages (sizes: ${sizes.join(', ') || 'none'})`);
  }
  const path = c.node === null
    ? `/sys/kernel/mm/hugepages/${sizeDir}/nr_hugepages`
    : `/sys/devices/system/node/node${c.node}/hugepages/${sizeDir}/nr_hugepages`;
  if (c.node !== null && !ctx.fs.exists(`/sys/devices/system/node/node${c.node}`)) {
    throw new VirtuneError(3, `--hugepages: NUMA node ${c.node} does not exist`);
  }
  checkHugepages(ctx, c, path.replace(/\/nr_hugepages$/, ''));
  const from = readCurrent(ctx.fs, path);
  ctx.steps.push({ kind: 'sysfs-write', path, from, to: String(c.count), readBackOnly: true,
    note: `${c.sizeKb} kB pages${c.node === null ? '' : ` on node ${c.node}`}` });
}
