// The renderer in real headless Chromium (Debian's chromium through playwright-core) against a real
// `virtune serve --demo --http` daemon process: the token in the address is exchanged for an
// HttpOnly SameSite=Strict cookie and removed from the address bar, a wrong or missing token gets
// only a refusal (pages, bundle and websocket); the guest table fills, updates, sorts (S: who suffers
// most on top) and filters;
// the detail charts draw on their canvases, every one filled from the daemon's history as the guest
// opens (disk and NIC canvases painted with history points at once) and appended live; a CPU quota set through the tuning dialog previews,
// applies, the guest's CPU falls within 5 s and undo restores it; a daemon restart shows the
// connection-lost banner and the page reconnects by itself; no console errors anywhere.

import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Page } from 'playwright-core';
import { useLab } from '../helpers/lab.js';
import type { Daemon, DaemonOptions } from '../../src/cli/commands/serve.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';
import { launchChromium, serveDemo } from './browser.js';

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

/** the guest's CPU % as the detail header shows it */
async function shownCpu(page: Page): Promise<number | null> {
  const t = await page.textContent('#detail h2');
  const m = /cpu (\d+(?:\.\d+)?)%/.exec(t ?? '');
  return m ? Number(m[1]) : null;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('browser face in headless Chromium against virtune serve --demo --http (real daemon, real browser)', () => {
  const lab = useLab();

  it('refuses a wrong or missing token everywhere; exchanges the right one for an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const d = await serveDemo(lab, 4);
    for (const p of ['/', '/app.js', '/app.css', '/index.html', '/?token=wrong', `/?token=${d.token}x`]) {
      const r = await fetch(d.origin + p, { redirect: 'manual' });
      expect(r.status, p).toBe(401);
      const body = await r.text();
      expect(body).toMatch(/not authorised/);
      expect(body).not.toMatch(/<script/);
    }
    expect(await wsStatus(`ws://${new URL(d.origin).host}/ws`, { Origin: d.origin })).toBe(401);
    expect(await wsStatus(`ws://${new URL(d.origin).host}/ws`, { Origin: d.origin, Cookie: 'virtune_session=operator.AAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' })).toBe(401);

    const { page, errors, context } = await launchChromium(lab);
    const bad = await page.goto(`${d.origin}/?token=nope`);
    expect(bad?.status()).toBe(401);
    expect(await page.textContent('body')).toMatch(/not authorised/);
    expect(await page.$('#app')).toBeNull();

    const ok = await page.goto(d.url);
    expect(ok?.status()).toBe(200);
    expect(page.url()).toBe(`${d.origin}/`);
    expect(page.url()).not.toContain(d.token);
    const cookies = await context.cookies(d.origin);
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'virtune_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]!.value).not.toContain(d.token);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const csp = ok?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    await page.waitForSelector('#guest-table tbody tr[data-id]');
    // the cookie alone opens the websocket from the page's origin, not without an Origin
    const session = `virtune_session=${cookies[0]!.value}`;
    expect(await wsStatus(`ws://${new URL(d.origin).host}/ws`, { Origin: d.origin, Cookie: session })).toBe(101);
    expect(await wsStatus(`ws://${new URL(d.origin).host}/ws`, { Cookie: session })).toBe(401);
    expect(await wsStatus(`ws://${new URL(d.origin).host}/ws`, { Origin: 'http://evil.example', Cookie: session })).toBe(403);
    // the refusal page logged its 401 as a failed resource load; nothing else may be in the console
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('fills and updates the guest table, sorts and filters it, and draws the detail charts', async () => {
    const d = await serveDemo(lab, 4);
    const { page, errors } = await launchChromium(lab);
    await page.goto(d.url);
    await until('4 rows', async () => (await page.$$('#guest-table tbody tr[data-id]')).length === 4);
    const names = await page.$$eval('#guest-table tbody tr[data-id] td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    expect(names.sort()).toEqual(['batch-02', 'db-04', 'idle-03', 'web-01']);
    // updates: the host header's time moves and the table is redrawn with every snapshot
    const t1 = await page.textContent('#host h1');
    const f1 = await page.evaluate(() => (window as any).virtuneApp.frames as number);
    await until('a newer snapshot', async () => (await page.textContent('#host h1')) !== t1);
    expect(await page.evaluate(() => (window as any).virtuneApp.frames as number)).toBeGreaterThan(f1);
    const cpuCells = await page.$$eval('#guest-table tbody tr[data-id] td:nth-child(4)', (tds) => tds.map((t) => t.textContent ?? ''));
    expect(cpuCells.every((c) => /^\d+(\.\d)?$/.test(c))).toBe(true);
    // sort by name (click), then filter
    await page.click('th[data-key="name"]');
    await until('sorted by name', async () => {
      const n = await page.$$eval('#guest-table tbody tr[data-id] td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
      return n.join(',') === 'batch-02,db-04,idle-03,web-01';
    });
    await page.keyboard.press('/');
    await page.keyboard.type('web');
    await until('filtered', async () => (await page.$$('#guest-table tbody tr[data-id]')).length === 1);
    expect(await page.textContent('#guest-table tbody tr[data-id] td:nth-child(2)')).toBe('web-01');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail');
    // detail: per-vCPU CPU, run delay, per-disk, per-NIC and memory charts, with drawn lines
    const ids = await until('the detail charts', async () => {
      const xs = await page.$$eval('.chart', (cs) => cs.map((c) => (c as HTMLElement).dataset.chart ?? ''));
      return xs.length >= 5 ? xs : null;
    });
    expect(ids).toEqual(expect.arrayContaining(['cpu', 'rundelay', 'mem']));
    expect(ids.some((i) => i.startsWith('disk:') && i.endsWith(':iops'))).toBe(true);
    expect(ids.some((i) => i.startsWith('nic:'))).toBe(true);
    const painted = async (): Promise<number> => page.$eval('.chart[data-chart="cpu"] canvas', (c) => {
      const cv = c as HTMLCanvasElement;
      const data = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
      return n;
    });
    await until('lines on the CPU chart', async () => (await painted()) > 500);
    expect(await page.$$eval('.chart[data-chart="cpu"] .u-legend .u-series', (s) => s.length)).toBe(1 + 1 + 4); // time, total, 4 vCPUs
    // the diagnosis view of the same guest (EngineApi.diagnose over the daemon's history)
    await page.keyboard.press('W');
    await until('a diagnosis', async () => ((await page.textContent('#diagnosis h3')) ?? '').includes('web-01'));
    expect(await page.$('#diagnosis-causes')).not.toBeNull();
    // the advisor view: placement advice for the guest, host moves and lint tables
    await page.keyboard.press('a');
    await until('advice for the guest', async () => ((await page.textContent('#advice')) ?? '').includes('Placement for'));
    expect(await page.$('#lint')).not.toBeNull();
    expect(errors).toEqual([]);
  });

  it('fills every detail chart from the engine\'s history when a guest opens: disk and NIC canvases painted with history points at once', async () => {
    const d = await serveDemo(lab, 2); // a sample every 0.5 s
    const { page, errors } = await launchChromium(lab);
    await page.goto(d.url);
    const webRow = await until('web-01 row', async () => page.$('#guest-table tbody tr:has(td:text-is("web-01"))'));
    // let the daemon sample for a few seconds (the page has rendered that many snapshots meanwhile)
    await until('10 snapshots', async () => (await page.evaluate(() => (window as any).virtuneApp.frames as number)) >= 10, 30_000);
    const framesAtOpen = await page.evaluate(() => (window as any).virtuneApp.frames as number);
    await webRow.dblclick();
    await page.waitForSelector('#detail');
    const charts = (): Promise<Array<{ id: string; history: number; points: number; painted: number }>> => page.$$eval('#detail .chart', (cs) => cs.map((c) => {
      const el = c as HTMLElement;
      const cv = el.querySelector('canvas') as HTMLCanvasElement;
      const data = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) painted++;
      return { id: el.dataset.chart ?? '', history: Number(el.dataset.history ?? -1), points: (el as HTMLElement & { virtunePoints?: number }).virtunePoints ?? 0, painted };
    }));
    // history points come only from EngineApi.history (a live snapshot adds one point, never to data-history)
    const filled = await until('every chart filled from history', async () => {
      const cs = await charts();
      return cs.length >= 8 && cs.every((c) => c.history >= 8) ? cs : null;
    });
    const framesSinceOpen = (await page.evaluate(() => (window as any).virtuneApp.frames as number)) - framesAtOpen;
    const ids = filled.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['cpu', 'rundelay', 'disk:virtio-disk0:iops', 'disk:virtio-disk0:bw', 'disk:virtio-disk0:lat', 'nic:vnet0', 'nic:vnet0:drops', 'mem']));
    for (const c of filled) {
      // the live points drawn beside the history are at most the snapshots rendered since the guest opened
      expect(c.points - c.history, c.id).toBeLessThanOrEqual(framesSinceOpen + 1);
      expect(c.points - c.history, c.id).toBeGreaterThanOrEqual(1);
    }
    for (const id of ['disk:virtio-disk0:iops', 'disk:virtio-disk1:bw', 'nic:vnet0', 'mem']) {
      expect(filled.find((c) => c.id === id)?.painted, id).toBeGreaterThan(500);
    }
    // then appended live: more points with the next snapshots
    const before = filled.find((c) => c.id === 'nic:vnet0')!.points;
    await until('live points on the NIC chart', async () => ((await charts()).find((c) => c.id === 'nic:vnet0')?.points ?? 0) > before);
    expect(errors).toEqual([]);
  });

  it('S puts who suffers most on top: one of the demo\'s troubled guests, SUFF% descending', async () => {
    // 8 guests: the demo's trouble needs them (db-04 at its disk limit, proxy-05 under its quota,
    // cache-06 / web-07 on overcommitted CPUs, batch-02 at its tc shaping rate)
    const d = await serveDemo(lab, 8);
    const { page, errors } = await launchChromium(lab);
    await page.goto(d.url);
    await until('8 rows', async () => (await page.$$('#guest-table tbody tr[data-id]')).length === 8);
    await page.keyboard.press('S');
    const rows = await until('sorted by suffering', async () => {
      const rs = await page.$$eval('#guest-table tbody tr[data-id]', (trs) => trs.map((tr) => [tr.children[1]?.textContent ?? '', tr.children[6]?.textContent ?? '']));
      const sf = rs.map((r) => Number(r[1]));
      return rs.length === 8 && sf.every((x, i) => Number.isFinite(x) && (i === 0 || x <= (sf[i - 1] as number))) ? rs : null;
    });
    expect(await page.textContent('th[data-key="suffer"]')).toBe('SUFF% ▼');
    expect(['batch-02', 'db-04', 'proxy-05', 'cache-06', 'web-07']).toContain(rows[0]?.[0]);
    expect(Number(rows[0]?.[1])).toBeGreaterThanOrEqual(50);
    expect(Number(rows.find((r) => r[0] === 'web-01')?.[1])).toBeLessThan(Number(rows[0]?.[1]));
    expect(errors).toEqual([]);
  });

  it('takes several --io and --disk-throttle specs in one dialog (one per line, each checked): the plan has every step, apply writes every one, undo reverts them', async () => {
    const d = await serveDemo(lab, 2);
    const { page, errors } = await launchChromium(lab);
    await page.goto(d.url);
    // the header shows the host's uptime
    await until('uptime in the header', async () => / up (\d+d\d\dh|\d+h\d\dm|\d+m\d\ds|\d+s) /.test((await page.textContent('#host h1')) ?? ''));
    const webRow = await until('web-01 row', async () => page.$('#guest-table tbody tr:has(td:text-is("web-01"))'));
    await webRow.dblclick();
    await page.waitForSelector('#detail');
    await page.keyboard.press('t');
    await page.waitForSelector('#tune-dialog');
    // a bad second spec is named under the field; nothing can be previewed
    await page.fill('#field-io', 'dm-0:riops=500\ndm-1:sideways=3');
    await until('spec error', async () => /^spec 2: --io: .*sideways/.test((await page.textContent('.field-error[data-field="io"]')) ?? ''));
    expect(await page.isDisabled('#tune-preview')).toBe(true);
    // typed as a user does: Enter starts the next spec
    await page.fill('#field-io', '');
    await page.type('#field-io', 'dm-0:riops=500');
    await page.keyboard.press('Enter');
    await page.keyboard.type('253:1:wbps=10M');
    await page.fill('#field-diskThrottle', 'virtio-disk0:iops=300\nvirtio-disk1:bps=5M');
    await until('valid', async () => !(await page.isDisabled('#tune-preview')));
    expect(await page.textContent('.field-error[data-field="io"]')).toBe('');
    await page.click('#tune-preview');
    await page.waitForSelector('#plan-table');
    const rows = await page.$$eval('#plan-table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')).filter((r) => r.length === 3));
    expect(rows.filter((r) => r[0]!.endsWith('/io.max')).map((r) => r[2])).toEqual(['253:0 riops=500', '253:1 wbps=10485760']);
    // block_set_io_throttle on the guest's QMP socket, old and new arguments per disk
    const qmp = rows.filter((r) => r[0]!.endsWith('.qmp')).map((r) => JSON.parse(r[2]!) as { id: string; iops: number; bps: number });
    expect(qmp.map((a) => [a.id, a.iops, a.bps])).toEqual([
      ['/machine/peripheral/virtio-disk0/virtio-backend', 300, 0], ['/machine/peripheral/virtio-disk1/virtio-backend', 0, 5242880]]);
    await until('apply enabled', async () => !(await page.isDisabled('#tune-apply')));
    await page.click('#tune-apply');
    await until('applied', async () => ((await page.textContent('#tune-status')) ?? '').startsWith('applied change'));
    // the applied plan lists every step, each written and read back
    const applied = await page.$$eval('#plan-table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')).filter((r) => r.length === 3));
    expect(await page.textContent('#plan-table caption')).toMatch(/^Applied: change /);
    expect(applied.map((r) => r[2])).toEqual(rows.map((r) => r[2]));
    // the page's later snapshots carry every limit: both io.max devices (blockDevices) and both QEMU
    // throttles (disks), within a few 0.5 s ticks (not only at the 30 s slow QMP batch)
    const limits = await until('all four limits in the snapshot', async () => {
      const l = await page.evaluate(() => {
        const g = ((window as any).virtuneApp.snap as { guests: Array<{ name: string; disks: any[]; blockDevices: any[] }> }).guests.find((x) => x.name === 'web-01')!;
        const of = (list: any[], key: string, name: string): Record<string, number | null> | null => list.find((x) => x[key] === name)?.limits ?? null;
        return [of(g.blockDevices, 'device', '253:0')?.readIops, of(g.blockDevices, 'device', '253:1')?.writeBytesPerSec,
          of(g.disks, 'name', 'virtio-disk0')?.totalIops, of(g.disks, 'name', 'virtio-disk1')?.totalBytesPerSec];
      });
      return l.every((v) => v !== null && v !== undefined) ? l : null;
    }, 10_000);
    expect(limits).toEqual([500, 10485760, 300, 5242880]);
    await page.click('#tune-undo');
    await until('undone', async () => / undone$/.test((await page.textContent('#tune-status')) ?? ''));
    const undone = await page.$$eval('#plan-table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')).filter((r) => r.length === 3));
    expect(undone).toHaveLength(4);
    expect(errors).toEqual([]);
  });

  it('sets a CPU quota through the tuning dialog: inline validation, preview, apply, CPU falls within 5 s, undo restores', async () => {
    const d = await serveDemo(lab, 2);
    const { page, errors } = await launchChromium(lab);
    await page.goto(d.url);
    const webRow = await until('web-01 row', async () => page.$('#guest-table tbody tr:has(td:text-is("web-01"))'));
    await webRow.dblclick();
    await page.waitForSelector('#detail');
    const before = await until('web-01 busy above one CPU', async () => { const c = await shownCpu(page); return c !== null && c > 100 ? c : null; });
    expect(before).toBeGreaterThan(100);
    await page.keyboard.press('t');
    await page.waitForSelector('#tune-dialog');
    // inline validation with the CLI's grammar: garbage is named, nothing can be sent
    await page.fill('#field-cpuQuota', '50 percent');
    await until('field error', async () => ((await page.textContent('.field-error[data-field="cpuQuota"]')) ?? '').includes('--cpu-quota'));
    expect(await page.isDisabled('#tune-preview')).toBe(true);
    expect(await page.isDisabled('#tune-apply')).toBe(true);
    await page.fill('#field-cpuQuota', '50%');
    await until('valid', async () => !(await page.isDisabled('#tune-preview')));
    expect(await page.isDisabled('#tune-apply')).toBe(true); // not before a preview
    await page.click('#tune-preview');
    await page.waitForSelector('#plan-table');
    const rows = await page.$$eval('#plan-table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const write = rows.find((r) => (r[0] ?? '').endsWith('/cpu.max'));
    expect(write?.[2]).toBe('50000 100000');
    expect(write?.[1]).toMatch(/^max /);
    await until('apply enabled', async () => !(await page.isDisabled('#tune-apply')));
    await page.click('#tune-apply');
    await until('applied', async () => ((await page.textContent('#tune-status')) ?? '').startsWith('applied change'));
    const appliedAt = Date.now();
    // the guest's CPU, as the page shows it, falls to the quota within 5 s (margin for a snapshot straddling the change)
    await until('CPU under the quota', async () => { const c = await shownCpu(page); return c !== null && c <= 60; }, 5000);
    expect(Date.now() - appliedAt).toBeLessThanOrEqual(5500);
    await until('quota badge', async () => ((await page.textContent('#detail .facts')) ?? '').includes('quota 50%'));
    await page.click('#tune-undo');
    await until('undone', async () => / undone$/.test((await page.textContent('#tune-status')) ?? ''));
    await page.keyboard.press('Escape');
    await until('CPU back above one CPU', async () => { const c = await shownCpu(page); return c !== null && c > 100; }, 10_000);
    await until('badge gone', async () => ((await page.textContent('#detail .facts')) ?? '').includes('no limits'));
    // the audit view lists the apply and the undo
    await page.keyboard.press('L');
    await until('audit rows', async () => ((await page.textContent('#audit-log')) ?? '').includes('undo'));
    expect(await page.textContent('#changes')).toMatch(/undone/);
    expect(errors).toEqual([]);
  });

  it('shows a connection-lost banner when the daemon goes away and reconnects when it is back (same tokens)', async () => {
    // the daemon in-process (startDaemon, as `virtune serve` runs it) so it can come back with the same tokens
    const port = await freePort();
    const tokens = { viewer: 'desktop-test-viewer-0123456789', operator: 'desktop-test-operator-0123456789' };
    const dir = lab.tmpdir('virtune-desktop-reconnect');
    const g: GlobalOptions = { root: '/', demo: 2, connect: null, tokenFile: null, qmp: [], intervalSec: 0.5, write: false, json: false, libvirtUri: null, stateDir: null, auditLog: null };
    const prevTmp = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    lab.defer(() => { if (prevTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = prevTmp; });
    // the built daemon (dist/): it runs its sampler in a worker thread loaded from a .js file beside it
    const { startDaemon } = (await import('../../dist/cli/commands/serve.js' as string)) as { startDaemon(g: GlobalOptions, o: DaemonOptions): Promise<Daemon> };
    const start = () => startDaemon(g, { listen: null, listenRo: null, http: `127.0.0.1:${port}`, tokens });
    const d1 = await start();
    let d2: Daemon | null = null;
    lab.defer(async () => { await d1.close(); await d2?.close(); });
    const { page, errors } = await launchChromium(lab);
    await page.goto(`http://127.0.0.1:${port}/?token=${tokens.viewer}`);
    await page.waitForSelector('#guest-table tbody tr[data-id]');
    await until('banner hidden', async () => page.$eval('#banner', (b) => b.classList.contains('hidden')));
    // the viewer's session is read-only
    expect(await page.textContent('#mode')).toMatch(/read-only/);
    await d1.close();
    await until('banner shown', async () => page.$eval('#banner', (b) => !b.classList.contains('hidden') && /Connection lost/.test(b.textContent ?? '')), 10_000);
    d2 = await start();
    await until('banner hidden again', async () => page.$eval('#banner', (b) => b.classList.contains('hidden')), 20_000);
    const f = await page.evaluate(() => (window as any).virtuneApp.frames as number);
    await until('snapshots flow again', async () => (await page.evaluate(() => (window as any).virtuneApp.frames as number)) > f + 1);
    // failed websocket attempts while the daemon was down are logged by Chromium itself
    expect(errors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  });
});

describe('guest table with more guests than fit on screen (real daemon, real browser)', () => {
  const lab = useLab();

  it('keeps only the rows near the viewport in the DOM and shows the right ones after scrolling', async () => {
    const d = await serveDemo(lab, 60);
    const { page, errors } = await launchChromium(lab, { width: 1200, height: 600 });
    await page.goto(d.url);
    await until('60 guests counted', async () => (await page.textContent('#guests .count')) === '60 of 60 guests', 60_000);
    await page.click('th[data-key="name"]');
    const rendered = await page.$$eval('#guest-table tbody tr[data-id] td:nth-child(2)', (tds) => tds.map((t) => t.textContent ?? ''));
    expect(rendered.length).toBeLessThan(60);
    expect(rendered.length).toBeGreaterThan(10);
    expect(rendered).toEqual([...rendered].sort());
    const all = (await page.evaluate(() => (window as any).virtuneApp.snap.guests.map((g: { name: string }) => g.name) as string[])).sort();
    expect(rendered[0]).toBe(all[0]);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await until('the last guest rendered', async () => {
      const xs = await page.$$eval('#guest-table tbody tr[data-id] td:nth-child(2)', (tds) => tds.map((t) => t.textContent ?? ''));
      return xs.at(-1) === all.at(-1) && !xs.includes(all[0]!);
    });
    const box = await page.$$eval('#guest-table tbody tr[data-id]', (trs) => trs.at(-1)!.getBoundingClientRect().bottom);
    expect(box).toBeLessThanOrEqual(600 + 1);
    expect(errors).toEqual([]);
  });
});
