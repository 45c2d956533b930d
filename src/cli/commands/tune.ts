// Owns `virtune tune`, `virtune undo` and `virtune keep`: parse the change options into a
// TuningRequest, preview the plan through EngineApi, confirm (a TTY prompt unless --yes; without a TTY
// and without --yes: refuse, exit 2), apply, print the applied plan with its change id; undo and keep.
//
// --revert-after SEC: with a daemon (--connect) the daemon reverts when the timer expires. Without
// one, `tune` stays in the foreground with a countdown while its in-process engine holds the timer:
// `virtune keep CHANGE_ID` from another shell (or the `k` key on the terminal) keeps the change;
// Ctrl-C, a hang-up (lost SSH session) or SIGTERM revert it at once — a risky change never outlives
// the operator's attention unless it was explicitly kept.

import type { Command } from 'commander';
import { usageError } from '../../engine/model/errors.js';
import type { EngineApi } from '../../engine/protocol/api.js';
import { parseTuneOptions, type TuneOptions } from '../../engine/model/tuning-parse.js';
import { openEngine } from '../engine-factory.js';
import { previewConfirmApply, printPlan } from '../plan-flow.js';
import { collect, makeOut, parseGlobals, type Out } from '../runtime.js';

/** An empty positional argument is bad input (exit 2), never "the default". */
function nonEmpty(what: string, v: string | undefined, hint: string): void {
  if (v !== undefined && v.trim() === '') throw usageError(`${what} is empty; ${hint}`);
}

