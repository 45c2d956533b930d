// Owns the plan preview view-model: a tuning Plan's steps as "what changes, from what, to what" lines
// with the file's short name first (`cpu.max  max 100000 -> 50000 100000`), its warnings, and the
// confirm prompt. Pure; the CLI, TUI and desktop show the same preview.

import type { Plan, PlanStep } from '../model/tuning.js';

export interface PlanStepVM {
  kind: PlanStep['kind'];
  /** short target: the file name (`cpu.max`), QMP command, argv[0..2] */
  target: string;
  /** full target: real host path, QMP socket, whole argv */
  where: string;
  from: string;
  to: string;
  text: string;
}

export interface PlanPreviewVM {
  title: string;
  steps: PlanStepVM[];
  warnings: string[];
  empty: boolean;
}

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const json = (v: unknown): string => (v === null || v === undefined ? '-' : JSON.stringify(v));

export function planStepVM(s: PlanStep): PlanStepVM {
  let target: string;
  let where: string;
  let from = '-';
  let to = '';
  switch (s.kind) {
    case 'cgroup-write':
    case 'sysfs-write':
      target = base(s.path); where = s.path; from = s.from ?? '-'; to = s.to; break;
    case 'cgroup-create': target = `mkdir ${base(s.path)}`; where = s.path; to = 'created'; break;
    case 'cgroup-remove': target = `rmdir ${base(s.path)}`; where = s.path; to = 'removed'; break;
    case 'cgroup-move': target = `move ${s.pids.length} pid(s)`; where = s.path; from = s.from ?? '-'; to = s.path; break;
    case 'affinity': target = `affinity tid ${s.tid}`; where = `tid ${s.tid}`; from = s.from ?? '-'; to = s.to; break;
    case 'qmp': target = s.command; where = s.socket ?? 'qmp'; from = json(s.from); to = json(s.arguments); break;
    case 'exec': target = s.argv.slice(0, 3).join(' '); where = s.argv.join(' '); to = s.argv.slice(3).join(' '); break;
  }
  return { kind: s.kind, target, where, from, to, text: stepLine(s) };
}

/** One step as the line every face prints (`cgroup-write /sys/fs/cgroup/.../cpu.max: max 100000 -> 50000 100000`). */
export function stepLine(s: PlanStep): string {
  switch (s.kind) {
    case 'cgroup-write': case 'sysfs-write': return `${s.kind} ${s.path}: ${s.from ?? '(new)'} -> ${s.to}${s.note ? `  (${s.note})` : ''}`;
    case 'cgroup-create': return `cgroup-create ${s.path}`;
    case 'cgroup-remove': return `cgroup-remove ${s.path}`;
    case 'cgroup-move': return `cgroup-move pid ${s.pids.join(',')}: ${s.from ?? '?'} -> ${s.path}`;
    case 'affinity': return `affinity thread ${s.tid}: ${s.from ?? '?'} -> ${s.to}`;
    case 'qmp': {
      const keys = Object.keys(s.arguments).filter((k) => k !== 'id' && k !== 'device');
      const diff = keys.filter((k) => s.from?.[k] !== s.arguments[k]).map((k) => `${k} ${String(s.from?.[k] ?? '-')} -> ${String(s.arguments[k])}`);
      const target = String(s.arguments.id ?? s.arguments.device ?? '');
      return `qmp ${s.command} ${target}: ${diff.length ? diff.join(', ') : 'no change'}`;
    }
    case 'exec': return `exec ${s.argv.join(' ')}${s.note ? `  (${s.note})` : ''}`;
  }
}

export function planPreview(p: Plan): PlanPreviewVM {
  const steps = p.steps.map(planStepVM);
  return {
    title: `${p.applied ? 'applied' : 'plan'} for ${p.guest}: ${steps.length} step${steps.length === 1 ? '' : 's'}${p.changeId ? ` (change ${p.changeId})` : ''}`,
    steps,
    warnings: p.warnings,
    empty: steps.length === 0,
  };
}

/** Preview as text lines (CLI, TUI): title, one line per step, warnings. */
export function planPreviewLines(p: Plan): string[] {
  const vm = planPreview(p);
  const lines = [vm.title];
  vm.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s.text}`));
  if (p.migrateBytes !== undefined && p.migrateBytes !== null) lines.push(`  memory to migrate: ${p.migrateBytes} bytes`);
  if (vm.empty) lines.push('  (nothing to change)');
  for (const w of vm.warnings) lines.push(`  warning: ${w}`);
  if (p.rolledBack?.length) lines.push(`  rolled back: ${p.rolledBack.join('; ')}`);
  return lines;
}
