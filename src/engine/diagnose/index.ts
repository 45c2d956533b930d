// Owns the diagnosis entry points (pure, like the advisor: history windows in, ranked causes and
// neighbours out; no I/O): diagnose() answers "why is this guest slow" from a DiagnoseContext (one
// per host window, shared when many guests are diagnosed), findGuest() resolves the GUEST argument.
// Rules: causes are sorted by share, largest first (ties by name); a cause is listed from a share of
// 1 %; the verdict is the first cause when it explains VERDICT_MIN_SHARE (10 %) or more, else 'none'.
// A guest not running for part of the window is `paused` for that fraction.

import { VirtuneError } from '../model/errors.js';
import {
  VERDICT_MIN_SHARE, type CauseFinding, type Diagnosis, type HistoryWindow, type Neighbour,
} from '../model/diagnosis.js';
import type { GuestSnap, Snapshot } from '../model/snapshot.js';
import { DiagnoseContext, type GuestFacts } from './context.js';
import { cpuCauses, markWaits } from './cpu.js';
import { diskCauses, networkCauses } from './io.js';
import { memoryCauses, vcpuNodes } from './memory.js';
import { cpuNeighbours, diskNeighbours, memoryNeighbours } from './neighbours.js';
import { round } from './stats.js';

export { DiagnoseContext } from './context.js';

const MIN_LISTED = 0.01;

/** The guest a GUEST argument names: id, UUID, or a unique name (ambiguous: code 2; unknown: code 3). */
export function findGuest(snapshot: Snapshot, ref: string): GuestSnap {
  const byId = snapshot.guests.find((g) => g.id === ref);
  if (byId) return byId;
  const lower = ref.toLowerCase();
  const byUuid = snapshot.guests.find((g) => g.uuid !== null && g.uuid.toLowerCase() === lower);
  if (byUuid) return byUuid;
  const byName = snapshot.guests.filter((g) => g.name === ref);
  if (byName.length === 1) return byName[0] as GuestSnap;
  if (byName.length > 1) throw new VirtuneError(2, `guest name '${ref}' is ambiguous; candidates: ${byName.map((g) => g.id).join(', ')}`);
  const known = snapshot.guests.map((g) => g.id).slice(0, 20).join(', ');
  throw new VirtuneError(3, `no guest '${ref}' on this host${known ? ` (guests: ${known})` : ' (no guests found)'}`);
}

function pausedCause(ctx: DiagnoseContext, g: GuestSnap): CauseFinding | null {
  const frac = ctx.fractionAtLeast(g.id, 'state.paused', 1) ?? (g.state !== null && g.state !== 'running' ? 1 : null);
  if (frac === null || frac <= 0) return null;
  return {
    cause: 'paused', share: frac,
    evidence: { state: g.state, pausedPct: round(frac * 100), pausedSec: round(frac * ctx.window.coveredSec) },
    fix: null,
  };
}

function neighboursOf(ctx: DiagnoseContext, f: GuestFacts, causes: CauseFinding[]): Neighbour[] {
  // neighbours of the causes that matter (10 % or more), not of every trace
  const has = (c: CauseFinding['cause']): boolean => causes.some((x) => x.cause === c && x.share >= VERDICT_MIN_SHARE);
  const out: Neighbour[] = [];
  if (has('cpu-contention') && markWaits(ctx, f)) out.push(...cpuNeighbours(ctx, f));
  if (has('disk-contention')) out.push(...diskNeighbours(ctx, f));
  if (has('memory-pressure') || has('remote-numa') || has('memory-limit')) {
    const nodes = new Set<number>();
    const per = f.g.memory.perNodeBytes;
    if (has('remote-numa')) for (const n of vcpuNodes(ctx, f)) nodes.add(n);
    else if (per) for (const [k, b] of Object.entries(per)) if (b > 0) nodes.add(Number(k));
    if (nodes.size === 0) for (const n of ctx.snapshot.host.numaNodes) nodes.add(n.node);
    out.push(...memoryNeighbours(ctx, f, nodes));
  }
  return out.sort((a, b) => b.share - a.share || a.guest.localeCompare(b.guest));
}

/** Diagnose one guest (by id) from a context built on the latest snapshot and the history window. */
export function diagnoseGuest(ctx: DiagnoseContext, guestId: string, windowSec: number): Diagnosis {
  const f = ctx.guest(guestId);
  if (!f) throw new VirtuneError(3, `no guest '${guestId}' on this host`);
  const g = f.g;
  const causes: CauseFinding[] = [];
  const paused = pausedCause(ctx, g);
  if (paused) causes.push(paused);
  causes.push(...cpuCauses(ctx, f).causes);
  causes.push(...diskCauses(ctx, g).causes);
  causes.push(...networkCauses(ctx, g));
  causes.push(...memoryCauses(ctx, f));
  const listed = causes
    .map((c) => ({ ...c, share: round(c.share, 3) as number }))
    .filter((c) => c.share >= MIN_LISTED)
    .sort((a, b) => b.share - a.share || a.cause.localeCompare(b.cause));
  const first = listed[0];
  return {
    guest: g.id, name: g.name, windowSec,
    coveredSec: round(ctx.window.coveredSec, 3) as number,
    samples: ctx.window.length,
    verdict: first && first.share >= VERDICT_MIN_SHARE ? first.cause : 'none',
    causes: listed,
    neighbours: neighboursOf(ctx, f, listed),
  };
}

/** Diagnose the guest a GUEST argument names. */
export function diagnose(snapshot: Snapshot, window: HistoryWindow, ref: string, windowSec: number): Diagnosis {
  const g = findGuest(snapshot, ref);
  return diagnoseGuest(new DiagnoseContext(snapshot, window), g.id, windowSec);
}
