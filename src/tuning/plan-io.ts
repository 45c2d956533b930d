// Owns planning of disk limits: cgroup block throttling on whole disks (v2 io.max, v1
// blkio.throttle.*_device; DEV given as vda, /dev/sdb or 8:16 and resolved through /sys/class/block and
// /sys/dev/block; a partition is refused) and QEMU throttling through QMP block_set_io_throttle (all six
// mandatory values, the optional ones, QEMU's validation rules from util/throttle.c).

import { VirtuneError } from '../engine/model/errors.js';
import type { Limit, RawDisk, RawGuest } from '../engine/model/sample.js';
import type { TuningChange } from '../engine/model/tuning.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import { diskKey, parseBlockLimits } from '../collector/qmp/parse.js';
import { tryRead } from './guest.js';
import { THROTTLE_BASE } from '../engine/model/tuning-parse.js';
import { THROTTLE_LENGTH_MAX, THROTTLE_VALUE_MAX, throttleViolation, type ThrottleViolation } from '../engine/model/throttle-rules.js';
import { cgWrite, type PlanCtx } from './plan-context.js';

export interface BlockDev { name: string; majmin: string }

function base(p: string): string {
  return p.split('/').filter(Boolean).pop() ?? p;
}

/** Resolve vda | /dev/sdb | 8:16 to a whole disk; partition → exit 2; unknown → exit 3. */
export function resolveBlockDevice(fs: HostFs, dev: string): BlockDev {
  let name: string;
  if (/^\d+:\d+$/.test(dev)) {
    let link: string;
    try { link = fs.readLink(`/sys/dev/block/${dev}`); } catch {
      throw new VirtuneError(3, `--io: block device ${dev} does not exist (/sys/dev/block/${dev})`);
    }
    name = base(link);
  } else {
    name = base(dev);
    if (dev.startsWith('/dev/')) {
      try { name = base(fs.readLink(dev)); } catch { /* not a symlink */ }
    }
  }
  const cls = `/sys/class/block/${name}`;
  const majmin = tryRead(fs, `${cls}/dev`)?.trim();
  if (!majmin) throw new VirtuneError(3, `--io: block device '${dev}' does not exist (no ${cls})`);
  if (fs.exists(`${cls}/partition`)) {
    let parent = '?';
    try {
      const link = fs.readLink(cls).split('/').filter(Boolean);
      parent = link[link.length - 2] ?? '?';
    } catch { parent = name.replace(/p?\d+$/, ''); }
    throw new VirtuneError(2, `--io: '${dev}' (${name}, ${majmin}) is a partition; cgroup block limits apply to whole disks only (use ${parent})`);
  }
  return { name, majmin };
}

type IoKey = 'riops' | 'wiops' | 'rbps' | 'wbps';
const V1_FILE: Record<IoKey, string> = {
  riops: 'blkio.throttle.read_iops_device', wiops: 'blkio.throttle.write_iops_device',
  rbps: 'blkio.throttle.read_bps_device', wbps: 'blkio.throttle.write_bps_device',
};

/** Parse io.max (`8:16 rbps=2097152 wbps=max riops=max wiops=120`) for one device. Pure. */
export function parseIoMaxLine(text: string, majmin: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] !== majmin) continue;
    for (const kv of parts.slice(1)) {
      const [k, v] = kv.split('=');
      if (k && v) out[k] = v;
    }
  }
  return out;
}

/** Parse a v1 blkio.throttle.*_device file for one device → value or null (no rule). Pure. */
export function parseThrottleDevice(text: string, majmin: string): number | null {
  for (const line of text.split('\n')) {
    const [d, v] = line.trim().split(/\s+/);
    if (d === majmin && v !== undefined) {
      if (!/^\d{1,20}$/.test(v)) throw new VirtuneError(1, `the current rule '${line.trim()}' is not a number of bytes or IOs per second; refusing to plan without knowing the value undo would restore`);
      return Number(v);
    }
  }
  return null;
}

/** The current text of a guest's block-limit file: unreadable is an error naming it, never "no limit". */
function readLimits(ctx: PlanCtx, path: string): string {
  try {
    return ctx.fs.readText(path);
  } catch (e) {
    const why = e instanceof Error && 'kind' in e ? String((e as { kind: unknown }).kind) : 'unreadable';
    throw new VirtuneError(1, `cannot read the current limits in ${path} (${why}); refusing to plan a change whose undo value is not known`);
  }
}

