// The fuzz harness (fixture trees, recorded QMP transcripts): mutated kernel files under --root and
// mutated QMP replies driven in-process through the built collector, the QMP client's message parser and
// derive (test/fuzz/worker.mjs, one worker thread, no process per case). A crash, a hang (one case over
// HANG_MS) or an impossible value that was not nulled fails it. `npm test` runs FUZZ_CASES (default 2000);
// `npm run fuzz` runs 10^6 (seed from FUZZ_SEED, printed, so a failure can be replayed).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixtureHost } from '../helpers/fixture-host.js';
import { useLab } from '../helpers/lab.js';

const CASES = Number(process.env.FUZZ_CASES ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const HANG_MS = 5000;
const SCENARIOS: Array<[string, string | null]> = [
  ['bare-qemu', 'web01-blockdev'], ['proxmox-v2', 'pve-hugepages'], ['libvirt-v1', null], ['libvirt-systemd-v2', null],
  ['custom-partition', null], ['systemd-run', null],
];

interface Failure { case: number; what: string; reason: string }

describe(`fuzz: ${CASES} mutated kernel files and QMP replies (fixture trees, recorded transcripts)`, () => {
  const lab = useLab();

  it(`no crash, no hang, no impossible value (seed ${SEED})`, async () => {
    const roots = SCENARIOS.map(([name, transcript]) => ({ name, root: fixtureHost(lab, name).root, transcript }));
    const transcripts = Object.fromEntries(SCENARIOS.filter(([, t]) => t).map(([, t]) => [t, readFileSync(path.join(FIXTURES, 'qmp', `${t}.jsonl`), 'utf8')]));
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { roots, transcripts, cases: CASES, seed: SEED } });
    const failures: Failure[] = [];
    let last = { beat: -1, what: '', tree: '', at: Date.now() };
    const result = await new Promise<{ done: boolean; hang: string | null; cases: number }>((resolve, reject) => {
      const watchdog = setInterval(() => {
        if (Date.now() - last.at > HANG_MS) {
          clearInterval(watchdog);
          void worker.terminate();
          resolve({ done: false, hang: `case ${last.beat} (${last.tree}: ${last.what}) ran over ${HANG_MS} ms`, cases: last.beat });
        }
      }, 250);
      worker.on('message', (m: { beat?: number; what?: string; tree?: string; failure?: Failure; done?: boolean; cases?: number }) => {
        if (m.beat !== undefined) last = { beat: m.beat, what: m.what ?? '', tree: m.tree ?? '', at: Date.now() };
        if (m.failure) failures.push(m.failure);
        if (m.done) { clearInterval(watchdog); resolve({ done: true, hang: null, cases: m.cases ?? 0 }); }
      });
      worker.on('error', (e) => { clearInterval(watchdog); reject(e); });
    });
    await worker.terminate();
    expect(result.hang).toBeNull();
    expect(failures.map((f) => `case ${f.case}: ${f.what}: ${f.reason}`)).toEqual([]);
    expect(result.done).toBe(true);
  }, Math.max(120_000, CASES * 50));
});
