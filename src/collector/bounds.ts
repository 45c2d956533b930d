// Owns the range check of a finished RawSample: every number the parsers produced (kernel files, QMP
// replies, virsh output) is checked against what the kernel or QEMU can actually report — thread ids
// within PID_MAX_LIMIT, CPU and node numbers within NR_CPUS / MAX_NUMNODES, cgroup weights and periods
// within the kernel's ranges, counters non-negative safe integers, a guest state among QEMU's RunState
// (and libvirt's) names, CPU/node lists parseable within those bounds. An impossible value becomes
// null with one `errors[]` entry naming it: never a number in the snapshot. Pure (mutates the sample).
// Frozen parts (carried between samples as the same object, see guest-reader / qmp guest-apply) are never
// written: each is first checked read-only (no copy), one holding an impossible value is replaced by a
// corrected copy; one found clean is remembered (it cannot change) and not walked again.

import type { RawSample, SourceErrorInfo } from '../engine/model/sample.js';

export const PID_MAX_LIMIT = 4_194_304;
export const CPU_MAX = 8191;
export const NODE_MAX = 1023;

/** QEMU's RunState names, libvirt's domain states, and the demo's. */
const STATES = new Set([
  'debug', 'inmigrate', 'internal-error', 'io-error', 'paused', 'postmigrate', 'prelaunch', 'finish-migrate',
  'restore-vm', 'running', 'save-vm', 'shutdown', 'suspended', 'watchdog', 'guest-panicked', 'colo',
  'shut off', 'crashed', 'pmsuspended', 'blocked', 'in shutdown', 'idle', 'no state', 'dying', 'shutoff', 'nostate',
]);

type Range = [min: number, max: number, integer: boolean];
const SAFE: Range = [0, Number.MAX_SAFE_INTEGER, false];

/** Ranges by field name; every other number: finite, 0..2^53. */
const RULES: Record<string, Range> = {
  tid: [1, PID_MAX_LIMIT, true], pid: [1, PID_MAX_LIMIT, true],
  index: [0, CPU_MAX, true], lastCpu: [0, CPU_MAX, true], node: [0, NODE_MAX, true],
  weight: [1, 10_000, true], shares: [2, 262_144, true], periodUsec: [1000, 1_000_000, true], quotaUsec: [1000, Number.MAX_SAFE_INTEGER, true],
  smp: [1, CPU_MAX + 1, true], cpuCount: [1, CPU_MAX + 1, true], sockets: [1, CPU_MAX + 1, true], cores: [1, CPU_MAX + 1, true],
  clkTck: [1, 1_000_000, true], run: [0, 2, true], mergeAcrossNodes: [0, 1, true],
};
const ELEMENT_RULES: Record<string, Range> = { distances: [0, 255, true], hostNodes: [0, NODE_MAX, true] };
const LISTS: Record<string, number> = { cpus: CPU_MAX, cpuset: CPU_MAX, cpusetEffective: CPU_MAX, cpusAllowed: CPU_MAX, onlineCpus: CPU_MAX, mems: NODE_MAX, memsEffective: NODE_MAX };
const RULE_MAP = new Map(Object.entries(RULES));
const LIST_MAP = new Map(Object.entries(LISTS));
/** subtrees that are not kernel figures */
const SKIP = new Set(['errors', 'schemaVersion', 'monoMs', 'wallMs', 'costUsec', 'perNodeReadAtMs', 'extra']);

const LIST_RE = /^\s*(\d{1,6}(-\d{1,6})?(\s*,\s*\d{1,6}(-\d{1,6})?)*)?\s*$/;

/** Kernel list syntax whose every element is ≤ max (no allocation: checked on every sample). */
export function listWithin(text: string, max: number): boolean {
  if (!LIST_RE.test(text)) return false;
  let cur = 0;
  let inNum = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) { cur = cur * 10 + (c - 48); inNum = true; } else { if (inNum && cur > max) return false; cur = 0; inNum = false; }
  }
  return !(inNum && cur > max);
}

