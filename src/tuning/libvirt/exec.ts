// Owns running the virsh `exec` steps of a libvirt plan: one call with a timeout; on failure the
// step's own `onFailure` argv run first (virsh domiftune leaves a half-built tc setup behind when a
// later tc command fails), then the error is one clean line naming the domain. `applyExecSteps` is a
// minimal apply/rollback loop (used by tests and usable by the generic applier for virsh steps).

import type { CommandRunner, RunResult } from '../../engine/ports/command-runner.js';
import type { PlanStep } from '../../engine/model/tuning.js';
import { virshErrorLine } from './getters.js';

export type ExecStep = Extract<PlanStep, { kind: 'exec' }>;

export const VIRSH_APPLY_TIMEOUT_MS = 30_000;

/** `virsh [-c URI] SUBCOMMAND DOMAIN …` → { sub, domain } */
export function virshTarget(argv: readonly string[]): { sub: string; domain: string } {
  let i = 1;
  while (i < argv.length && (argv[i] as string).startsWith('-')) i += argv[i] === '-c' || argv[i] === '--connect' ? 2 : 1;
  return { sub: argv[i] ?? '', domain: argv[i + 1] ?? '' };
}

/** One line for a failed virsh call: `libvirt domain 'web01': virsh domiftune: <libvirt's message>`. */
export function virshFailureMessage(argv: readonly string[], r: Pick<RunResult, 'stderr' | 'stdout' | 'timedOut' | 'code'>, timeoutMs = VIRSH_APPLY_TIMEOUT_MS): string {
  const { sub, domain } = virshTarget(argv);
  const what = r.timedOut ? `timed out after ${timeoutMs} ms` : virshErrorLine(r.stderr, r.stdout);
  return `libvirt domain '${domain}': virsh ${sub}: ${what}`.replace(/\s*\n\s*/g, ' ');
}

export type StepOutcome = { ok: true } | { ok: false; message: string; cleanupFailed: string[] };

/** Run one exec step; on failure run its onFailure argv (their own failures are reported, not thrown). */
export async function runExecStep(runner: CommandRunner, step: ExecStep, timeoutMs = VIRSH_APPLY_TIMEOUT_MS): Promise<StepOutcome> {
  const r = await runner.run(step.argv, { timeoutMs });
  if (r.code === 0 && !r.timedOut) return { ok: true };
  const message = step.argv[0] === 'virsh' ? virshFailureMessage(step.argv, r, timeoutMs)
    : `${step.argv.join(' ')}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').join('; ')}`;
  const cleanupFailed: string[] = [];
  for (const argv of step.onFailure ?? []) {
    const c = await runner.run(argv, { timeoutMs });
    if (c.code !== 0 || c.timedOut) cleanupFailed.push(argv[0] === 'virsh' ? virshFailureMessage(argv, c, timeoutMs) : argv.join(' '));
  }
  return { ok: false, message, cleanupFailed };
}

export interface ApplyResult { ok: boolean; applied: number; error: string | null; rolledBack: string[]; rollbackFailed: string[] }

/** Apply exec steps in order; at the first failure undo the applied ones in reverse order. */
export async function applyExecSteps(runner: CommandRunner, steps: readonly ExecStep[]): Promise<ApplyResult> {
  const done: ExecStep[] = [];
  for (const step of steps) {
    const out = await runExecStep(runner, step);
    if (out.ok) { done.push(step); continue; }
    const rb = await undoExecSteps(runner, done);
    return { ok: false, applied: done.length, error: out.message, rolledBack: rb.undone, rollbackFailed: [...out.cleanupFailed, ...rb.failed] };
  }
  return { ok: true, applied: done.length, error: null, rolledBack: [], rollbackFailed: [] };
}

/** Run the undo argv of applied steps, last step first. */
export async function undoExecSteps(runner: CommandRunner, steps: readonly ExecStep[]): Promise<{ undone: string[]; failed: string[] }> {
  const undone: string[] = [];
  const failed: string[] = [];
  for (const step of [...steps].reverse()) {
    for (const argv of step.undo ?? []) {
      const r = await runner.run(argv, { timeoutMs: VIRSH_APPLY_TIMEOUT_MS });
      if (r.code === 0 && !r.timedOut) undone.push(argv.join(' '));
      else failed.push(argv[0] === 'virsh' ? virshFailureMessage(argv, r) : argv.join(' '));
    }
  }
  return { undone, failed };
}
