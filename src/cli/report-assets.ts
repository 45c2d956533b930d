// Owns finding uPlot's built files for the HTML report: read from the installed package at report time
// (resolved like a require from here), so the report inlines them and needs no network.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { VirtuneError } from '../engine/model/errors.js';
import type { ChartAssets } from '../engine/present/report-html.js';

export function uplotAssets(): ChartAssets {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
    return {
      js: readFileSync(path.join(dir, 'uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(path.join(dir, 'uPlot.min.css'), 'utf8'),
    };
  } catch (e) {
    throw new VirtuneError(1, `report: uPlot's files were not found (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); reinstall with npm ci`);
  }
}