/**
 * Lists already found within their bound, per bound (the same texts come back every tick: a vCPU's
 * affinity, a cgroup's cpuset): a set lookup instead of the pattern and the scan. Cleared when large.
 */
const listsWithin = new Map<number, Set<string>>();

function listOk(text: string, max: number): boolean {
  let known = listsWithin.get(max);
  if (known === undefined) { known = new Set(); listsWithin.set(max, known); }
  if (known.has(text)) return true;
  if (!listWithin(text, max)) return false;
  if (known.size >= 4096) known.clear();
  known.add(text);
  return true;
}

function ok(v: number, [min, max, int]: Range): boolean {
  return Number.isFinite(v) && v >= min && v <= max && (!int || Number.isInteger(v));
}

/** Frozen containers already found to hold only possible values (with every container below them). */
const cleanFrozen = new WeakSet<object>();

/** What the read-only check found in a container: an impossible value, or all possible (and whether everything below is frozen). */
const BAD = 0;
const CLEAN_MUTABLE = 1;
const CLEAN_FROZEN = 2;
type Check = typeof BAD | typeof CLEAN_MUTABLE | typeof CLEAN_FROZEN;

/** The first element out of its rule (a hole or undefined element is passed over), else undefined. */
function badElement(list: readonly unknown[], el: Range): unknown {
  for (let i = 0; i < list.length; i++) {
    const y = list[i];
    if (y !== undefined && (typeof y !== 'number' || !ok(y, el))) return y;
  }
  return undefined;
}

/** A number the walk keeps (the check below and the fixing walk share it; no writes, no allocation). */
function numberOk(k: string, v: number): boolean {
  // the common case first: a plain counter in range, no rule of its own
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && !RULE_MAP.has(k)) return true;
  if (SKIP.has(k)) return true;
  return ok(v, RULE_MAP.get(k) ?? SAFE);
}

function stringOk(k: string, v: string, inGuest: boolean): boolean {
  if (v === 'max') return true;
  if (k === 'state' && inGuest && !STATES.has(v)) return false;
  const max = LIST_MAP.get(k);
  return max === undefined || listOk(v, max);
}

/**
 * The read-only check of a container (the fixing walk's rules, no writes, no allocation): a frozen part
 * found clean is remembered, so one made this tick is not copied just to be looked at.
 */
function check(v: object, inGuest: boolean): Check {
  if (Object.isFrozen(v) && cleanFrozen.has(v)) return CLEAN_FROZEN;
  let all = Object.isFrozen(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === null || typeof x !== 'object') continue;
      const r = check(x, inGuest);
      if (r === BAD) return BAD;
      if (r !== CLEAN_FROZEN) all = false;
    }
  } else {
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (x === null || x === undefined) continue;
      if (typeof x === 'number') { if (!numberOk(k, x)) return BAD; }
      else if (typeof x === 'string') { if (!stringOk(k, x, inGuest)) return BAD; }
      else if (Array.isArray(x)) {
        if (x.length === 0) { if (Object.isFrozen(x)) cleanFrozen.add(x); else all = false; continue; }
        const el = ELEMENT_RULES[k];
        if (el) {
          if (badElement(x, el) !== undefined) return BAD;
          if (Object.isFrozen(x)) cleanFrozen.add(x); else all = false;
          continue;
        }
        const r = check(x, inGuest);
        if (r === BAD) return BAD;
        if (r !== CLEAN_FROZEN) all = false;
      } else if (typeof x === 'object') {
        if (SKIP.has(k)) continue;
        const r = check(x, inGuest);
        if (r === BAD) return BAD;
        if (r !== CLEAN_FROZEN) all = false;
      }
    }
  }
  if (all) { cleanFrozen.add(v); return CLEAN_FROZEN; }
  return CLEAN_MUTABLE;
}

