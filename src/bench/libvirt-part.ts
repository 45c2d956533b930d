// Owns the libvirt figures of the bench result: runs measureLibvirt for each domain count and fills
// libvirtCpuPctPerGuest {virtune, exporter, domstatsLoop}, libvirtVsExporterRatio and
// libvirtSpawnsPerSec from the 8-domain run (the others go to detail), with the machine's load noted.

import { measureLibvirt, type LibvirtCost } from './libvirt-cost.js';
import type { BenchOptions } from './options.js';
import type { BenchResult } from './result.js';
import { round } from './stats.js';

type Step = <T>(name: string, fn: () => Promise<T>) => Promise<T | null>;

export async function runLibvirtPart(r: BenchResult, opts: BenchOptions, step: Step, progress: (m: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    r.notes.push('libvirt section not measured: it needs root (libvirtd, cgroups)');
    return;
  }
  const runs: Record<string, LibvirtCost> = {};
  for (const n of opts.libvirtGuests) {
    const c = await step(`libvirt, ${n} idle TCG domains, ${opts.libvirtWindowSec} s per tool`,
      () => measureLibvirt({ guests: n, windowSec: opts.libvirtWindowSec, warmupSec: opts.libvirtWarmupSec }, progress));
    if (c) runs[String(n)] = c;
  }
  r.detail.libvirt = runs;
  const main = runs['8'] ?? Object.values(runs)[0];
  if (!main) return;
  const per = (t: LibvirtCost['virtune']): number | null => (t ? round(t.totalPct / main.guests, 3) : null);
  r.libvirtCpuPctPerGuest = { virtune: per(main.virtune), exporter: per(main.exporter), domstatsLoop: per(main.domstatsLoop) };
  const v = main.virtune?.totalPct ?? null;
  const e = main.exporter?.totalPct ?? null;
  r.libvirtVsExporterRatio = v !== null && e !== null && e > 0 ? round(v / e, 2) : null;
  r.libvirtSpawnsPerSec = main.virtune?.spawnsPerSec ?? null;
  r.notes.push(`libvirt measured with ${main.guests} domains over ${main.windowSec} s per tool; load average ${main.loadAvgBefore.join(' ')} before, ${main.loadAvgAfter.join(' ')} after (shared machine)`);
  const sb = main.sideBySide;
  if (sb) {
    r.notes.push(`libvirt: now and before at the same time over ${sb.windowSec} s, own CPU ${sb.now.ownPct} % vs ${sb.before.ownPct} % (ratio ${sb.ownRatio ?? 'n/a'}), children ${sb.now.childrenPct} % vs ${sb.before.childrenPct} %`);
  }
  for (const n of main.notes) r.notes.push(`libvirt: ${n}`);
}
