// Owns the libvirt section of the bench: a real libvirtd with N idle TCG domains (a `hlt` loop), then,
// one after the other over the same window at 1 Hz: nothing (libvirtd's own baseline), `virtune watch`
// (the built CLI), prometheus-libvirt-exporter scraped once a second, and a `virsh domstats --raw` loop;
// with VIRTUNE_BENCH_BEFORE_CLI an older build's `watch` too, then both builds at the same time.
// Each tool's CPU is its own process plus its children (reaped children's time and the live
// descendants, e.g. virtune's virsh session) plus the CPU libvirtd burned above its baseline. Spawned
// processes are counted through logging shims for virsh/tc/ip put first on the tool's PATH.
// Everything it starts is stopped by pid, the domains destroyed and undefined, the lock released.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LIBVIRT_URI, acquireLibvirtLock, domainXml, pidAlive, releaseLibvirtLock, removeMachineDirs, run, setupLibvirtHost,
  startLibvirtd, stopLibvirtd, virsh,
} from './libvirt-host.js';
import { statTimes } from './proc-cpu.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LibvirtToolCost {
  /** % of one CPU over the window */
  ownPct: number;
  childrenPct: number;
  libvirtdExtraPct: number;
  totalPct: number;
  spawnsPerSec: number | null;
}

export interface LibvirtCost {
  guests: number;
  windowSec: number;
  libvirtdBaselinePct: number;
  virtune: LibvirtToolCost | null;
  exporter: LibvirtToolCost | null;
  domstatsLoop: LibvirtToolCost | null;
  /** a second virtune (an older build) when VIRTUNE_BENCH_BEFORE_CLI names its dist/cli.js */
  before: LibvirtToolCost | null;
  /**
   * With VIRTUNE_BENCH_BEFORE_CLI: both builds' `watch` run at the same time against the same domains
   * (the same load for both; the sequential figures above move by more than a change between builds).
   * Own and children's CPU only: libvirtd's extra CPU cannot be told apart between two clients.
   */
  sideBySide: SideBySide | null;
  loadAvgBefore: number[];
  loadAvgAfter: number[];
  notes: string[];
}

export interface SideBySide {
  windowSec: number;
  now: { ownPct: number; childrenPct: number };
  before: { ownPct: number; childrenPct: number };
  /** now's own CPU ÷ before's */
  ownRatio: number | null;
}

/** utime + stime and cutime + cstime of a process in seconds (null when gone). */
const times = (pid: number): { own: number; reaped: number } | null => statTimes(`/proc/${pid}/stat`);

/** live descendants of pid (one /proc pass) */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const want = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of parent) if (want.has(pp) && !want.has(p)) { want.add(p); out.push(p); grew = true; }
  }
  return out;
}

/** Own CPU, children CPU (reaped + live descendants' own) of pid; live descendants measured by pid. */
function treeTimes(pid: number, live: Map<number, number>): { own: number; children: number } {
  const t = times(pid) ?? { own: 0, reaped: 0 };
  let liveSum = 0;
  for (const d of descendants(pid)) {
    const dt = times(d);
    if (dt) live.set(d, dt.own);
  }
  for (const v of live.values()) liveSum += v;
  return { own: t.own, children: t.reaped + liveSum };
}

/** Shims for the programs a sampler might spawn: each call appends one line to the log, then runs the real one. */
function writeShims(dir: string, log: string): void {
  for (const prog of ['virsh', 'tc', 'ip']) {
    let real = '';
    for (const d of ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) if (existsSync(path.join(d, prog))) { real = path.join(d, prog); break; }
    if (!real) continue;
    const f = path.join(dir, prog);
    writeFileSync(f, `#!/bin/sh\necho "${prog} $$" >> '${log}'\nexec ${real} "$@"\n`);
    chmodSync(f, 0o755);
  }
}

const countLines = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length : 0);

