// Owns fixture hosts for tests: copies test/fixtures/hosts/<scenario> into a temporary directory
// (so tuning tests can write without dirtying the fixture) and returns a NodeHostFs rooted there.

import { cpSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import type { Lab } from './lab.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

export function fixtureHost(lab: Lab, scenario: string): { root: string; fs: NodeHostFs } {
  const root = lab.tmpdir(`fixture-${scenario}`);
  cpSync(path.join(FIXTURES, 'hosts', scenario), root, { recursive: true, verbatimSymlinks: true });
  const fs = new NodeHostFs(root);
  lab.defer(() => fs.close());
  return { root, fs };
}
