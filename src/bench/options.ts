// Owns the benchmark options: the full run and the --quick run (CI: proves the harness works in well
// under a minute; its figures are not meant to be compared with anything).

import * as os from 'node:os';

export interface BenchOptions {
  quick: boolean;
  json: boolean;
  /** guest counts for the sample-cost benchmark */
  sizes: number[];
  /** measured runs and warm-up runs per guest count */
  sampleRuns: Record<number, number>;
  sampleWarmup: number;
  deriveGuests: number;
  deriveRuns: number;
  engineGuests: number;
  engineWindowSec: number;
  engineWarmupSec: number;
  /** the same engine measured again after this long (its JIT compiles done: what a daemon costs for days); null: not measured */
  engineSteadyWarmupSec: number | null;
  rssGuests: number;
  /** derived 1-second snapshots fed into the history for the memory figure */
  rssSeconds: number;
  daemonGuests: number;
  daemonClients: number;
  daemonWindowSec: number;
  daemonWarmupSec: number;
  tuiFrameGuests: number;
  tuiFrameRuns: number;
  tuiGuests: number;
  tuiWindowSec: number;
  tuiWarmupSec: number;
  /** diagnosis: guests and seconds of history */
  diagnoseGuests: number;
  diagnoseSeconds: number;
  /** the recorder benchmark: demo guests and samples recorded */
  recorderGuests: number;
  recorderSamples: number;
  /** real time between the recorder's samples (its pace), and samples of the back-to-back run */
  recorderPaceMs: number;
  recorderBackToBackSamples: number;
  /** recording while serving: warm-up and window of each daemon (without, then with --record) */
  serveRecordWarmupSec: number;
  serveRecordWindowSec: number;
  /** --libvirt-only: run the libvirt section alone (it needs root and a libvirtd-free machine) */
  libvirtOnly: boolean;
  /** --status-only: run the daemon status-latency part alone */
  statusOnly: boolean;
  /** --cost-only: run the engine CPU and the daemon fan-out parts alone */
  costOnly: boolean;
  /** idle TCG domains per libvirt run (8, and 32 where the machine allows) */
  libvirtGuests: number[];
  libvirtWindowSec: number;
  libvirtWarmupSec: number;
}

/** An idle `hlt` TCG domain: 64 MiB of guest RAM (≈ 41 MiB resident measured) plus QEMU, with room to spare. */
const LIBVIRT_DOMAIN_BYTES = 128 * 2 ** 20;

/**
 * Idle TCG domains per libvirt run: 8, and 32 where the host has the memory for them (twice 32 ×
 * 128 MiB available). An idle `hlt` guest costs TCG about half a percent of one CPU (8 of them
 * measured at 3.7 % of one CPU on the 2-CPU lab VM), so the CPU count does not decide; memory does.
 * VIRTUNE_BENCH_LIBVIRT_GUESTS=8,32 (a comma list) chooses the counts, e.g. to run 32 alone.
 */
function libvirtSizes(quick: boolean): number[] {
  const env = process.env.VIRTUNE_BENCH_LIBVIRT_GUESTS;
  if (env !== undefined && env !== '') {
    const sizes = env.split(',').map((x) => Number(x.trim()));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 256)) {
      process.stderr.write(`bench: VIRTUNE_BENCH_LIBVIRT_GUESTS='${env}' is not a comma list of whole numbers 1..256\n`);
      process.exit(2);
    }
    return sizes;
  }
  if (quick) return [2];
  return os.freemem() >= 32 * LIBVIRT_DOMAIN_BYTES * 2 ? [8, 32] : [8];
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const valid = ['--quick', '--json', '--libvirt-only', '--status-only', '--cost-only'];
  const unknown = argv.filter((a) => !valid.includes(a));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown option ${unknown[0]} (valid: ${valid.join(', ')})\n`);
    process.exit(2);
  }
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const libvirtOnly = argv.includes('--libvirt-only');
  const statusOnly = argv.includes('--status-only');
  const costOnly = argv.includes('--cost-only');
  if (quick) {
    return {
      quick, json, sizes: [10], sampleRuns: { 10: 5 }, sampleWarmup: 2, deriveGuests: 1000, deriveRuns: 5,
      engineGuests: 10, engineWindowSec: 3, engineWarmupSec: 1, engineSteadyWarmupSec: null, rssGuests: 100, rssSeconds: 60,
      daemonGuests: 10, daemonClients: 50, daemonWindowSec: 3, daemonWarmupSec: 1,
      libvirtOnly, statusOnly, costOnly, libvirtGuests: libvirtSizes(true), libvirtWindowSec: 5, libvirtWarmupSec: 3,
      tuiFrameGuests: 200, tuiFrameRuns: 50, tuiGuests: 10, tuiWindowSec: 3, tuiWarmupSec: 3,
      diagnoseGuests: 100, diagnoseSeconds: 60,
      recorderGuests: 10, recorderSamples: 40, recorderPaceMs: 250, recorderBackToBackSamples: 20,
      serveRecordWarmupSec: 1, serveRecordWindowSec: 3,
    };
  }
  return {
    quick, json, sizes: [10, 100, 1000], sampleRuns: { 10: 60, 100: 30, 1000: 15 }, sampleWarmup: 3,
    deriveGuests: 1000, deriveRuns: 30,
    engineGuests: 100, engineWindowSec: 60, engineWarmupSec: 5, engineSteadyWarmupSec: 210, rssGuests: 100, rssSeconds: 3600,
    daemonGuests: 100, daemonClients: 50, daemonWindowSec: 20, daemonWarmupSec: 5,
    libvirtOnly, statusOnly, costOnly, libvirtGuests: libvirtSizes(false), libvirtWindowSec: 60, libvirtWarmupSec: 10,
    tuiFrameGuests: 200, tuiFrameRuns: 300, tuiGuests: 50, tuiWindowSec: 30, tuiWarmupSec: 5,
    diagnoseGuests: 1000, diagnoseSeconds: 600,
    recorderGuests: 100, recorderSamples: 240, recorderPaceMs: 1000, recorderBackToBackSamples: 240,
    serveRecordWarmupSec: 20, serveRecordWindowSec: 60,
  };
}
