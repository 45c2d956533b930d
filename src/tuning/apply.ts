// Owns running a Plan against the host: each step in order (cgroup/sysfs writes through HostFs,
// cgroup create/move/remove, thread affinity via `taskset -pc`, QMP commands, tc/ip argv), reading
// each written value back (semantically, see verify.ts), and on the first failure undoing the steps
// already applied in reverse order, then throwing VirtuneError(1, 'step N failed: …; rolled back: …')
// (exit 4 when the OS refused with EACCES/EPERM). A step's completion hook (the tuner's journal and
// audit writes) failing aborts the same way, with that step rolled back too. undoStepsOf() derives the
// steps that revert a step; a step of a kind it does not know is refused, never "undone".

import { HostError, VirtuneError } from '../engine/model/errors.js';
import { parseCpuList } from '../engine/model/cpulist.js';
import type { PlanStep } from '../engine/model/tuning.js';
import type { CommandRunner } from '../engine/ports/command-runner.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import { checkReadBack } from './verify.js';
import { runExecStep } from './libvirt/exec.js';

export interface StepEnv { fs: HostFs; runner: CommandRunner; qmp: QmpConnector }

export interface StepOutcome { step: PlanStep; index: number; result: 'ok' | 'failed'; message: string | null; warning: string | null }

export type StepListener = (o: StepOutcome, phase: 'apply' | 'rollback' | 'undo') => void;

class StepFailure extends Error {
  constructor(message: string, readonly permission: boolean) { super(message); }
}

/** Short human description: `cpu.cfs_quota_us: -1 -> 25000`. */
export function describeStep(s: PlanStep): string {
  switch (s.kind) {
    case 'cgroup-write': case 'sysfs-write': return `${s.path}: ${s.from ?? '?'} -> ${s.to}`;
    case 'cgroup-create': return `create ${s.path}`;
    case 'cgroup-remove': return `remove ${s.path}`;
    case 'cgroup-move': return `move pid ${s.pids.join(',')} ${s.from ?? '?'} -> ${s.path}`;
    case 'affinity': return `thread ${s.tid} affinity: ${s.from ?? '?'} -> ${s.to}`;
    case 'qmp': return `qmp ${s.command} ${JSON.stringify(s.arguments)}`;
    case 'exec': return s.argv.join(' ');
    default: return `unknown step ${JSON.stringify((s as { kind?: unknown }).kind)}`;
  }
}

/** The steps that revert one applied step (empty when nothing needs reverting). */
export function undoStepsOf(s: PlanStep): PlanStep[] {
  switch (s.kind) {
    case 'cgroup-write': case 'sysfs-write': {
      const back = s.undo ?? s.from;
      return back === null ? [] : [{ kind: s.kind, path: s.path, from: s.to, to: back }];
    }
    case 'cgroup-create': return [{ kind: 'cgroup-remove', path: s.path }];
    case 'cgroup-remove': return [{ kind: 'cgroup-create', path: s.path }];
    case 'cgroup-move': return s.from === null ? [] : [{ kind: 'cgroup-move', path: s.from, pids: s.pids, from: s.path }];
    case 'affinity': return s.from === null ? [] : [{ kind: 'affinity', tid: s.tid, from: s.to, to: s.from }];
    case 'qmp': {
      if (!s.from) return [];
      const u: PlanStep = { kind: 'qmp', command: s.command, arguments: s.from, from: s.arguments };
      if (s.socket) u.socket = s.socket;
      return [u];
    }
    case 'exec': return (s.undo ?? []).map((argv) => ({ kind: 'exec', argv }) as PlanStep);
    default: throw new VirtuneError(1, `cannot undo a step of unknown kind ${JSON.stringify((s as { kind?: unknown }).kind)}`);
  }
}

/** Undo steps for a list of applied steps: reverse order. */
export function undoPlanOf(applied: readonly PlanStep[]): PlanStep[] {
  return [...applied].reverse().flatMap(undoStepsOf);
}

function hostFail(e: unknown): StepFailure {
  if (e instanceof StepFailure) return e;
  if (e instanceof HostError) return new StepFailure(e.message, e.kind === 'permission');
  if (e instanceof VirtuneError) return new StepFailure(e.message, e.exitCode === 4);
  // a programming error's text ("Cannot read properties of null") means nothing to an operator
  return new StepFailure(`internal error (${e instanceof Error ? e.name : typeof e})`, false);
}

