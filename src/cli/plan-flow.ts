// Owns the operator's side of a tuning plan, shared by `tune` and `advise --apply`: print a plan
// (one line per step, old -> new; or the contract JSON), confirm on a terminal unless --yes, then apply
// through EngineApi. Refusing without a terminal or without confirmation changes nothing (exit 2).

import * as readline from 'node:readline/promises';
import { VirtuneError } from '../engine/model/errors.js';
import type { Plan, TuningRequest } from '../engine/model/tuning.js';
import { stepLine } from '../engine/present/plan-preview.js';
import type { EngineApi } from '../engine/protocol/api.js';
import { makeOut, type Out } from './runtime.js';

export function printPlan(out: Out, plan: Plan, title: string): void {
  if (out.json) { out.data(plan); return; }
  out.text(`${title} for ${plan.guest} (${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}):`);
  plan.steps.forEach((s, i) => out.text(`  ${i + 1}. ${stepLine(s)}`));
  if (plan.migrateBytes !== undefined && plan.migrateBytes !== null) out.text(`  memory to migrate: ${plan.migrateBytes} bytes`);
  for (const w of plan.warnings) out.text(`  warning: ${w}`);
  if (plan.rolledBack?.length) out.text(`  rolled back: ${plan.rolledBack.join('; ')}`);
}

export async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = (await rl.question(question)).trim().toLowerCase();
    return a === 'y' || a === 'yes';
  } finally {
    rl.close();
  }
}

/**
 * Preview, show, confirm and apply. Returns the applied plan, or null for a dry run.
 * `what` names the command in refusals ("tune", "advise --apply").
 */
export async function previewConfirmApply(
  api: EngineApi, out: Out, req: TuningRequest, opts: { dryRun?: boolean; yes?: boolean; what: string },
): Promise<Plan | null> {
  const plan = await api.previewTuning(req);
  if (opts.dryRun) { printPlan(out, plan, 'plan (dry run, nothing changed)'); return null; }
  if (!opts.yes) {
    if (!process.stdin.isTTY) {
      if (!out.json) printPlan(out, plan, 'plan');
      throw new VirtuneError(2, `${opts.what}: no terminal to confirm on; pass --yes to apply without confirmation (nothing was changed)`);
    }
    printPlan(makeOut(false), plan, 'plan');
    if (!(await confirm(`apply ${plan.steps.length} step(s) to ${plan.guest}? [y/N] `))) {
      throw new VirtuneError(2, `${opts.what}: not confirmed; nothing was changed`);
    }
  }
  const applied = await api.applyTuning(req);
  printPlan(out, applied, `applied change ${applied.changeId ?? '(none)'}`);
  return applied;
}