/** Foreground revert timer (no daemon). Returns how it ended. */
async function waitForRevert(api: EngineApi, out: Out, changeId: string, revertAt: string): Promise<'kept' | 'reverted'> {
  const due = Date.parse(revertAt);
  let interrupted = false;
  let kept = false;
  const onSignal = (): void => { interrupted = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const tty = process.stdin.isTTY === true;
  // end the countdown's line on a terminal; nothing to end in a log
  const nl = (): string => (process.stderr.isTTY ? '\n' : '');
  const onKey = (d: Buffer): void => {
    const k = d.toString();
    if (k === 'k' || k === 'K') kept = true;
    if (k === '\u0003') interrupted = true;
  };
  if (tty) { process.stdin.setRawMode(true); process.stdin.resume(); process.stdin.on('data', onKey); }
  out.warn(`change ${changeId} reverts at ${revertAt} unless kept: run 'virtune keep ${changeId}' in another shell${tty ? " or press 'k'" : ''}; Ctrl-C reverts now`);
  try {
    for (;;) {
      if (kept) {
        await api.keep(changeId);
        out.warn(`${nl()}change ${changeId} kept`);
        return 'kept';
      }
      const rec = (await api.changes()).find((c) => c.changeId === changeId);
      if (rec && rec.state === 'kept') { out.warn(`${nl()}change ${changeId} kept`); return 'kept'; }
      if (rec && (rec.state === 'reverted' || rec.state === 'undone')) { out.warn(`${nl()}change ${changeId} ${rec.state}`); return 'reverted'; }
      const left = Math.ceil((due - Date.now()) / 1000);
      if (interrupted || left <= -2) {
        await api.undo(changeId);
        out.warn(`${nl()}change ${changeId} reverted${interrupted ? ' (interrupted)' : ''}`);
        return 'reverted';
      }
      // the countdown is for a terminal; a log gets one line when set (above) and one when it ends
      if (process.stderr.isTTY) process.stderr.write(`\rreverting in ${Math.max(0, left)} s … `);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    if (tty) { process.stdin.off('data', onKey); process.stdin.setRawMode(false); process.stdin.pause(); }
  }
}

export function registerTune(program: Command): void {
  program.command('tune')
    .description('plan, show, confirm and apply changes to a running guest (or `host`)')
    .argument('<GUEST>', 'name, UUID or id (libvirt:web01, pve:101, qemu:NAME), or `host`')
    .option('--cpu-weight <N>', 'cgroup v2 cpu.weight (v1 hosts: cpu.shares)')
    .option('--cpu-shares <N>', 'cgroup v1 cpu.shares (v2 hosts: cpu.weight)')
    .option('--cpu-quota <Q>', 'CPU cap for the whole guest: 150%, 2cpu, µs per period, or max')
    .option('--cpu-period <US>', 'CFS period, 1000-1000000 µs')
    .option('--cpuset <LIST>', 'host CPUs the guest may run on')
    .option('--nodeset <LIST>', 'NUMA nodes for the guest memory (migrates it)')
    .option('--vcpu-pin <VCPU:LIST>', 'pin one vCPU thread (repeatable)', collect)
    .option('--emulator-pin <LIST>', 'pin the emulator threads')
    .option('--io <DEV:KEY=VAL,...>', 'cgroup block limits: riops wiops rbps wbps (repeatable)', collect)
    .option('--disk-throttle <DISK:KEY=VAL,...>', 'QEMU block_set_io_throttle (repeatable)', collect)
    .option('--net <IF:in=RATE,...>', 'tc shaping on the guest tap (repeatable)', collect)
    .option('--mem-max <SIZE>', 'memory hard limit')
    .option('--ksm <KEY=VAL,...>', 'host KSM settings (GUEST = host)')
    .option('--hugepages <SIZE[@NODE]=COUNT>', 'host hugepage pool (GUEST = host)', collect)
    .option('--force', 'allow a memory limit below current use, a hugepage pool beyond free memory or below the pages in use')
    .option('--isolate', 'move a guest without a cgroup of its own into virtune.slice first')
    .option('--persist', 'libvirt guests: also change the domain config')
    .option('--dry-run', 'print the plan and change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--revert-after <SEC>', 'revert automatically unless kept')
    .action(async (guest: string, opts: TuneOptions & { dryRun?: boolean; yes?: boolean }, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      nonEmpty('GUEST', guest, 'give a name, UUID or id, or `host`');
      const req = parseTuneOptions(guest, opts);
      const api = await openEngine(g, { write: true });
      try {
        const applied = await previewConfirmApply(api, out, req, { dryRun: opts.dryRun, yes: opts.yes, what: 'tune' });
        if (!applied) return;
        if (!out.json && applied.changeId) out.text(`undo with: virtune undo ${applied.changeId}`);
        if (applied.changeId && applied.revertAt && g.connect === null) {
          await waitForRevert(api, out, applied.changeId, applied.revertAt);
        } else if (applied.changeId && applied.revertAt) {
          out.warn(`change ${applied.changeId} reverts at ${applied.revertAt} unless kept: the daemon holds the timer; run 'virtune --connect ${g.connect ?? ''} keep ${applied.changeId}' to keep it`);
        }
      } finally {
        await api.close();
      }
    });
  program.command('undo')
    .description('undo the last (or the named) applied change')
    .argument('[CHANGE_ID]', 'change id printed by tune')
    .action(async (changeId: string | undefined, _o: unknown, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      nonEmpty('CHANGE_ID', changeId, 'omit it to undo the last change');
      const api = await openEngine(g, { write: true });
      try {
        const plan = await api.undo(changeId ?? null);
        printPlan(out, plan, `undid change ${plan.changeId ?? ''}`);
      } finally {
        await api.close();
      }
    });
  program.command('keep')
    .description('keep a change that has a revert timer')
    .argument('<CHANGE_ID>', 'change id printed by tune')
    .action(async (changeId: string, _o: unknown, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      nonEmpty('CHANGE_ID', changeId, 'give the id tune printed');
      const api = await openEngine(g, { write: true });
      try {
        const rec = await api.keep(changeId);
        if (out.json) out.data(rec); else out.text(`change ${rec.changeId} on ${rec.guest} kept (no automatic revert)`);
      } finally {
        await api.close();
      }
    });
}
