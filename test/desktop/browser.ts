// Owns the browser-face test helpers: start `virtune serve --demo N --http 127.0.0.1:0` as a real
// daemon process (test/helpers/daemon.ts: its process group killed at the end) and read its printed browser address, and
// launch Debian's headless Chromium through playwright-core with the flags of the project's test
// standard and a fresh profile directory. Console errors and page errors are collected.

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServe } from '../helpers/daemon.js';
import type { Lab } from '../helpers/lab.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface ServedDemo { child: ChildProcess; url: string; origin: string; token: string; out: () => string; err: () => string }

export async function serveDemo(lab: Lab, guests: number, extra: string[] = [], listen = '127.0.0.1:0'): Promise<ServedDemo> {
  const d = await startServe(lab, ['--demo', String(guests), '--interval', '0.5', ...extra], ['--http', listen], /operator\s+http:\/\/\S+\/\?token=\S+/);
  const m = /operator\s+(http:\/\/\S+\/\?token=(\S+))/.exec(d.out() + d.err())!;
  const url = m[1]!;
  return { child: d.child, url, origin: new URL(url).origin, token: decodeURIComponent(m[2]!), out: d.out, err: d.err };
}

export interface Chromium { context: BrowserContext; page: Page; errors: string[] }

export async function launchChromium(lab: Lab, viewport = { width: 1400, height: 900 }): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) throw new Error(`this test needs ${CHROMIUM} (apt-get install chromium)`);
  // a fresh profile directory (playwright passes it as --user-data-dir)
  const profile = path.join(lab.tmpdir('virtune-chromium'), 'profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  lab.defer(async () => { await context.close().catch(() => undefined); });
  const page = context.pages()[0] ?? await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}
