// Owns the benchmark options: the full run and the --quick run (CI: proves the harness works in well
// under a minute; its figures are not meant to be compared with anything).

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
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const unknown = argv.filter((a) => a !== '--quick' && a !== '--json');
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown option ${unknown[0]} (valid: --quick, --json)\n`);
    process.exit(2);
  }
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  if (quick) {
    return {
      quick, json, sizes: [10], sampleRuns: { 10: 5 }, sampleWarmup: 2, deriveGuests: 1000, deriveRuns: 5,
      engineGuests: 10, engineWindowSec: 3, engineWarmupSec: 1, rssGuests: 100, rssSeconds: 60,
      daemonGuests: 10, daemonClients: 50, daemonWindowSec: 3, daemonWarmupSec: 1,
      tuiFrameGuests: 200, tuiFrameRuns: 50, tuiGuests: 10, tuiWindowSec: 3, tuiWarmupSec: 3,
      diagnoseGuests: 100, diagnoseSeconds: 60,
      recorderGuests: 10, recorderSamples: 40,
    };
  }
  return {
    quick, json, sizes: [10, 100, 1000], sampleRuns: { 10: 60, 100: 30, 1000: 15 }, sampleWarmup: 3,
    deriveGuests: 1000, deriveRuns: 30,
    engineGuests: 100, engineWindowSec: 60, engineWarmupSec: 5, rssGuests: 100, rssSeconds: 3600,
    daemonGuests: 100, daemonClients: 50, daemonWindowSec: 20, daemonWarmupSec: 5,
    tuiFrameGuests: 200, tuiFrameRuns: 300, tuiGuests: 50, tuiWindowSec: 30, tuiWarmupSec: 5,
    diagnoseGuests: 1000, diagnoseSeconds: 600,
    recorderGuests: 100, recorderSamples: 360,
  };
}
