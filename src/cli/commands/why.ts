// Owns `virtune why GUEST [--window SEC]`: the diagnosis of one guest. With its own engine (host,
// --root, --demo) it samples for --window seconds first (default 10); attached to a daemon
// (--connect) it asks at once, from the history the daemon already has. The guest is checked before
// sampling (unknown: exit 3 at once). Prints the contract JSON with --json, else the panel as text.

import type { Command } from 'commander';
import { usageError } from '../../engine/model/errors.js';
import { diagnosisLines } from '../../engine/present/diagnosis.js';
import type { EngineApi } from '../../engine/protocol/api.js';
import { openEngine } from '../engine-factory.js';
import { makeOut, parseGlobals } from '../runtime.js';

export const DEFAULT_WINDOW_SEC = 10;
const MAX_WINDOW_SEC = 24 * 3600;

export function parseWindow(v: string | undefined): number {
  if (v === undefined) return DEFAULT_WINDOW_SEC;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_WINDOW_SEC) {
    throw usageError(`--window: '${v}' is not a number of seconds from 0 (exclusive) to ${MAX_WINDOW_SEC}`);
  }
  return n;
}

/** Wait until the engine's samples cover windowSec (counted from the first sample we saw). */
async function sampleFor(api: EngineApi, windowSec: number): Promise<void> {
  const first = await api.latest();
  const startMs = first ? Date.parse(first.timestamp) : Date.now();
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const sub = api.subscribe((s) => {
      if (done || Date.parse(s.timestamp) - startMs < windowSec * 1000) return;
      done = true;
      void sub.then((x) => x.unsubscribe()).catch(() => undefined);
      resolve();
    });
    sub.catch((e: unknown) => { if (!done) { done = true; reject(e); } });
  });
}

export function registerWhy(program: Command): void {
  program.command('why')
    .description('why is this guest slow: ranked causes with evidence, fixes and noisy neighbours')
    .argument('<GUEST>', 'a guest name, UUID or id')
    .option('--window <SEC>', `seconds of history to explain (default ${DEFAULT_WINDOW_SEC}; sampled first unless --connect)`)
    .action(async (guest: string, opts: { window?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      const windowSec = parseWindow(opts.window);
      const api = await openEngine(g);
      try {
        if (g.connect === null) {
          await api.diagnose(guest, windowSec); // unknown or ambiguous guest: fail now, not after the window
          out.warn(`virtune: sampling ${guest} for ${windowSec} s…`);
          await sampleFor(api, windowSec);
        }
        const d = await api.diagnose(guest, windowSec);
        if (out.json) out.data(d);
        else for (const l of diagnosisLines(d)) out.text(l);
      } finally {
        await api.close();
      }
    });
}
