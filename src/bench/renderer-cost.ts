// Owns the renderer benchmark (rendererFrameMs200): `virtune serve --demo 200 --http` in a child
// process and the browser face in Debian's headless Chromium (playwright-core). The renderer records
// every snapshot update as a performance measure 'virtune-frame' (host strip + the open view, canvas
// drawn and layout forced). The figure is one table update (200 rows) plus one chart update (the
// comparison chart of 8 guests): median of each, summed. The guest detail (all charts of one guest)
// is reported beside it. Also runnable alone: `node dist/bench/renderer-cost.js [--quick]`.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './stats.js';

export interface RendererCost {
  guests: number;
  tableFrameMs: { n: number; median: number; p95: number };
  chartFrameMs: { n: number; median: number; p95: number };
  detailFrameMs: { n: number; median: number; p95: number };
  frameMs: number;
}

const CHROMIUM = '/usr/bin/chromium';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function measureRenderer(guests: number, frames: number): Promise<RendererCost> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed`);
  const { chromium } = await import('playwright-core');
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-bench-renderer-'));
  const child = spawn(process.execPath, [cli, '--demo', String(guests), 'serve', '--http', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: dir },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const context = await (async () => {
    const end = Date.now() + 60_000;
    while (!/operator\s+http/.test(out)) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`daemon did not start: ${out.split('\n')[0]}`);
      await sleep(50);
    }
    return chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  })();
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(/operator\s+(\S+)/.exec(out)![1]!);
    await page.waitForFunction((n) => document.querySelector('#guests .count')?.textContent === `${n} of ${n} guests`, guests, { timeout: 60_000 });
    const collect = async (view: string): Promise<number[]> => {
      await page.evaluate(() => performance.clearMeasures('virtune-frame'));
      await page.waitForFunction(([v, n]) => performance.getEntriesByName('virtune-frame').filter((e) => (e as PerformanceMeasure).detail === v).length >= (n as number),
        [view, frames], { timeout: 120_000, polling: 200 });
      return page.evaluate((v) => performance.getEntriesByName('virtune-frame').filter((e) => (e as PerformanceMeasure).detail === v).map((e) => e.duration), view);
    };
    const stat = (xs: number[]) => { const st = summarize(xs); return { n: st.n, median: Math.round(st.median * 100) / 100, p95: Math.round(st.p95 * 100) / 100 }; };
    const table = await collect('guests');
    for (let i = 0; i < 8; i++) await page.click(`#guest-table tbody tr[data-id]:nth-child(${i + 2}) input[type=checkbox]`);
    await page.keyboard.press('C');
    const chart = await collect('compare');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    const detail = await collect('detail');
    const t = stat(table);
    const c = stat(chart);
    return { guests, tableFrameMs: t, chartFrameMs: c, detailFrameMs: stat(detail), frameMs: Math.round((t.median + c.median) * 100) / 100 };
  } finally {
    await context.close().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const quick = process.argv.includes('--quick');
  const r = await measureRenderer(200, quick ? 5 : 20);
  process.stdout.write(JSON.stringify(r) + '\n');
}
