// Owns the state a plan is built in: the guest, its cgroup directories (or the new ones --isolate
// creates), the steps and warnings collected so far, and the helper that turns "set FILE of controller
// C to V" into a cgroup-write step with the current value read from the host. Planning writes nothing.

import { HostError, VirtuneError } from '../engine/model/errors.js';
import type { RawGuest, RawSample } from '../engine/model/sample.js';
import type { PlanStep, TuningRequest } from '../engine/model/tuning.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { GuestCgroups } from './guest.js';

export interface PlanCtx {
  fs: HostFs;
  raw: RawSample;
  req: TuningRequest;
  guest: RawGuest | null;
  cg: GuestCgroups | null;
  steps: PlanStep[];
  warnings: string[];
  migrateBytes: number | null;
  /** controllers whose group is created by this plan (--isolate): files there hold kernel defaults */
  fresh: Set<string>;
}

/** Read a control file's current value for a plan; unreadable → the operator's error. */
export function readCurrent(fs: HostFs, path: string): string {
  try {
    return fs.readText(path).trim();
  } catch (e) {
    if (e instanceof HostError) {
      if (e.kind === 'missing' || e.kind === 'vanished') throw new VirtuneError(3, `${path} does not exist (the guest's cgroup or this controller file is missing)`);
      if (e.kind === 'permission') throw new VirtuneError(4, `cannot read ${path}: permission denied`);
    }
    throw new VirtuneError(1, `cannot read ${path}: ${(e as Error).message}`);
  }
}

export function needCgroup(ctx: PlanCtx, controller: string, what: string): string {
  const g = ctx.guest as RawGuest;
  const cg = ctx.cg;
  const dir = cg?.dir(controller) ?? null;
  if (!cg || dir === null) throw new VirtuneError(3, `guest ${g.id}: no ${controller} cgroup found for ${what}`);
  if (!ctx.fresh.has(controller) && !cg.own(controller)) {
    throw new VirtuneError(2, `guest ${g.id} has no cgroup of its own (its ${controller} group ${cg.rel(controller) ?? '?'} is shared); ` +
      `virtune does not change a shared cgroup for ${what} — pass --isolate to move the guest into a cgroup of its own first`);
  }
  return dir;
}

/**
 * Add a cgroup-write of FILE in the guest's group of CONTROLLER. `fromFresh` is the kernel default used
 * when the group is created by this plan (nothing to restore: removing the group undoes it).
 */
export function cgWrite(ctx: PlanCtx, controller: string, file: string, to: string, what: string,
  opts: { fromFresh?: string | null; undo?: string; from?: string; note?: string } = {}): string | null {
  const dir = needCgroup(ctx, controller, what);
  const path = `${dir}/${file}`;
  if (ctx.fresh.has(controller)) {
    const step: PlanStep = { kind: 'cgroup-write', path, from: opts.fromFresh ?? null, to };
    if (opts.note) step.note = opts.note;
    ctx.steps.push(step);
    return opts.fromFresh ?? null;
  }
  const from = opts.from ?? readCurrent(ctx.fs, path);
  const step: PlanStep = { kind: 'cgroup-write', path, from, to };
  if (opts.undo !== undefined) step.undo = opts.undo;
  if (opts.note) step.note = opts.note;
  ctx.steps.push(step);
  return from;
}