async function measureTool(
  start: () => ChildProcess, libvirtdPid: number, baselinePct: number, warmupSec: number, windowSec: number,
  spawnLog: string | null, tick?: () => Promise<void>,
): Promise<LibvirtToolCost> {
  const child = start();
  const pid = child.pid as number;
  let ticking = tick !== undefined;
  const loop = (async () => { while (ticking && tick) { const t0 = Date.now(); await tick().catch(() => undefined); await sleep(Math.max(0, 1000 - (Date.now() - t0))); } })();
  try {
    await sleep(warmupSec * 1000);
    if (!pidAlive(pid)) throw new Error(`the measured tool (pid ${pid}) exited during warm-up`);
    const live0 = new Map<number, number>();
    const a = treeTimes(pid, live0);
    const l0 = times(libvirtdPid)?.own ?? 0;
    const s0 = spawnLog ? countLines(spawnLog) : 0;
    const w0 = Date.now();
    // live descendants' CPU is taken at the end; ones that started in the window count from 0
    await sleep(windowSec * 1000);
    const live1 = new Map<number, number>();
    const b = treeTimes(pid, live1);
    const wall = (Date.now() - w0) / 1000;
    const l1 = times(libvirtdPid)?.own ?? 0;
    const s1 = spawnLog ? countLines(spawnLog) : 0;
    let liveDelta = 0;
    for (const [d, v] of live1) liveDelta += v - (live0.get(d) ?? 0);
    const reapedDelta = (b.children - [...live1.values()].reduce((x, y) => x + y, 0)) - (a.children - [...live0.values()].reduce((x, y) => x + y, 0));
    const ownPct = ((b.own - a.own) / wall) * 100;
    const childrenPct = ((reapedDelta + liveDelta) / wall) * 100;
    const libvirtdExtraPct = Math.max(0, ((l1 - l0) / wall) * 100 - baselinePct);
    return {
      ownPct: round(ownPct), childrenPct: round(childrenPct), libvirtdExtraPct: round(libvirtdExtraPct),
      totalPct: round(ownPct + childrenPct + libvirtdExtraPct),
      spawnsPerSec: spawnLog ? round((s1 - s0) / wall, 3) : null,
    };
  } finally {
    ticking = false;
    await loop;
    for (const d of descendants(pid)) { try { process.kill(d, 'SIGKILL'); } catch { /* gone */ } }
    try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    const deadline = Date.now() + 5000;
    while (pidAlive(pid) && Date.now() < deadline) await sleep(20);
  }
}

