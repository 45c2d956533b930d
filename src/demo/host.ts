// Owns the demo host: startDemoHost() lays out a simulated KVM host (cgroup v2 libvirt/systemd
// layout, procfs, sysfs, 2 NUMA nodes, KSM, hugepages) in a temporary directory that virtune's real
// collector reads through NodeHostFs(root), serves one QMP socket per guest, and advances every
// counter on a timer (or by advance(ms) in manual mode). Tuning writes into the tree are read back
// each step and change the simulation. stop() closes everything and removes the directory.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trackDir, untrackDir } from './cleanup.js';
import { ControlPoller, DOMAIN_CONTROLS, THREAD_CONTROLS, type CgControls } from './controls.js';
import { guestPaths, type GuestPaths } from './paths.js';
import { DemoQmpServer } from './qmp-server.js';
import { writeGuestDynamic } from './render-guest.js';
import { writeHostDynamic } from './render-host.js';
import { parseOpenFileLimits } from '../engine/model/open-files.js';
import { formatShaping, parseShaping, SHAPING_FILE } from './net-shaping.js';
import { applyScenarios } from './scenarios.js';
import { ksmTarget, recomputeEffective, step } from './sim.js';
import { makeGuestSpecs, makeHostSpec, QMP_DIR } from './spec.js';
import { newGuestState, newHostState, type GuestState, type HostState } from './state.js';
import { writeGuestStatic } from './tree-guest.js';
import { HOST_PIDS, writeHostStatic, writeLastPid } from './tree-host.js';
import { keptFdBudget, TreeWriter } from './writer.js';

export interface DemoHostOptions {
  guests: number;
  seed?: number;
  /** no timer: time moves only by advance(ms) */
  manual?: boolean;
  /** one QMP server per guest (default true) */
  qmp?: boolean;
  /** parent directory for the temporary root (default /dev/shm when usable, else the OS temp dir) */
  dir?: string;
  /** timer step in real ms when not manual (default 250; a slow step stretches it to 3× its cost) */
  stepMs?: number;
}

export interface DemoGuestInfo {
  id: string;
  name: string;
  pid: number;
  /** absolute path of the guest's QMP socket ('' without qmp) */
  qmpSocket: string;
  /** the same socket as a host path inside the tree (as on the QEMU command line), for --qmp / extraQmpSockets */
  qmpPath: string;
}

export interface DemoHost {
  /** the root to read with NodeHostFs(root) */
  root: string;
  guests: DemoGuestInfo[];
  /** advance simulated time by ms (in steps of at most 1 s) */
  advance(ms: number): void;
  stop(): Promise<void>;
}

export const DEMO_STEP_MS = 250;
/** guests written per slice of a timer step before the event loop gets a turn */
const WRITE_SLICE = 16;
const MAX_GUESTS = 5000;
const SUN_PATH_MAX = 107;

/** This process's soft open-file limit (null: unknown or unlimited). */
function openFileSoftLimit(): number | null {
  try {
    return parseOpenFileLimits(fs.readFileSync('/proc/self/limits', 'utf8'))?.soft ?? null;
  } catch {
    return null;
  }
}

/** Where demo trees go: $TMPDIR when the user set one, else /dev/shm (fast), else the OS temp dir. */
function defaultParent(): string {
  if (process.env.TMPDIR) return os.tmpdir();
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch { /* fall back */ }
  return os.tmpdir();
}

interface HostControlFile { rel: string; mtimeMs: number; size: number; apply(text: string): void }

