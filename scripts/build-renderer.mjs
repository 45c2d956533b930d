// Owns the renderer bundle: esbuild turns src/desktop/renderer/main.ts into dist/desktop/ui/app.js
// (one IIFE for Electron and the browser), writes app.css (uPlot's stylesheet + ours) and index.html,
// and bundles the Electron preload into dist/desktop/preload.cjs (a sandboxed preload cannot load
// modules). Run by `npm run build` after tsc; takes well under a second.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/desktop/ui');
mkdirSync(out, { recursive: true });
const t0 = Date.now();
await Promise.all([
  build({
    entryPoints: [join(root, 'src/desktop/renderer/main.ts')],
    bundle: true, format: 'iife', target: 'chrome120', minify: true, legalComments: 'none',
    outfile: join(out, 'app.js'), logLevel: 'warning',
  }),
  build({
    entryPoints: [join(root, 'src/desktop/preload/electron-preload.ts')],
    bundle: true, format: 'cjs', platform: 'node', target: 'node20', external: ['electron'],
    outfile: join(root, 'dist/desktop/preload.cjs'), logLevel: 'warning',
  }),
]);
const css = readFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8')
  + '\n' + readFileSync(join(root, 'src/desktop/renderer/app.css'), 'utf8');
writeFileSync(join(out, 'app.css'), css);
copyFileSync(join(root, 'src/desktop/renderer/index.html'), join(out, 'index.html'));
if (process.env.VIRTUNE_BUILD_VERBOSE) process.stderr.write(`renderer bundle: ${Date.now() - t0} ms\n`);
