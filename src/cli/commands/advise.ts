// Owns `virtune advise`: NUMA placement advice for a guest or a need (numad -w), the host-wide
// rebalancing proposal (--host), the configuration linter (--lint), and --apply of a guest's advice
// through the tuning engine (preview, confirm, apply). Talks to the engine through EngineApi only.

import type { Command } from 'commander';
import type { Advice, AdviceRequest, HostMove, LintFinding } from '../../engine/model/advice.js';
import { VirtuneError, usageError } from '../../engine/model/errors.js';
import type { Snapshot } from '../../engine/model/snapshot.js';
import type { TuningRequest } from '../../engine/model/tuning.js';
import type { EngineApi } from '../../engine/protocol/api.js';
import { openEngine } from '../engine-factory.js';
import { parseNeedOption } from '../need.js';
import { makeOut, parseGlobals, type Out } from '../runtime.js';
import { previewConfirmApply } from '../plan-flow.js';

interface AdviseOpts {
  need?: string; hugepages?: string; host?: boolean; lint?: boolean;
  apply?: boolean; dryRun?: boolean; yes?: boolean; isolate?: boolean;
}

/** Wait until the engine has a snapshot measured over an interval (free CPU needs two samples). */
function measuredSnapshot(api: EngineApi, timeoutMs: number): Promise<Snapshot | null> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (s: Snapshot | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void sub.then((x) => x.unsubscribe()).catch(() => undefined);
      resolve(s);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    const sub = api.subscribe((s) => { if (s.intervalSec !== null) finish(s); });
    sub.catch((e: unknown) => { if (!done) { done = true; clearTimeout(timer); reject(e); } });
    void api.latest().then((s) => { if (s && s.intervalSec !== null) finish(s); }).catch(() => undefined);
  });
}

const gib = (b: number | null): string => (b === null ? '?' : `${(b / 2 ** 30).toFixed(2)} GiB`);

function printAdvice(out: Out, a: Advice): void {
  if (out.json) { out.data(a); return; }
  const who = a.guest ? `${a.guest} (${a.need.vcpus} vCPUs, ${a.need.memMiB} MiB resident)` : `need ${a.need.vcpus} vCPUs, ${a.need.memMiB} MiB`;
  out.text(`${who}${a.hugepages ? ` from ${a.hugepages} hugepages` : ''}`);
  out.text(`  nodeset ${a.nodeset ?? '(none)'}   cpus ${a.cpus ?? '(none)'}   ${a.fits ? 'fits' : 'DOES NOT FIT'}`);
  if (a.migrateBytes !== null) out.text(`  memory to migrate: ${gib(a.migrateBytes)}`);
  out.text(`  ${a.reason}`);
  out.text('  node  free MiB  free CPU%       score  dist  chosen');
  for (const n of a.nodes) {
    out.text(`  ${String(n.node).padStart(4)}  ${String(n.freeMemMiB).padStart(8)}  ${String(n.freeCpuPct).padStart(9)}  ${String(n.score).padStart(10)}  ${String(n.distance ?? '-').padStart(4)}  ${n.chosen ? '*' : ''}`);
  }
}

function printMoves(out: Out, moves: HostMove[]): void {
  if (out.json) { out.data(moves); return; }
  if (moves.length === 0) { out.text('no move gains enough: the host is balanced as far as the advisor can tell'); return; }
  moves.forEach((m, i) => {
    out.text(`${i + 1}. ${m.guest}: nodes ${m.fromNodes ?? '?'} -> ${m.toNodes} (cpus ${m.toCpus ?? '?'}), migrates ${gib(m.migrateBytes)}, gain ${m.gain} MiB-eq`);
    if (m.reason) out.text(`   ${m.reason}`);
    out.text(`   after: ${m.loadAfter.map((l) => `node ${l.node} mem ${l.memUsedPct}% cpu ${l.cpuUsedPct}%`).join('; ')}`);
    out.text(`   virtune tune ${m.guest} --cpuset ${m.toCpus ?? ''} --nodeset ${m.toNodes}`);
  });
}

function printFindings(out: Out, f: LintFinding[]): void {
  if (out.json) { out.data(f); return; }
  if (f.length === 0) { out.text('no findings'); return; }
  for (const x of f) {
    out.text(`${x.severity.toUpperCase().padEnd(7)} ${x.rule}${x.guest ? ` [${x.guest}]` : ''}: ${x.message}`);
    if (x.suggestion) out.text(`        fix: ${x.suggestion}`);
  }
}


