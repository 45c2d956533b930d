// The HTML report opened in real headless Chromium (Debian's, through playwright-core): no console
// errors, no request leaves the file (uPlot is inlined), every chart is drawn on a canvas, and the
// tables show the guests of the recording.

import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireCommand, useLab } from '../helpers/lab.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

describe('HTML capacity report in headless Chromium', () => {
  const lab = useLab();

  it('opens offline without console errors and draws every chart', async () => {
    requireCommand('chromium');
    const dir = lab.tmpdir('rep-html');
    const file = path.join(dir, 'r.vtr');
    const html = path.join(dir, 'report.html');
    const rec = await runCli(['--demo', '--interval', '0.5', 'record', '-o', file, '--duration', '5'], { env: { TMPDIR: dir } });
    expect(rec.code, rec.stderr).toBe(0);
    const r = await runCli(['report', file, '--html', html, '--fit', '2:2048']);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing to fetch

    const ctx = await chromium.launchPersistentContext(lab.tmpdir('chromium-profile'), {
      executablePath: '/usr/bin/chromium', headless: true, args: FLAGS,
    });
    lab.defer(() => ctx.close());
    const page = await ctx.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (q) => { if (!q.url().startsWith('file:')) requests.push(q.url()); });
    await page.goto(`file://${html}`);
    await page.waitForFunction(() => document.querySelectorAll('.chart[data-drawn="1"]').length === 3, undefined, { timeout: 15_000 });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const charts = await page.$$eval('.chart', (els) => els.map((e) => {
      const c = e.querySelector('canvas');
      return { canvas: c !== null && c.width > 0 && c.height > 0, legend: e.querySelectorAll('.u-legend .u-series').length };
    }));
    expect(charts).toHaveLength(3);
    for (const c of charts) expect(c.canvas).toBe(true);
    expect(charts[0]!.legend).toBe(9); // time + 8 guests
    // a drawn canvas has non-background pixels: sample the first chart's canvas
    const inked = await page.$eval('.chart canvas', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if ((d[i] as number) > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(1000);
    const tables = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
    expect(tables).toEqual(expect.arrayContaining(['Guests', 'NUMA nodes', 'Headroom at the p95 load', 'Fit 2 vCPUs / 2048 MiB']));
    expect(await page.textContent('body')).toContain('web-01');
  });
});