function sameSet(a: string, b: string): boolean {
  try {
    const x = parseCpuList(a); const y = parseCpuList(b);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  } catch { return false; }
}

async function runStep(env: StepEnv, s: PlanStep): Promise<string | null> {
  const { fs } = env;
  try {
    switch (s.kind) {
      case 'cgroup-write': case 'sysfs-write': {
        fs.writeText(s.path, s.to);
        const got = fs.readText(s.path);
        if (s.kind === 'sysfs-write' && s.readBackOnly) {
          return Number(got.trim()) < Number(s.to) ? `${s.path}: asked for ${s.to}, the kernel provided ${got.trim()}` : null;
        }
        const why = checkReadBack(s.path, s.to, got);
        if (why) throw new StepFailure(why, false);
        return null;
      }
      case 'cgroup-create':
        if (fs.exists(s.path)) throw new StepFailure(`${s.path} already exists`, false);
        fs.mkdir(s.path);
        return null;
      case 'cgroup-remove':
        try {
          if (fs.exists(s.path)) fs.rmdir(s.path);
        } catch (e) {
          // a shared parent (virtune.slice, /virtune) still holding other guests stays
          if (e instanceof HostError && e.kind === 'busy') return `${s.path} is still in use and was left in place`;
          throw e;
        }
        return null;
      case 'cgroup-move': {
        for (const pid of s.pids) fs.writeText(`${s.path}/cgroup.procs`, String(pid));
        const procs = fs.readText(`${s.path}/cgroup.procs`).split('\n').map((l) => Number(l.trim()));
        const missing = s.pids.filter((p) => !procs.includes(p));
        if (missing.length > 0) throw new StepFailure(`pid ${missing.join(',')} is not in ${s.path}/cgroup.procs after the move`, false);
        return null;
      }
      case 'affinity': {
        const r = await env.runner.run(['taskset', '-pc', s.to, String(s.tid)]);
        if (r.code !== 0) throw new StepFailure(`taskset -pc ${s.to} ${s.tid}: ${r.stderr.trim() || `exit ${r.code}`}`, /not permitted|denied/i.test(r.stderr));
        const st = fs.readText(`/proc/${s.tid}/status`);
        const got = /^Cpus_allowed_list:\s*(\S+)/m.exec(st)?.[1] ?? '';
        if (!sameSet(got, s.to)) throw new StepFailure(`thread ${s.tid} reads back Cpus_allowed_list ${got} after setting ${s.to}`, false);
        return null;
      }
      case 'qmp': {
        if (!s.socket) throw new StepFailure(`qmp ${s.command}: no QMP socket`, false);
        const ch = await env.qmp.connect(fs.resolve(s.socket), { timeoutMs: 5000 });
        try {
          await ch.execute(s.command, s.arguments);
          if (s.command === 'block_set_io_throttle') {
            const blocks = await ch.execute<Array<Record<string, unknown>>>('query-block');
            const why = checkThrottle(blocks, s.arguments);
            if (why) throw new StepFailure(why, false);
          }
        } finally {
          await ch.close();
        }
        return null;
      }
      case 'exec': {
        // virsh steps: one clean line naming the domain, and the step's onFailure argv run first (libvirt edit)
        const out = await runExecStep(env.runner, s);
        if (!out.ok) {
          const msg = [out.message, ...out.cleanupFailed.map((c) => `cleanup failed: ${c}`)].join('; ');
          throw new StepFailure(msg, /not permitted|permission denied/i.test(out.message));
        }
        return null;
      }
      default:
        throw new StepFailure(`a step of unknown kind ${JSON.stringify((s as { kind?: unknown }).kind)} cannot be run`, false);
    }
  } catch (e) {
    throw hostFail(e);
  }
}

