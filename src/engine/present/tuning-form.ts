// Owns the tuning form view-model: one knob per `virtune tune` option a face offers, with its current
// value on the guest, an example, and validation through THE SAME parser and ranges as the command line
// (engine/model/tuning-parse.ts), so a face can never build a request `virtune tune` would refuse.
// A list knob (`--io`, `--disk-throttle`, `--net`, `--vcpu-pin`: repeatable on the command line) takes
// several specs, one per line or separated by ';', each validated on its own. Also the revert countdown
// text. Pure.

import { allDisks } from '../model/disk-io.js';
import type { GuestSnap } from '../model/snapshot.js';
import { parseTuneOptions, type TuneOptions } from '../model/tuning-parse.js';
import type { TuningRequest } from '../model/tuning.js';
import { formatBytes, formatPct, UNKNOWN } from './format.js';
import { quotaPct } from './guest-detail.js';

type SingleKey = 'cpuWeight' | 'cpuQuota' | 'cpuPeriod' | 'cpuset' | 'nodeset' | 'memMax';
type ListKey = 'io' | 'diskThrottle' | 'net' | 'vcpuPin';

export interface KnobDef {
  id: SingleKey | ListKey;
  label: string;
  /** the command-line option it stands for */
  flag: string;
  example: string;
  /** repeatable on the command line: the field takes several specs (splitSpecs) */
  list?: boolean;
  current(g: GuestSnap): string;
}

const cpuWeight = (g: GuestSnap): string => String(g.cpu.weight ?? g.cpu.shares ?? UNKNOWN);

export const TUNING_KNOBS: readonly KnobDef[] = [
  { id: 'cpuQuota', label: 'CPU quota', flag: '--cpu-quota', example: '50%, 2cpu, 80000, max', current: (g) => { const q = quotaPct(g); return q === null ? 'max' : formatPct(q, 0); } },
  { id: 'cpuWeight', label: 'CPU weight', flag: '--cpu-weight', example: '100 (v1 shares: 1024)', current: cpuWeight },
  { id: 'cpuPeriod', label: 'CPU period', flag: '--cpu-period', example: '100000 (µs)', current: (g) => String(g.cpu.periodUsec ?? UNKNOWN) },
  { id: 'cpuset', label: 'cpuset', flag: '--cpuset', example: '0-3,8', current: (g) => g.cpu.cpuset ?? UNKNOWN },
  { id: 'nodeset', label: 'memory nodes', flag: '--nodeset', example: '0', current: (g) => g.memory.mems ?? UNKNOWN },
  { id: 'memMax', label: 'memory max', flag: '--mem-max', example: '4G, max', current: (g) => (g.memory.maxBytes === null ? 'max' : formatBytes(g.memory.maxBytes)) },
  { id: 'vcpuPin', label: 'vCPU pinning', flag: '--vcpu-pin', example: '0:2-3', list: true, current: vcpuPins },
  { id: 'io', label: 'disk limit (cgroup)', flag: '--io', example: 'vda:riops=500,wbps=10M', list: true, current: (g) => allDisks(g).filter((d) => d.source === 'cgroup').map((d) => d.name).join(' ') || UNKNOWN },
  { id: 'diskThrottle', label: 'disk throttle (QEMU)', flag: '--disk-throttle', example: 'virtio-disk0:iops=500', list: true, current: (g) => g.disks.filter((d) => d.source !== 'cgroup').map((d) => d.name).join(' ') || UNKNOWN },
  { id: 'net', label: 'network shaping', flag: '--net', example: 'vnet0:in=10mbit', list: true, current: (g) => g.nics.map((n) => n.ifname).join(' ') || UNKNOWN },
];

/** `0:0-3 1:0-3`: each vCPU's allowed host CPUs, as `--vcpu-pin` takes them */
function vcpuPins(g: GuestSnap): string {
  return g.vcpus.map((v) => `${v.index}:${v.cpusAllowed ?? UNKNOWN}`).join(' ') || UNKNOWN;
}

/** The specs of a list knob's text: one per line or separated by ';' (no spec contains either). */
export function splitSpecs(text: string): string[] {
  return text.split(/[\n;]/).map((x) => x.trim()).filter((x) => x !== '');
}

export interface SpecCheck {
  /** 1-based, counting the specs given */
  n: number;
  spec: string;
  /** null = valid */
  message: string | null;
}

/** Each spec of a list knob through the command line's parser on its own (inline errors per spec). */
export function checkSpecs(knob: KnobDef, text: string, guest: string): SpecCheck[] {
  return splitSpecs(text).map((spec, i) => {
    const r = knobRequest(knob, spec, guest);
    return { n: i + 1, spec, message: r.ok ? null : r.message };
  });
}

export type KnobResult = { ok: true; request: TuningRequest } | { ok: false; message: string };

/**
 * A knob's text → the TuningRequest `virtune tune GUEST --flag TEXT [--revert-after SEC]` would build,
 * or the message it would refuse with. A list knob's text may hold several specs (splitSpecs): the
 * request is `--flag SPEC1 --flag SPEC2 ...`, the first bad spec's message the refusal.
 */
export function knobRequest(knob: KnobDef, text: string, guest: string, revertAfter: string | null = null): KnobResult {
  const o: TuneOptions = {};
  if (knob.id === 'io' || knob.id === 'diskThrottle' || knob.id === 'net' || knob.id === 'vcpuPin') {
    const specs = splitSpecs(text);
    o[knob.id] = specs.length > 0 ? specs : [text];
  } else o[knob.id] = text;
  if (revertAfter !== null && revertAfter.trim() !== '') o.revertAfter = revertAfter.trim();
  try {
    return { ok: true, request: parseTuneOptions(guest, o) };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

/** Seconds left until an automatic revert as `m:ss` (null when no timer / already due). */
export function revertCountdown(revertAt: string | null, nowMs: number): string | null {
  if (revertAt === null) return null;
  const left = Math.ceil((Date.parse(revertAt) - nowMs) / 1000);
  if (!Number.isFinite(left) || left <= 0) return null;
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}
