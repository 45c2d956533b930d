// Owns the journal figure of the bench: what the engine's per-tick revert check costs with a journal of
// N change records (the index: one directory listing, nothing re-read), beside what re-reading and
// parsing every record would cost (the check before the index). Runs on a temp tree, no tuning.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NodeHostFs } from '../engine/node/node-host-fs.js';
import { FlockStateLock } from '../engine/node/state-lock.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import { createTuner } from '../tuning/tuner.js';

export interface JournalCost { records: number; revertCheckUs: number; rereadAllUs: number }

export async function measureJournal(records: number, rounds: number): Promise<JournalCost> {
  const root = mkdtempSync(path.join(tmpdir(), 'virtune-bench-journal-'));
  const dir = `${root}/var/lib/virtune/changes`;
  mkdirSync(dir, { recursive: true });
  const step = (from: string, to: string): object => ({ kind: 'cgroup-write', path: '/sys/fs/cgroup/g/cpu.weight', from, to });
  for (let i = 0; i < records; i++) {
    const id = `20261125T17${String(i).padStart(4, '0')}-bnch`;
    writeFileSync(`${dir}/${id}.json`, JSON.stringify({
      changeId: id, guest: 'qemu:g', guestUuid: null, appliedAt: new Date(1e12 + i).toISOString(), seq: i + 1,
      plan: { guest: 'qemu:g', applied: true, changeId: id, steps: Array(6).fill(step('100', '200')), warnings: [] },
      undoSteps: Array(6).fill(step('200', '100')), state: i % 2 ? 'undone' : 'kept', revertAt: null,
    }, null, 1));
  }
  const fs = new NodeHostFs(root);
  try {
    const noQmp: QmpConnector = { connect: async () => { throw new Error('no QMP in the bench'); } };
    const tuner = createTuner({
      fs, runner: { has: () => false, run: async () => { throw new Error('no commands in the bench'); } },
      clock: { monoMs: () => performance.now(), wallMs: () => Date.now(), sleep: async () => undefined },
      qmp: noQmp, lock: new FlockStateLock(), stateDir: '/var/lib/virtune', auditLog: '/var/log/virtune/audit.log',
    });
    await tuner.revertDue(Date.now()); // first tick: recovery check and the index built
    let t0 = performance.now();
    for (let i = 0; i < rounds; i++) await tuner.revertDue(Date.now());
    const revertCheckUs = ((performance.now() - t0) * 1000) / rounds;
    t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      for (const f of fs.readDir('/var/lib/virtune/changes')) JSON.parse(fs.readText(`/var/lib/virtune/changes/${f}`));
    }
    const rereadAllUs = ((performance.now() - t0) * 1000) / rounds;
    return { records, revertCheckUs: Math.round(revertCheckUs), rereadAllUs: Math.round(rereadAllUs) };
  } finally {
    fs.close();
    rmSync(root, { recursive: true, force: true });
  }
}
