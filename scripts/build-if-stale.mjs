#!/usr/bin/env node
// Owns `npm start`'s build step: compile TypeScript (and bundle the renderer) only when a source (src/**/*.ts, tsconfig.json)
// is newer than the last build (dist/cli/main.js), so starting virtune from a checkout costs no
// compile when nothing changed. `npm ci` / `npm install` build once through the `prepare` script.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Newest modification time (ms) of the TypeScript sources under `dir`, and of `extra` files. */
export function newestSourceMs(dir, extra = []) {
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  for (const f of extra) { try { newest = Math.max(newest, statSync(f).mtimeMs); } catch { /* absent */ } }
  return newest;
}

/** True when `output` is missing or older than any source. */
export function isStale(srcDir, output, extra = []) {
  let built;
  try { built = statSync(output).mtimeMs; } catch { return true; }
  return newestSourceMs(srcDir, extra) > built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  if (isStale(join(root, 'src'), join(root, 'dist/cli/main.js'), [join(root, 'tsconfig.json')])) {
    process.stderr.write('virtune: sources changed since the last build; compiling (tsc)…\n');
    const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
    // the renderer bundle (dist/desktop/ui) is built from the same sources
    const b = spawnSync(process.execPath, [join(root, 'scripts/build-renderer.mjs')], { stdio: 'inherit' });
    process.exit(b.status ?? 1);
  }
}