export function planIo(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'io' }>): void {
  const dev = resolveBlockDevice(ctx.fs, c.device);
  const keys = Object.keys(c.limits) as IoKey[];
  const what = `block limits on ${dev.name}`;
  if ((ctx.cg?.version ?? 1) === 2) {
    const dir = ctx.cg?.dir('io');
    const cur = ctx.fresh.has('io') || !dir ? {} : parseIoMaxLine(readLimits(ctx, `${dir}/io.max`), dev.majmin);
    const fmt = (l: Limit): string => (l === 'max' ? 'max' : String(l));
    const to = `${dev.majmin} ${keys.map((k) => `${k}=${fmt(c.limits[k] as Limit)}`).join(' ')}`;
    const from = `${dev.majmin} ${keys.map((k) => `${k}=${cur[k] ?? 'max'}`).join(' ')}`;
    cgWrite(ctx, 'io', 'io.max', to, what, { from, fromFresh: from, note: dev.name });
    return;
  }
  for (const k of keys) {
    const l = c.limits[k] as Limit;
    const dir = ctx.cg?.dir('blkio');
    const curV = ctx.fresh.has('blkio') || !dir ? null : parseThrottleDevice(readLimits(ctx, `${dir}/${V1_FILE[k]}`), dev.majmin);
    const from = `${dev.majmin} ${curV ?? 0}`;
    cgWrite(ctx, 'blkio', V1_FILE[k], `${dev.majmin} ${l === 'max' ? 0 : l}`, what, { from, fromFresh: from, note: dev.name });
  }
}


const THROTTLE_KEYS = ['bps', 'bps_rd', 'bps_wr', 'iops', 'iops_rd', 'iops_wr'] as const;

/**
 * The current QMP throttle arguments of a disk, asked from QEMU (query-block) at planning time: the
 * sample cannot tell "no limit" (QEMU's 0) from "not reported" (both null there). A base limit QEMU does
 * not report as a number in range is an error naming it — never 0, which would clear it and make undo
 * "restore" 0. Burst, burst length, iops_size and group come through the collector's parser.
 */
export async function readThrottle(qmp: QmpConnector | undefined, socket: string, diskName: string): Promise<Record<string, number | string>> {
  const fail = (why: string): VirtuneError => new VirtuneError(1, `--disk-throttle ${diskName}: cannot read the current QEMU throttle limits (${why}); refusing to guess them`);
  if (!qmp) throw fail('no QMP connector');
  let blocks: unknown;
  try {
    const ch = await qmp.connect(socket, { timeoutMs: 5000 });
    try { blocks = await ch.execute('query-block'); } finally { await ch.close(); }
  } catch (e) {
    throw fail(e instanceof Error && !(e instanceof TypeError) ? e.message : 'QMP error');
  }
  const entry = (Array.isArray(blocks) ? blocks : []).find((b: unknown) => {
    const o = (b ?? {}) as Record<string, unknown>;
    const ins = (o.inserted ?? {}) as Record<string, unknown>;
    const s = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
    return diskKey(s(o.device), s(o.qdev), s(ins['node-name'])) === diskName;
  }) as Record<string, unknown> | undefined;
  const ins = entry?.inserted as Record<string, unknown> | undefined;
  if (!ins) throw fail(`query-block shows no medium for ${diskName}`);
  const cur: Record<string, number | string> = {};
  const unknown: string[] = [];
  for (const k of THROTTLE_KEYS) {
    const v = ins[k];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= THROTTLE_VALUE_MAX) cur[k] = v; else unknown.push(k);
  }
  if (unknown.length > 0) throw fail(`QEMU did not report ${unknown.join(', ')} as a limit`);
  const extra = parseBlockLimits([entry]).get(diskName)?.extra ?? {};
  for (const [k, v] of Object.entries(extra)) cur[k] = v;
  return cur;
}

