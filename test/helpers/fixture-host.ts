// Owns fixture hosts for tests: copies test/fixtures/hosts/<scenario> into a temporary directory
// (so tuning tests can write without dirtying the fixture) and returns a NodeHostFs rooted there; the task
// sets a host sampler is driven with, and a guest of a sample by id.

import { cpSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawGuest, RawSample } from '../../src/engine/model/sample.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import type { Lab } from './lab.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

export function fixtureHost(lab: Lab, scenario: string): { root: string; fs: NodeHostFs } {
  const root = lab.tmpdir(`fixture-${scenario}`);
  cpSync(path.join(FIXTURES, 'hosts', scenario), root, { recursive: true, verbatimSymlinks: true });
  const fs = new NodeHostFs(root);
  lab.defer(() => fs.close());
  return { root, fs };
}

/** Task sets for driving a host sampler by hand: the first sample, a plain tick, a settings tick. */
export const TASKS = {
  all: new Set<SampleTask>(['discovery', 'counters', 'numa', 'static', 'settings']),
  tick: new Set<SampleTask>(['counters']),
  settings: new Set<SampleTask>(['counters', 'settings']),
} as const;

/** The guest `id` of a raw sample; throws when it is not there. */
export function guestOf(s: RawSample, id: string): RawGuest {
  const g = s.guests.find((x) => x.id === id);
  if (!g) throw new Error(`no guest ${id} in the sample`);
  return g;
}
