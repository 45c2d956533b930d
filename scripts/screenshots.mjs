// Owns the README screenshots: starts `virtune serve --demo 12 --http 127.0.0.1:0` (built dist/), opens
// the browser face in Debian's headless Chromium (playwright-core) and writes docs/img/*.png: the guest
// table (light), a guest's detail charts (dark), the tuning dialog with its plan preview, several
// guests compared, and the diagnosis view. Usage: npm run build && node scripts/screenshots.mjs
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs/img');
mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'virtune-shots-'));
const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), '--demo', '12', 'serve', '--http', '127.0.0.1:0'], {
  stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp },
});
let log = '';
child.stdout.on('data', (d) => { log += d; });
child.stderr.on('data', (d) => { log += d; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let context;
try {
  const end = Date.now() + 60_000;
  while (!/operator\s+http/.test(log)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`daemon did not start: ${log}`);
    await sleep(100);
  }
  const url = /operator\s+(\S+)/.exec(log)[1];
  context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(url);
  await page.waitForSelector('#guest-table tbody tr[data-id]');
  await sleep(4000);
  await page.screenshot({ path: join(out, 'guests.png') });
  // a limited guest makes the limit badges and the limit line visible
  await page.click('#guest-table tbody tr:has(td:text-is("web-01"))', { clickCount: 2 });
  await page.keyboard.press('t');
  await page.fill('#field-cpuQuota', '120%');
  await page.click('#tune-preview');
  await page.waitForSelector('#plan-table');
  await sleep(300);
  await page.screenshot({ path: join(out, 'tune.png') });
  await page.waitForFunction(() => !document.querySelector('#tune-apply')?.hasAttribute('disabled'));
  await page.click('#tune-apply');
  await page.waitForSelector('#tune-undo').catch(async (e) => { throw new Error(`apply: ${await page.textContent('#tune-status')} (${e.message})`); });
  await page.keyboard.press('Escape');
  await page.keyboard.press('D');
  await sleep(12_000);
  await page.screenshot({ path: join(out, 'detail.png') });
  await page.keyboard.press('Escape');
  for (const name of ['web-01', 'db-04', 'cache-06', 'proxy-05']) await page.click(`#guest-table tbody tr:has(td:text-is("${name}")) input[type=checkbox]`);
  await page.keyboard.press('C');
  await sleep(10_000);
  await page.screenshot({ path: join(out, 'compare.png') });
  await page.keyboard.press('Escape');
  await page.click('#guest-table tbody tr:has(td:text-is("web-01"))');
  await page.keyboard.press('W');
  await page.waitForSelector('#diagnosis h3');
  await sleep(500);
  await page.screenshot({ path: join(out, 'diagnosis.png') });
  process.stdout.write(`screenshots written to ${out}\n`);
} finally {
  await context?.close().catch(() => undefined);
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  rmSync(tmp, { recursive: true, force: true });
}
