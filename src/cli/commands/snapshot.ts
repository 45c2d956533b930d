// Owns `virtune snapshot` and `virtune watch`: take snapshots from the engine (in-process on --root or
// the demo, subscribed to directly; or a daemon over --connect) and print them — contract JSON (one
// object per line, the snapshot's own JSON text) with --json, else a compact table.

import type { Command } from 'commander';
import { usageError } from '../../engine/model/errors.js';
import type { Snapshot } from '../../engine/model/snapshot.js';
import { snapshotTable } from '../../engine/present/snapshot-table.js';
import { snapshotJson } from '../../engine/protocol/snapshot-json.js';
import { openSnapshotFeed, type SnapshotFeed } from '../engine-factory.js';
import { makeOut, parseGlobals, type GlobalOptions, type Out } from '../runtime.js';

/** Resolve with `n` snapshots that carry rates (or fewer if stopped), calling each() on every one. */
function collectSnapshots(api: SnapshotFeed, n: number, each: (s: Snapshot) => void, stop: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let done = false;
    const finish = (): void => { if (!done) { done = true; void sub.then((s) => s.unsubscribe()).catch(() => undefined); resolve(); } };
    const sub = api.subscribe((s) => {
      if (done || s.intervalSec === null) return;
      seen++;
      each(s);
      if (seen >= n) finish();
    });
    sub.catch((e: unknown) => { done = true; reject(e); });
    stop.addEventListener('abort', finish, { once: true });
  });
}

function print(out: Out, s: Snapshot, clear: boolean): void {
  // the text JSON.stringify makes of it (made once however many outputs want it)
  if (out.json) { process.stdout.write(snapshotJson(s) + '\n'); return; }
  const text = snapshotTable(s).join('\n');
  process.stdout.write((clear ? '\x1b[H\x1b[2J' : '') + text + '\n' + (clear ? '' : '\n'));
}

function parseCount(v: unknown): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--count: '${String(v)}' is not a whole number ≥ 1`);
  return n;
}

/** Stop on SIGINT/SIGTERM (clean exit 0 for an interactive watch). */
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const on = (): void => ac.abort();
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return { signal: ac.signal, dispose: () => { process.off('SIGINT', on); process.off('SIGTERM', on); } };
}

/** No --root/--demo/--connect and no guests on this host: the interactive watch shows the demo. */
async function openForWatch(g: GlobalOptions, out: Out): Promise<SnapshotFeed> {
  const api = await openSnapshotFeed(g);
  const implicitHost = !g.json && g.connect === null && g.demo === null && g.root === '/';
  if (!implicitHost) return api;
  const guests = await api.listGuests();
  if (guests.length > 0) return api;
  await api.close();
  out.warn('virtune: no guests found on this host; showing the demo host instead (--demo 8). Use --root / or --json for the real host.');
  return openSnapshotFeed({ ...g, demo: 8 });
}

export function registerSnapshot(program: Command): void {
  program.command('snapshot')
    .description('sample twice, --interval apart, print one snapshot and exit')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      const api = await openSnapshotFeed(g);
      const stop = interruptSignal();
      try {
        await collectSnapshots(api, 1, (s) => print(out, s, false), stop.signal);
      } finally {
        stop.dispose();
        await api.close();
      }
    });
  program.command('watch')
    .description('print a snapshot every interval (--json: one JSON object per line)')
    .option('--count <N>', 'stop after N snapshots')
    .action(async (opts: { count?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      const count = parseCount(opts.count);
      const out = makeOut(g.json);
      const api = await openForWatch(g, out);
      const stop = interruptSignal();
      const clear = !g.json && count === null && process.stdout.isTTY === true;
      try {
        await collectSnapshots(api, count ?? Number.POSITIVE_INFINITY, (s) => print(out, s, clear), stop.signal);
      } finally {
        stop.dispose();
        await api.close();
      }
    });
}