/** Null every impossible value of the sample in place; one error entry each. Returns how many. */
export function boundRawSample(raw: RawSample): number {
  const errors = raw.errors;
  let n = 0;
  // where the walk is (the guest it is in, null for the host, then .key and [index] steps): kept as a
  // stack and only turned into text for a report, so a clean sample builds no path strings
  let rootGuest: string | null = null;
  const path: Array<string | number> = [];
  const whereOf = (k: string | null): string => {
    let w = rootGuest === null ? 'host' : `guest ${rootGuest}`;
    for (const p of path) w += typeof p === 'number' ? `[${p}]` : `.${p}`;
    return k === null ? w : `${w}.${k}`;
  };
  const report = (where: string, v: unknown, why: string): void => {
    n++;
    if (errors.length < 10_000) {
      const shown = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v);
      const e: SourceErrorInfo = { source: 'bounds', guest: rootGuest, message: `${where}: impossible value ${shown} (${why}); shown as unknown`, kind: 'parse' };
      errors.push(e);
    }
  };

  const walk = (o: Record<string, unknown>): void => {
    for (const k in o) {
      const v = o[k];
      if (v === null || v === undefined) continue;
      if (typeof v === 'number') {
        if (numberOk(k, v)) continue;
        const rule = RULE_MAP.get(k) ?? SAFE;
        report(whereOf(k), v, `expected ${rule[2] ? 'an integer ' : ''}${rule[0]}..${rule[1]}`);
        o[k] = null;
      } else if (typeof v === 'string') {
        if (v === 'max') continue;
        if (k === 'state' && rootGuest !== null && !STATES.has(v)) { report(whereOf(k), v, 'not a QEMU or libvirt run state'); o[k] = null; }
        const max = LIST_MAP.get(k);
        if (max !== undefined && !listOk(v, max)) { report(whereOf(k), v, `not a list of numbers 0..${max}`); o[k] = null; }
      } else if (Array.isArray(v)) {
        if (v.length === 0) {
          if (Object.isFrozen(v)) cleanFrozen.add(v); // nothing in it, ever: its frozen parent can settle
          continue;
        }
        const el = ELEMENT_RULES[k];
        if (el) {
          const bad = badElement(v, el);
          if (bad !== undefined) { report(whereOf(k), bad, `expected elements ${el[0]}..${el[1]}`); o[k] = null; }
          else if (Object.isFrozen(v)) cleanFrozen.add(v);
          continue;
        }
        path.push(k);
        const w = child(v, true);
        path.pop();
        if (w !== v) o[k] = w;
      } else if (typeof v === 'object') {
        if (SKIP.has(k)) continue;
        path.push(k);
        const w = child(v, false);
        path.pop();
        if (w !== v) o[k] = w;
      }
    }
  };

  const walkArray = (v: unknown[]): void => {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === null || typeof x !== 'object') continue;
      path.push(i);
      const w = child(x, false);
      path.pop();
      if (w !== x) v[i] = w;
    }
  };

  /**
   * Walk a container. A frozen one is first checked read-only (clean: kept as it is, and remembered when
   * everything below it is frozen too); only one holding an impossible value is walked as a copy, which
   * replaces it.
   */
  const child = (v: object, isArray: boolean): object => {
    if (!Object.isFrozen(v)) {
      if (isArray) walkArray(v as unknown[]); else walk(v as Record<string, unknown>);
      return v;
    }
    if (check(v, rootGuest !== null) !== BAD) return v;
    const copy = isArray ? [...(v as unknown[])] : { ...(v as Record<string, unknown>) };
    if (isArray) walkArray(copy as unknown[]); else walk(copy as Record<string, unknown>);
    return copy;
  };

  walk(raw.host as unknown as Record<string, unknown>);
  for (const g of raw.guests) {
    rootGuest = g.id;
    walk(g as unknown as Record<string, unknown>);
  }
  return n;
}
