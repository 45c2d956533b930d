// Owns the diagnosis benchmark (`diagnoseUsPerGuest`): a synthetic host of N guests sampled once per
// second for a window (10 minutes in the full run) into the engine's History, then every guest
// diagnosed from that window with one shared DiagnoseContext (what a "who suffers most" pass over the
// host costs). A third of the guests wait for CPU (so their CPU neighbours are worked out) and every
// fifth has a disk at a QMP limit, so the figure is not the cheap path of idle guests.
// Run alone: `node dist/bench/diagnose-cost.js [GUESTS] [SECONDS]`.

import type { Diagnosis, HistoryWindow } from '../engine/model/diagnosis.js';
import type { RawSample } from '../engine/model/sample.js';
import type { Snapshot } from '../engine/model/snapshot.js';
import { loadDerive, tryImport } from './parts.js';
import { timeRuns, type Stat } from './stats.js';
import { syntheticSample } from './synthetic.js';

interface HistoryModule {
  History: new (windowSec: number, intervalSec: number) => { record(s: Snapshot, monoMs: number, wallMs: number): void; window(sec: number): HistoryWindow };
}
interface DiagnoseModule {
  DiagnoseContext: new (s: Snapshot, w: HistoryWindow) => unknown;
  diagnoseGuest(ctx: unknown, guestId: string, windowSec: number): Diagnosis;
}

export interface DiagnoseCost {
  guests: number;
  windowSec: number;
  /** one pass over every guest, µs (wall) */
  pass: Stat;
  /** CPU time of this process per guest over the measured passes, µs (the figure a busy machine does not inflate) */
  cpuUsPerGuest: number;
  verdicts: Record<string, number>;
}

/** Make part of the synthetic host suffer: CPU waits for every third guest, a disk limit for every fifth. */
function troubled(raw: RawSample, t: number): RawSample {
  raw.guests.forEach((g, i) => {
    if (i % 3 === 0) for (const v of g.vcpus) v.waitUsec = 400_000 * t;
    if (i % 5 === 0) { const d = g.disks[1]; if (d) d.limits = { ...d.limits, readIops: 100 }; } // limits may be frozen (shared)
  });
  return raw;
}

export async function measureDiagnoseCost(guests: number, windowSec: number, runs: number): Promise<DiagnoseCost | null> {
  const derive = await loadDerive();
  const hist = await tryImport<HistoryModule>('../engine/core/history.js', 'history');
  const diag = await tryImport<DiagnoseModule>('../engine/diagnose/index.js', 'diagnosis');
  if (!derive || !hist || !diag) return null;
  const h = new hist.History(windowSec, 1);
  let prev = troubled(syntheticSample(guests, 0), 0);
  let snap: Snapshot | null = null;
  for (let t = 1; t <= windowSec + 1; t++) {
    const cur = troubled(syntheticSample(guests, t), t);
    snap = derive.derive(prev, cur);
    h.record(snap, cur.monoMs, cur.wallMs);
    prev = cur;
  }
  const last = snap as Snapshot;
  const verdicts: Record<string, number> = {};
  const pass = (): void => {
    const ctx = new diag.DiagnoseContext(last, h.window(windowSec));
    for (const g of last.guests) diag.diagnoseGuest(ctx, g.id, windowSec);
  };
  const ctx = new diag.DiagnoseContext(last, h.window(windowSec));
  for (const g of last.guests) {
    const v = diag.diagnoseGuest(ctx, g.id, windowSec).verdict;
    verdicts[v] = (verdicts[v] ?? 0) + 1;
  }
  const c0 = process.cpuUsage();
  const stat = await timeRuns(pass, { runs, warmup: 2 });
  const c = process.cpuUsage(c0);
  return { guests, windowSec, pass: stat, cpuUsPerGuest: (c.user + c.system) / ((runs + 2) * guests), verdicts };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const guests = Number(process.argv[2] ?? 1000);
  const seconds = Number(process.argv[3] ?? 600);
  const r = await measureDiagnoseCost(guests, seconds, 5);
  if (r) process.stdout.write(`diagnose ${r.guests} guests from ${r.windowSec} s: ${(r.pass.median / r.guests).toFixed(2)} µs/guest (p95 ${(r.pass.p95 / r.guests).toFixed(2)}), CPU ${r.cpuUsPerGuest.toFixed(2)} µs/guest, verdicts ${JSON.stringify(r.verdicts)}\n`);
}