/** Start every tool at once; after the warm-up, each one's own and children's CPU over the same window. */
async function measureTogether(starts: Array<() => ChildProcess>, warmupSec: number, windowSec: number): Promise<Array<{ ownPct: number; childrenPct: number }>> {
  const children = starts.map((start) => start());
  try {
    await sleep(warmupSec * 1000);
    for (const c of children) if (!pidAlive(c.pid as number)) throw new Error(`a measured tool (pid ${c.pid}) exited during warm-up`);
    const lives = children.map(() => new Map<number, number>());
    const a = children.map((c, i) => treeTimes(c.pid as number, lives[i] as Map<number, number>));
    const w0 = Date.now();
    await sleep(windowSec * 1000);
    const wall = (Date.now() - w0) / 1000;
    return children.map((c, i) => {
      const live1 = new Map<number, number>();
      const b = treeTimes(c.pid as number, live1);
      const a0 = a[i] as { own: number; children: number };
      return { ownPct: round(((b.own - a0.own) / wall) * 100), childrenPct: round(((b.children - a0.children) / wall) * 100) };
    });
  } finally {
    for (const c of children) {
      const pid = c.pid as number;
      for (const d of descendants(pid)) { try { process.kill(d, 'SIGKILL'); } catch { /* gone */ } }
      try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    const deadline = Date.now() + 5000;
    while (children.some((c) => pidAlive(c.pid as number)) && Date.now() < deadline) await sleep(20);
  }
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

/** An idle boot sector: `hlt; jmp $-1`, in a 1 MiB raw image. */
function idleImage(file: string): void {
  const img = Buffer.alloc(1 << 20);
  Buffer.from('f4ebfd', 'hex').copy(img, 0);
  img[510] = 0x55;
  img[511] = 0xaa;
  writeFileSync(file, img);
}

export interface LibvirtBenchOptions { guests: number; windowSec: number; warmupSec: number }

export async function measureLibvirt(o: LibvirtBenchOptions, progress: (m: string) => void): Promise<LibvirtCost> {
  setupLibvirtHost();
  const cleanups: Array<() => void> = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'virtune-bench-libvirt-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  await acquireLibvirtLock();
  cleanups.push(releaseLibvirtLock);
  const notes: string[] = [];
  try {
    cleanups.push(removeMachineDirs);
    const daemon = await startLibvirtd(dir);
    cleanups.push(() => stopLibvirtd(daemon));
    progress(`libvirtd ${daemon}: starting ${o.guests} idle TCG domains`);
    for (let i = 0; i < o.guests; i++) {
      const name = `vtbench_${process.pid}_${i}`;
      const image = path.join(dir, `${name}.img`);
      idleImage(image);
      const xml = path.join(dir, `${name}.xml`);
      writeFileSync(xml, domainXml({ name, uuid: crypto.randomUUID(), image, tap: null, vcpus: 1, log: path.join(dir, `${name}.log`) }));
      virsh('define', xml);
      cleanups.push(() => { run(['virsh', '-c', LIBVIRT_URI, 'undefine', name]); rmSync(`/var/log/libvirt/qemu/${name}.log`, { force: true }); });
      cleanups.push(() => { run(['virsh', '-c', LIBVIRT_URI, 'destroy', name]); });
      virsh('start', name);
    }
    const loadAvgBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
    await sleep(o.warmupSec * 1000);
    // libvirtd alone, same window
    const b0 = times(daemon)?.own ?? 0;
    const bw0 = Date.now();
    await sleep(o.windowSec * 1000);
    const baselinePct = (((times(daemon)?.own ?? 0) - b0) / ((Date.now() - bw0) / 1000)) * 100;
    progress(`libvirtd baseline ${baselinePct.toFixed(2)} % of a CPU`);

    const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
    const startWatch = (cliPath: string, label: string): { start: () => ChildProcess; log: string } => {
      const shimDir = path.join(dir, `shims-${label}`);
      mkdirSync(shimDir);
      const log = path.join(dir, `spawns-${label}.log`);
      writeShims(shimDir, log);
      return {
        log,
        start: () => spawn(process.execPath, [cliPath, 'watch', '--json', '--interval', '1'], {
          stdio: ['ignore', 'ignore', 'ignore'], detached: true, env: { ...process.env, PATH: `${shimDir}:${process.env.PATH ?? ''}` },
        }),
      };
    };
    const virtuneRun = async (cliPath: string, label: string): Promise<LibvirtToolCost | null> => {
      const w = startWatch(cliPath, label);
      progress(`${label}: virtune watch --interval 1 for ${o.windowSec} s`);
      try {
        return await measureTool(w.start, daemon, baselinePct, o.warmupSec, o.windowSec, w.log);
      } catch (e) {
        notes.push(`${label}: ${(e as Error).message}`);
        return null;
      }
    };
    const virtune = await virtuneRun(cli, 'virtune');
    const beforeCli = process.env.VIRTUNE_BENCH_BEFORE_CLI;
    const before = beforeCli ? await virtuneRun(beforeCli, 'before') : null;
    let sideBySide: SideBySide | null = null;
    if (beforeCli) {
      progress(`virtune and before at the same time for ${o.windowSec} s`);
      try {
        const [n, b] = await measureTogether([startWatch(cli, 'together-now').start, startWatch(beforeCli, 'together-before').start], o.warmupSec, o.windowSec);
        if (n && b) sideBySide = { windowSec: o.windowSec, now: n, before: b, ownRatio: b.ownPct > 0 ? round(n.ownPct / b.ownPct, 3) : null };
      } catch (e) {
        notes.push(`side by side: ${(e as Error).message}`);
      }
    }

    let exporter: LibvirtToolCost | null = null;
    if (existsSync('/usr/bin/prometheus-libvirt-exporter')) {
      const port = 19000 + (process.pid % 1000);
      progress(`exporter on :${port}, scraped 1/s for ${o.windowSec} s`);
      exporter = await measureTool(() => spawn('/usr/bin/prometheus-libvirt-exporter', [`--web.listen-address=127.0.0.1:${port}`, `--libvirt.uri=${LIBVIRT_URI}`], {
        stdio: 'ignore', detached: true,
      }), daemon, baselinePct, o.warmupSec, o.windowSec, null, async () => {
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        await r.text();
      }).catch((e: unknown) => { notes.push(`exporter: ${(e as Error).message}`); return null; });
    } else notes.push('prometheus-libvirt-exporter not installed: its figure is not measured');

    progress(`virsh domstats --raw loop for ${o.windowSec} s`);
    const loopLog = path.join(dir, 'spawns-loop.log');
    const shimDir = path.join(dir, 'shims-loop');
    mkdirSync(shimDir);
    writeShims(shimDir, loopLog);
    const domstatsLoop = await measureTool(() => spawn('/bin/sh', ['-c', `while :; do virsh -c ${LIBVIRT_URI} domstats --raw >/dev/null; sleep 1; done`], {
      stdio: 'ignore', detached: true, env: { ...process.env, PATH: `${shimDir}:${process.env.PATH ?? ''}` },
    }), daemon, baselinePct, o.warmupSec, o.windowSec, loopLog).catch((e: unknown) => { notes.push(`domstats loop: ${(e as Error).message}`); return null; });
    const loadAvgAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
    return { guests: o.guests, windowSec: o.windowSec, libvirtdBaselinePct: round(baselinePct), virtune, exporter, domstatsLoop, before, sideBySide, loadAvgBefore, loadAvgAfter, notes };
  } finally {
    for (const c of cleanups.reverse()) { try { c(); } catch (e) { progress(`cleanup: ${(e as Error).message}`); } }
  }
}