/** The tuning request that carries out a guest's advice: vCPUs to the chosen nodes' CPUs, memory to the nodes. */
export function adviceToTuning(a: Advice, isolate = false): TuningRequest {
  if (!a.guest || a.nodeset === null || a.cpus === null) {
    throw new VirtuneError(1, `advise --apply: nothing to apply (${a.reason})`);
  }
  const req: TuningRequest = { guest: a.guest, changes: [{ kind: 'cpuset', cpus: a.cpus }, { kind: 'nodeset', nodes: a.nodeset }] };
  if (isolate) req.isolate = true;
  return req;
}

async function applyAdvice(api: EngineApi, out: Out, a: Advice, opts: AdviseOpts): Promise<void> {
  await previewConfirmApply(api, out, adviceToTuning(a, opts.isolate === true), { dryRun: opts.dryRun, yes: opts.yes, what: 'advise --apply' });
}

/** Validate the option combination and build the engine request (exit 2 on bad usage). */
export function adviseRequest(guest: string | undefined, opts: AdviseOpts): AdviceRequest | 'host' | 'lint' {
  const modes = [guest !== undefined, opts.need !== undefined, opts.host === true, opts.lint === true].filter(Boolean).length;
  if (modes !== 1) throw usageError('advise: give exactly one of GUEST, --need VCPUS:MIB, --host, --lint');
  if (opts.hugepages !== undefined && opts.hugepages !== '2M' && opts.hugepages !== '1G') {
    throw usageError(`--hugepages: '${opts.hugepages}' is not 2M or 1G`);
  }
  if ((opts.apply || opts.dryRun || opts.yes || opts.isolate) && guest === undefined) throw usageError('advise: --apply, --dry-run, --yes and --isolate need GUEST');
  if (opts.dryRun && !opts.apply) throw usageError('advise: --dry-run goes with --apply');
  if (opts.host) return 'host';
  if (opts.lint) return 'lint';
  const hugepages = (opts.hugepages ?? null) as '2M' | '1G' | null;
  if (guest !== undefined) return { guest, hugepages };
  return { need: parseNeedOption(opts.need as string), hugepages };
}

export function registerAdvise(program: Command): void {
  program.command('advise')
    .description('NUMA placement advice for a guest or a need (like numad -w), --host, --lint')
    .argument('[GUEST]', 'an existing guest')
    .option('--need <VCPUS:MEM>', 'advice for a new guest of this size (MEM in MiB, or a size: 8G)')
    .option('--hugepages <2M|1G>', 'the need is backed by hugepages of this size')
    .option('--host', 'host-wide rebalancing proposal')
    .option('--lint', 'configuration findings with suggested tune commands')
    .option('--apply', 'turn the advice into a tuning plan (preview, confirm)')
    .option('--dry-run', 'with --apply: print the plan only')
    .option('-y, --yes', 'with --apply: do not ask for confirmation')
    .option('--isolate', 'with --apply: move a guest without a cgroup of its own into virtune.slice first')
    .action(async (guest: string | undefined, opts: AdviseOpts, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      const what = adviseRequest(guest, opts);
      const api = await openEngine(g, opts.apply === true ? { write: true } : {});
      try {
        const snap = await measuredSnapshot(api, Math.max(5000, g.intervalSec * 3000 + 3000));
        if (snap === null) out.warn('virtune: no measured interval yet; free CPU is estimated from pinned vCPUs');
        if (what === 'host') { printMoves(out, await api.adviseHost()); return; }
        if (what === 'lint') {
          const findings = await api.lint();
          printFindings(out, findings);
          // for scripts and CI: an error-level finding fails the run (warnings and notes do not)
          if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
          return;
        }
        const advice = await api.advise(what);
        if (opts.apply) {
          if (out.json) out.warn(`advice for ${advice.guest ?? '?'}: nodeset ${advice.nodeset ?? '(none)'} cpus ${advice.cpus ?? '(none)'}: ${advice.reason}`);
          else printAdvice(out, advice);
          await applyAdvice(api, out, advice, opts);
          return;
        }
        printAdvice(out, advice);
      } finally {
        await api.close();
      }
    });
}
