// /metrics against the real tools: `promtool check metrics` passes on what `virtune serve --demo --http`
// exports, and a real Prometheus server (Debian's, started here on loopback with a temporary config and
// data directory, killed by pid) scrapes it: its HTTP API returns every demo guest's CPU counter, and
// rate() over it gives the guest's CPU use (counters, not gauges of rates).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { killPid, requireCommand, useLab, type Lab } from '../helpers/lab.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function start(lab: Lab, argv: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string } {
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } });
  const pid = child.pid as number;
  lab.defer(() => killPid(pid, true));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return { child, out: () => out };
}

async function waitFor<T>(what: string, fn: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = await fn(); if (v !== null) return v; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('Prometheus scrapes virtune serve --demo --http (real prometheus and promtool)', () => {
  const lab = useLab();

  it('promtool accepts the exposition; Prometheus stores every guest series and rate() works on them', async () => {
    requireCommand('prometheus');
    requireCommand('promtool');
    const dir = lab.tmpdir('prom');
    const vport = await freePort();
    const v = start(lab, [process.execPath, CLI, '--demo', '4', '--interval', '0.5', 'serve', '--http', `127.0.0.1:${vport}`], { TMPDIR: dir });
    const metricsUrl = `http://127.0.0.1:${vport}/metrics`;
    // /metrics needs the viewer token (Authorization: Bearer), printed at start
    const viewer = await waitFor('the viewer token', async () => /viewer\s+http:\S+\?token=(\S+)/.exec(v.out())?.[1] ?? null);
    const tokenFile = path.join(dir, 'viewer.token');
    writeFileSync(tokenFile, viewer + '\n', { mode: 0o600 });
    expect((await fetch(metricsUrl)).status).toBe(401);
    const body = await waitFor('virtune /metrics', async () => {
      const r = await fetch(metricsUrl, { headers: { authorization: `Bearer ${viewer}` } });
      const t = await r.text();
      return r.ok && t.includes('virtune_guest_cpu_seconds_total{') ? t : null;
    });
    const check = execFileSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(check.trim()).toBe('');
    expect(body).toMatch(/^# TYPE virtune_guest_cpu_seconds_total counter$/m);
    expect(body).toMatch(/^# TYPE virtune_guest_disk_bytes_total counter$/m);
    expect(body).toMatch(/^virtune_hugepages\{size="2097152",state="total"\} \d+/m);
    // a configured limit as a gauge in base units: the demo's batch-02 is shaped to 1 Mbit/s towards it
    expect(body).toMatch(/^virtune_guest_network_shaping_bytes_per_second\{guest="batch-02",[^}]*device="vnet1",direction="in"\} 125000$/m);
    expect(body).not.toMatch(/_per_sec\b|_pct\b/); // rates and percents are Prometheus' job now

    const pport = await freePort();
    const cfg = path.join(dir, 'prometheus.yml');
    writeFileSync(cfg, [
      'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
      'scrape_configs:', '  - job_name: virtune',
      '    authorization:', '      type: Bearer', `      credentials_file: ${tokenFile}`, '    static_configs:', `      - targets: ['127.0.0.1:${vport}']`, '',
    ].join('\n'));
    const p = start(lab, ['prometheus', `--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${pport}`]);
    const api = `http://127.0.0.1:${pport}/api/v1`;
    const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const r = await fetch(`${api}/query?query=${encodeURIComponent(q)}`);
      const j = (await r.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (j.status !== 'success') throw new Error(JSON.stringify(j));
      return j.data.result;
    };
    const series = await waitFor('guest series in Prometheus', async () => {
      const r = await query('virtune_guest_cpu_seconds_total');
      return r.length === 4 ? r : null;
    }, 60_000).catch((e: unknown) => { throw new Error(`${String(e)}\n${p.out().slice(-2000)}\n${v.out().slice(-1000)}`); });
    expect(series.map((s) => s.metric.guest).sort()).toEqual(['batch-02', 'db-04', 'idle-03', 'web-01']);
    for (const s of series) expect(s.metric).toMatchObject({ job: 'virtune', manager: expect.any(String), uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const rates = await waitFor('rate() over five scrapes', async () => {
      const r = await query('rate(virtune_guest_cpu_seconds_total{guest="web-01"}[5s])');
      return r.length === 1 ? r : null;
    });
    const cpus = Number(rates[0]!.value[1]);
    // a rate of a counter: the demo's web-01 is busy, and never more than the demo host's 16 CPUs
    expect(cpus).toBeGreaterThan(0.05);
    expect(cpus).toBeLessThan(16);
    const disks = await query('virtune_guest_disk_ops_total{guest="db-04",op="read"}');
    expect(disks.length).toBeGreaterThan(0);
    expect(disks[0]!.metric.device).toBeTruthy();

    // every panel of the Grafana dashboard in docs/ is valid PromQL against these series; the ones the
    // demo always has data for return the guests
    const dash = JSON.parse(readFileSync(path.join(ROOT, 'docs/grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const answered: Record<string, number> = {};
    for (const p of dash.panels) {
      const expr = p.targets[0]!.expr.replace(/\$__rate_interval/g, '5s').replace(/\$instance|\$guest/g, '.*');
      answered[p.title] = (await query(expr)).length;
    }
    for (const t of ['Guest CPU (% of one host CPU)', 'vCPU run delay (waiting for a host CPU)', 'Disk IOPS', 'Disk bandwidth',
      "Network (guest's direction)", 'Guest memory', 'Host CPU busy (% of all CPUs)', 'NUMA node free memory', 'KSM saved']) {
      expect(answered[t], t).toBeGreaterThan(0);
    }
  });
});