/** The words tuning uses for a broken QEMU throttle rule (the rule itself: engine/model/throttle-rules). */
function throttleMessage(v: ThrottleViolation): string {
  switch (v.rule) {
    case 'totalWithReadWrite': return `${v.kind}${v.suf} (total) and ${v.kind}_rd${v.suf}/${v.kind}_wr${v.suf} (read/write) cannot be used at the same time`;
    case 'range': return `${v.key}=${v.value} must be within [0, 1000000000000000]`;
    case 'maxWithoutBase': return `${v.key}_max requires ${v.key} to be set`;
    case 'maxBelowBase': return `${v.key}_max=${v.max} cannot be lower than ${v.key}=${v.base}`;
    case 'lengthZero': return `${v.key}_max_length: the burst length cannot be 0`;
    case 'lengthWithoutMax': return `${v.key}_max_length=${v.length} set without a burst rate ${v.key}_max`;
    case 'lengthRange': return `${v.key}_max_length=${v.length} is above ${THROTTLE_LENGTH_MAX}`;
    case 'burstTooHigh': return `${v.key}_max × ${v.key}_max_length must not exceed 1000000000000000`;
    case 'iopsSizeWithoutIops': return 'iops_size requires an iops value to be set';
  }
}

/** QEMU's rules (util/throttle.c throttle_is_valid), on the merged arguments. Throws exit 2. */
export function validateThrottle(a: Record<string, number | string>, disk: string): void {
  const v = throttleViolation(a);
  if (v) throw new VirtuneError(2, `--disk-throttle ${disk}: ${throttleMessage(v)}`);
}

function findDisk(g: RawGuest, name: string): RawDisk | null {
  return g.disks.find((d) => d.source !== 'cgroup' && (d.name === name || d.qdev === name)) ?? null;
}

export async function planDiskThrottle(ctx: PlanCtx, c: Extract<TuningChange, { kind: 'diskThrottle' }>, qmp: QmpConnector | undefined): Promise<void> {
  const g = ctx.guest as RawGuest;
  const disk = findDisk(g, c.disk);
  if (!disk) {
    const names = g.disks.filter((d) => d.source !== 'cgroup').map((d) => d.name);
    throw new VirtuneError(3, `guest ${g.id} has no disk '${c.disk}' (disks: ${names.length ? names.join(', ') : 'none known — is QMP reachable?'})`);
  }
  if (!g.qmp) throw new VirtuneError(2, `guest ${g.id}: no QMP socket is known, so QEMU throttling cannot be changed`);
  // the user's own arguments must not mix total and read/write of one kind
  validateMixOnly(c.args, c.disk);
  const cur = await readThrottle(qmp, ctx.fs.resolve(g.qmp.socket), disk.name);
  const next: Record<string, number | string> = { ...cur };
  for (const [k, v] of Object.entries(c.args)) next[k] = v;
  // setting read/write clears the current total of the same kind (and vice versa): QEMU refuses both
  for (const kind of ['bps', 'iops']) {
    const userTotal = [kind, `${kind}_max`].some((k) => k in c.args && Number(c.args[k]) > 0);
    const userRw = [`${kind}_rd`, `${kind}_wr`, `${kind}_rd_max`, `${kind}_wr_max`].some((k) => k in c.args && Number(c.args[k]) > 0);
    const clear = (ks: string[]): void => {
      for (const k of ks) {
        if (Number(next[k] ?? 0) > 0 && !(k in c.args)) {
          ctx.warnings.push(`${c.disk}: ${k}=${String(next[k])} is cleared (QEMU does not allow total and read/write ${kind} limits together)`);
          if (k.endsWith('_max')) delete next[k]; else next[k] = 0;
          delete next[`${k}_max_length`];
        }
      }
    };
    if (userRw) clear([kind, `${kind}_max`]);
    if (userTotal) clear([`${kind}_rd`, `${kind}_wr`, `${kind}_rd_max`, `${kind}_wr_max`]);
  }
  // a burst whose base was set to 0 goes away with it
  for (const k of THROTTLE_BASE) {
    if (Number(next[k] ?? 0) === 0 && !(`${k}_max` in c.args)) { delete next[`${k}_max`]; delete next[`${k}_max_length`]; }
  }
  validateThrottle(next, c.disk);
  const target = disk.qdev ? { id: disk.qdev } : { device: disk.name };
  const args = { ...target, ...next };
  const from = { ...target, ...cur };
  ctx.steps.push({ kind: 'qmp', command: 'block_set_io_throttle', arguments: args, from, socket: g.qmp.socket });
}

/** The user's own arguments must not mix total and read/write of one kind (before merging in QEMU's). */
function validateMixOnly(a: Record<string, number | string>, disk: string): void {
  const v = throttleViolation(a);
  if (v?.rule === 'totalWithReadWrite') throw new VirtuneError(2, `--disk-throttle ${disk}: ${throttleMessage(v)}`);
}
