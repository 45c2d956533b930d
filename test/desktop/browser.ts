// Owns the browser-face test helpers: start `virtune serve --demo N --http 127.0.0.1:0` as a real
// daemon process (killed by pid at the end of the test) and read its printed browser address, and
// launch Debian's headless Chromium through playwright-core with the flags of the project's test
// standard and a fresh profile directory. Console errors and page errors are collected.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CLI } from '../helpers/cli.js';
import type { Lab } from '../helpers/lab.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface ServedDemo { child: ChildProcess; url: string; origin: string; token: string; out: () => string; err: () => string }

export async function serveDemo(lab: Lab, guests: number, extra: string[] = [], listen = '127.0.0.1:0'): Promise<ServedDemo> {
  const dir = lab.tmpdir('virtune-desktop');
  const child = spawn(process.execPath, [CLI, '--demo', String(guests), '--interval', '0.5', ...extra, 'serve', '--http', listen], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, TMPDIR: dir },
  });
  const pid = child.pid!;
  lab.defer(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const deadline = Date.now() + 30_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /operator\s+(http:\/\/\S+\/\?token=(\S+))/.exec(out + err))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = m[1]!;
  return { child, url, origin: new URL(url).origin, token: decodeURIComponent(m[2]!), out: () => out, err: () => err };
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