/** Compare query-block's throttle values of the device with what block_set_io_throttle was given. */
export function checkThrottle(blocks: Array<Record<string, unknown>>, args: Record<string, unknown>): string | null {
  const id = typeof args.id === 'string' ? args.id : null;
  const dev = typeof args.device === 'string' ? args.device : null;
  const b = blocks.find((x) => (dev !== null && x.device === dev) ||
    (id !== null && (x.qdev === id || (typeof x.qdev === 'string' && x.qdev.startsWith(`/machine/peripheral/${id}/`)))));
  const ins = (b?.inserted ?? null) as Record<string, unknown> | null;
  if (!ins) return `query-block shows no medium for ${id ?? dev ?? '?'} after block_set_io_throttle`;
  for (const [k, v] of Object.entries(args)) {
    if (k === 'id' || k === 'device' || k === 'group' || typeof v !== 'number') continue;
    if (k.endsWith('_max_length') && ins[k] === undefined) continue;
    if (Number(ins[k] ?? 0) !== v) return `query-block shows ${k}=${String(ins[k])} after setting ${v}`;
  }
  return null;
}

/**
 * Run steps best-effort (rollback/undo): every failure is reported, none stops the rest. The listener
 * must not throw (the tuner collects its own audit failures during an undo).
 */
export async function runUndo(env: StepEnv, steps: readonly PlanStep[], phase: 'rollback' | 'undo', on?: StepListener): Promise<{ done: string[]; failed: string[] }> {
  const done: string[] = [];
  const failed: string[] = [];
  for (const [i, s] of steps.entries()) {
    let outcome: StepOutcome;
    try {
      const warning = await runStep(env, s);
      done.push(describeStep(s));
      outcome = { step: s, index: i, result: 'ok', message: null, warning };
    } catch (e) {
      const msg = hostFail(e).message;
      failed.push(`${describeStep(s)} (${msg})`);
      outcome = { step: s, index: i, result: 'failed', message: msg, warning: null };
    }
    try { on?.(outcome, phase); } catch { /* reported by the listener's owner */ }
  }
  return { done, failed };
}

export interface ApplyHooks {
  /** after each step (applied or failed); throwing (audit log unwritable) aborts and rolls back */
  on?: StepListener;
  /** after step `count - 1` completed; throwing (journal unwritable) aborts and rolls back */
  done?: (count: number) => void;
  /** before the rollback starts (the tuner journals it) — must not throw */
  rollingBack?: (reason: string) => void;
  /** after the rollback, with the steps that failed; returns text to add to the error (a journal problem) */
  rolledBack?: (failed: string[]) => string;
}

/**
 * Apply steps in order; on the first failure (of a step, or of a hook recording it) roll back the
 * applied ones and throw. Returns warnings.
 */
export async function applySteps(env: StepEnv, steps: readonly PlanStep[], hooks: ApplyHooks = {}): Promise<string[]> {
  const warnings: string[] = [];
  const applied: PlanStep[] = [];
  for (const [i, s] of steps.entries()) {
    let w: string | null;
    try {
      w = await runStep(env, s);
    } catch (e) {
      const f = hostFail(e);
      try { hooks.on?.({ step: s, index: i, result: 'failed', message: f.message, warning: null }, 'apply'); } catch { /* failing anyway */ }
      throw await rollBack(env, applied, hooks, f.permission ? 4 : 1, `step ${i + 1} failed: ${describeStep(s)}: ${f.message}`);
    }
    applied.push(s);
    if (w) warnings.push(w);
    try {
      hooks.on?.({ step: s, index: i, result: 'ok', message: null, warning: w }, 'apply');
      hooks.done?.(i + 1);
    } catch (e) {
      const why = e instanceof VirtuneError || e instanceof HostError ? e.message : `internal error (${e instanceof Error ? e.name : typeof e})`;
      throw await rollBack(env, applied, hooks, 1, `step ${i + 1} (${describeStep(s)}) was applied but could not be recorded: ${why}`);
    }
  }
  return warnings;
}

async function rollBack(env: StepEnv, applied: readonly PlanStep[], hooks: ApplyHooks, code: 1 | 4, what: string): Promise<VirtuneError> {
  try { hooks.rollingBack?.(what); } catch { /* must not stop the rollback */ }
  const rb = await runUndo(env, undoPlanOf(applied), 'rollback', hooks.on);
  const rolled = rb.done.length > 0 ? rb.done.join('; ') : 'nothing (no step had been applied)';
  const left = rb.failed.length > 0 ? `; ROLLBACK FAILED for: ${rb.failed.join('; ')}` : '';
  let extra = '';
  try { extra = hooks.rolledBack?.(rb.failed) ?? ''; } catch { /* the tuner reports its own failure */ }
  return new VirtuneError(code, `${what}; rolled back: ${rolled}${left}${extra}`);
}
