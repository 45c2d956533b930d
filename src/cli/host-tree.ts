// Owns the check that --root names a host tree: a directory with proc/ or sys/ under it (a captured
// tree has at least one of them). An empty directory or a file is bad input, not an empty host.

import { statSync } from 'node:fs';
import * as path from 'node:path';
import { VirtuneError } from '../engine/model/errors.js';

export function checkHostTree(root: string): void {
  let st;
  try { st = statSync(root); } catch { throw new VirtuneError(2, `--root: '${root}' does not exist`); }
  if (!st.isDirectory()) throw new VirtuneError(2, `--root: '${root}' is not a host tree (it is a file, not a directory with proc/ and sys/)`);
  const has = (d: string): boolean => { try { return statSync(path.join(root, d)).isDirectory(); } catch { return false; } };
  if (!has('proc') && !has('sys')) throw new VirtuneError(2, `--root: '${root}' is not a host tree (no proc/ or sys/ under it)`);
}