export async function startDemoHost(opts: DemoHostOptions): Promise<DemoHost> {
  const n = opts.guests;
  if (!Number.isInteger(n) || n < 0 || n > MAX_GUESTS) throw new RangeError(`demo guests must be an integer 0-${MAX_GUESTS}, got ${n}`);
  const seed = opts.seed ?? 1;
  const qmp = opts.qmp ?? true;
  const stepMs = opts.stepMs ?? DEMO_STEP_MS;
  if (!(stepMs >= 10) || !Number.isFinite(stepMs)) throw new RangeError(`demo stepMs must be >= 10, got ${stepMs}`);
  const root = fs.realpathSync(fs.mkdtempSync(path.join(opts.dir ?? defaultParent(), 'virtune-demo-')));
  trackDir(root);
  const servers: DemoQmpServer[] = [];
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let writer: TreeWriter | null = null;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    await Promise.all(servers.map((s) => s.close()));
    writer?.close();
    fs.rmSync(root, { recursive: true, force: true });
    untrackDir(root);
  };

  try {
    const specs = makeGuestSpecs(n, seed);
    const longest = specs.reduce((m, s) => Math.max(m, (root + s.qmpPath).length), 0);
    if (qmp && longest > SUN_PATH_MAX) {
      throw new RangeError(`demo root ${root} is too long for unix sockets (${longest} > ${SUN_PATH_MAX} bytes): pass a shorter dir`);
    }
    const hostSpec = makeHostSpec(specs, seed);
    const guests = specs.map((s) => newGuestState(s, hostSpec));
    applyScenarios(guests, hostSpec);
    const host = newHostState(hostSpec, guests);
    let target = 0;
    for (const g of guests) target += ksmTarget(g);
    host.ksm.sharing = target * 0.8; host.ksm.shared = host.ksm.sharing / 5;
    for (const g of guests) g.ksmPages = target > 0 ? (host.ksm.sharing + host.ksm.shared) * (ksmTarget(g) / target) : 0;

    const w = new TreeWriter(root, keptFdBudget(n, qmp, openFileSoftLimit()));
    writer = w;
    const paths: GuestPaths[] = specs.map(guestPaths);
    w.creating = true;
    writeHostStatic(w, host);
    guests.forEach((g, i) => {
      writeGuestStatic(w, g, paths[i] as GuestPaths, qmp);
      writeGuestDynamic(w, g, paths[i] as GuestPaths, host);
    });
    writeHostDynamic(w, host, guests);
    writeLastPid(w, [...HOST_PIDS, ...specs.flatMap((s) => [s.tids.main, ...s.tids.vcpus, s.tids.vhost])]);
    w.creating = false;
    // the scenarios' tc shaping, where the simulated tc starts from and the simulation reads it back
    const shapingText = formatShaping(new Map(guests.map((g) => [g.spec.nic.ifname, g.shaping])));
    if (shapingText !== '') {
      fs.mkdirSync(path.dirname(root + SHAPING_FILE), { recursive: true });
      fs.writeFileSync(root + SHAPING_FILE, shapingText);
    }

    const poller = new ControlPoller(root);
    guests.forEach((g, i) => {
      const p = paths[i] as GuestPaths;
      for (const f of DOMAIN_CONTROLS) { poller.add(`${p.scope}/${f}`, f, g.ctl.scope, i); poller.add(`${p.libvirt}/${f}`, f, g.ctl.libvirt, i); }
      for (const f of THREAD_CONTROLS) {
        p.vcpu.forEach((d, v) => poller.add(`${d}/${f}`, f, g.ctl.vcpu[v] as CgControls, i));
        poller.add(`${p.emulator}/${f}`, f, g.ctl.emulator, i);
      }
    });
    const devices = specs.map((s) => new Set(s.disks.map((d) => d.majMin)));
    const hostControls = makeHostControls(root, host);
    const shaping = { mtimeMs: -1, size: -1 };
    const pollShaping = (): void => {
      let st: fs.Stats;
      try { st = fs.statSync(root + SHAPING_FILE); } catch { return; }
      if (st.mtimeMs === shaping.mtimeMs && st.size === shaping.size) return;
      shaping.mtimeMs = st.mtimeMs; shaping.size = st.size;
      let m: ReturnType<typeof parseShaping>;
      try { m = parseShaping(fs.readFileSync(root + SHAPING_FILE, 'latin1')); } catch { return; }
      for (const g of guests) g.shaping = m.get(g.spec.nic.ifname) ?? { inKbit: null, outKbit: null };
    };

    const compute = (dtMs: number): void => {
      const changed = poller.poll((i) => devices[i] ?? new Set(), (rel, text) => { w.invalidate(rel); w.put(rel, text); });
      for (const i of changed) recomputeEffective(guests[i] as GuestState, hostSpec);
      pollHost(root, hostControls, w);
      pollShaping();
      step(host, guests, dtMs / 1000);
      writeHostDynamic(w, host, guests);
    };
    const tick = (dtMs: number): void => {
      compute(dtMs);
      guests.forEach((g, i) => writeGuestDynamic(w, g, paths[i] as GuestPaths, host));
    };
    /**
     * A timer step: the guests' files are written in slices with the event loop free in between, so
     * the QMP servers keep answering while a large demo writes its tree (as real QEMUs would).
     * Resolves with the busy time in ms.
     */
    const tickLive = async (dtMs: number): Promise<number> => {
      let busy = 0;
      let t = performance.now();
      compute(dtMs);
      for (let i = 0; i < guests.length; i++) {
        if (stopped) return busy;
        writeGuestDynamic(w, guests[i] as GuestState, paths[i] as GuestPaths, host);
        if (i % WRITE_SLICE === WRITE_SLICE - 1 && i + 1 < guests.length) {
          busy += performance.now() - t;
          await new Promise<void>((r) => setImmediate(r));
          t = performance.now();
        }
      }
      return busy + performance.now() - t;
    };
    const advance = (ms: number): void => {
      if (stopped) return;
      if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance(ms) needs a finite ms >= 0, got ${ms}`);
      let left = ms;
      while (left > 0) {
        const d = Math.min(1000, left);
        tick(d);
        left -= d;
      }
    };

    if (qmp) {
      fs.mkdirSync(root + QMP_DIR, { recursive: true });
      guests.forEach((g) => servers.push(new DemoQmpServer(g, root + g.spec.qmpPath, () => host.simSec)));
      await Promise.all(servers.map((s) => s.listen()));
    }

    if (!opts.manual) {
      let last = performance.now();
      const loop = async (): Promise<void> => {
        if (stopped) return;
        const now = performance.now();
        let left = now - last;
        last = now;
        let cost = 0;
        for (; left > 1000; left -= 1000) { const t = performance.now(); tick(1000); cost += performance.now() - t; }
        cost += await tickLive(left);
        if (stopped) return;
        timer = setTimeout(() => { void loop(); }, Math.max(stepMs, cost * 3));
        timer.unref();
      };
      timer = setTimeout(() => { void loop(); }, stepMs);
      timer.unref();
    }

    return {
      root,
      guests: specs.map((s) => ({ id: `libvirt:${s.name}`, name: s.name, pid: s.pid, qmpSocket: qmp ? root + s.qmpPath : '', qmpPath: qmp ? s.qmpPath : '' })),
      advance,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function makeHostControls(root: string, host: HostState): HostControlFile[] {
  const num = (t: string): number | null => (/^\d+$/.test(t.trim()) ? Number(t.trim()) : null);
  const files: Array<[string, (t: string) => void]> = [
    ['/sys/kernel/mm/ksm/run', (t) => { const v = num(t); if (v !== null && v <= 2) host.ksm.run = v; }],
    ['/sys/kernel/mm/ksm/pages_to_scan', (t) => { const v = num(t); if (v !== null && v > 0) host.ksm.pagesToScan = v; }],
    ['/sys/kernel/mm/ksm/sleep_millisecs', (t) => { const v = num(t); if (v !== null) host.ksm.sleepMs = v; }],
    ['/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages', (t) => {
      const v = num(t);
      if (v === null) return;
      // grow or shrink the free part of the pool, spread over the nodes; pages in use stay
      const used = host.huge.total.map((tot, k) => tot - (host.huge.free[k] as number));
      const usedAll = used.reduce((a, b) => a + b, 0);
      const freeAll = Math.max(0, v - usedAll);
      host.huge.total.forEach((_, k) => {
        const share = Math.floor(freeAll / host.huge.total.length) + (k < freeAll % host.huge.total.length ? 1 : 0);
        host.huge.free[k] = share; host.huge.total[k] = (used[k] as number) + share;
      });
    }],
  ];
  return files.map(([rel, apply]) => {
    const st = fs.statSync(root + rel);
    return { rel, mtimeMs: st.mtimeMs, size: st.size, apply };
  });
}

function pollHost(root: string, files: HostControlFile[], w: TreeWriter): void {
  for (const f of files) {
    let st: fs.Stats;
    try { st = fs.statSync(root + f.rel); } catch { continue; }
    if (st.mtimeMs === f.mtimeMs && st.size === f.size) continue;
    try { f.apply(fs.readFileSync(root + f.rel, 'latin1')); } catch { /* unreadable: keep */ }
    w.invalidate(f.rel);
    const after = fs.statSync(root + f.rel);
    f.mtimeMs = after.mtimeMs; f.size = after.size;
  }
}
