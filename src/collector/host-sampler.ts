// Owns createHostSampler, the collector's SampleSource: discovery cached between 'discovery' tasks (its /proc scan
// reading only pids new since the last one, its cgroup scan only cgroups not settled),
// per-guest reader state (cached fds through fs.readCached, forgotten when a guest vanishes; slow
// per-node memory carried forward), host counters, static inventory on 'static', then the enrichers
// (each wrapped: a throwing enricher becomes an `errors` entry; each is told first, with `begin`, that
// a sample starts, so its requests can be answered while the files are read). A guest that vanishes mid-sample is
// dropped, never a crash. RawSample.costUsec is the wall time the sample took.

import { boundRawSample } from './bounds.js';
import type { RawGuest, RawHost, RawSample, SourceErrorInfo } from '../engine/model/sample.js';
import type { Clock } from '../engine/ports/clock.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { GuestEnricher, HostInventory, SampleRequest, SampleSource } from '../engine/ports/sources.js';
import type { CgroupLayout } from './cgroup/layout.js';
import { discover } from './discovery/discover.js';
import { CgroupScanMemo } from './discovery/cgroup-memo.js';
import { ProcScanMemo } from './discovery/proc-memo.js';
import { DiscoveryGate } from './discovery/quiet-gate.js';
import type { DiscoveredGuest } from './discovery/types.js';
import { newSlowState, readGuest, readVcpuCounters, type GuestSlowState } from './guest-reader.js';
import { CLK_TCK, PAGE_SIZE, readHost, readHostStatic, type HostStatic } from './host-reader.js';
import { forgetFileRefs, pruneSettings, ReadCtx, type MissingCache } from './read-ctx.js';
import { readBlockName } from './sysfs/read.js';
import { parseNetDev } from './procfs/parse.js';

export interface HostSamplerDeps {
  fs: HostFs;
  clock: Clock;
  enrichers?: GuestEnricher[];
  demo?: boolean;
  extraQmpSockets?: string[];
  inventory?: HostInventory | null;
}

const now = (): number => globalThis.performance.now();

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function createHostSampler(deps: HostSamplerDeps): SampleSource {
  const { fs, clock } = deps;
  const enrichers = deps.enrichers ?? [];
  // every field from the start: added or first changed later, a field costs V8 the optimized code of the readers
  const missing: MissingCache = {
    paths: new Set(), settings: new Map(), settingsGen: 0, joined: new Map(), procDirs: new Map(), taskDirs: new Map(),
  };
  let guests: DiscoveredGuest[] | null = null;
  let layout: CgroupLayout | null = null;
  let hostStatic: HostStatic | null = null;
  let warnings: SourceErrorInfo[] = [];
  let inventory: RawHost['inventory'] = null;
  const slow = new Map<string, GuestSlowState>();
  const devNames = new Map<string, string | null>();
  const procMemo = new ProcScanMemo();
  const cgroupMemo = new CgroupScanMemo();
  const gate = new DiscoveryGate<ReturnType<typeof discover>>();

  /** a guest gone: its descriptors and FileRefs (by directory) and its carried state */
  const forgetDir = (dir: string): void => {
    fs.forget(`${dir}/`);
    forgetFileRefs(missing, dir);
  };
  const forgetGuest = (g: DiscoveredGuest): void => {
    forgetDir(`/proc/${g.pid}`);
    const d = g.dirs;
    if (d) {
      for (const dir of [d.cpu, d.cpuacct, d.cpuset, d.memory, d.io, d.hugetlb, d.unified,
        d.nested?.cpu, d.nested?.cpuset, d.nested?.memory, d.nested?.io]) {
        if (dir) forgetDir(dir);
      }
    }
    for (const n of g.nics) forgetDir(`/sys/class/net/${n.ifname}`);
    slow.delete(g.id);
  };

  const runDiscovery = (ctx: ReadCtx): void => {
    missing.paths.clear();
    pruneSettings(missing);
    devNames.clear();
    const res = discover(ctx, { extraQmpSockets: deps.extraQmpSockets ?? [], procMemo, cgroupMemo, gate });
    const prev = guests ?? [];
    const nextKeys = new Set(res.guests.map((g) => `${g.id}#${g.pid}`));
    for (const g of prev) if (!nextKeys.has(`${g.id}#${g.pid}`)) forgetGuest(g);
    guests = res.guests;
    layout = res.layout;
    warnings = res.warnings;
    hostStatic = readHostStatic(ctx);
  };

  const devName = (ctx: ReadCtx) => (majmin: string): string | null => {
    let name = devNames.get(majmin);
    if (name === undefined) { name = readBlockName(ctx, majmin); devNames.set(majmin, name); }
    return name;
  };

  return {
    async sample(req: SampleRequest): Promise<RawSample> {
      const t0 = now();
      const errors: SourceErrorInfo[] = [];
      for (const en of enrichers) {
        try { en.begin?.(req.tasks); } catch (e) { errors.push({ source: en.name, guest: null, message: message(e) }); }
      }
      const settingsDue = req.tasks.has('settings') || req.tasks.has('discovery') || guests === null;
      const ctx = new ReadCtx(fs, errors, missing, null, settingsDue);
      if (req.tasks.has('discovery') || guests === null) {
        try {
          runDiscovery(ctx);
        } catch (e) {
          errors.push({ source: 'discovery', guest: null, message: message(e), kind: 'io' });
          guests ??= [];
        }
      }
      errors.push(...warnings);
      if (req.tasks.has('static') && deps.inventory) {
        try {
          inventory = await deps.inventory.read();
        } catch (e) {
          errors.push({ source: 'inventory', guest: null, message: message(e) });
        }
      }
      const monoMs = clock.monoMs();
      const wallMs = clock.wallMs();
      const st = hostStatic ?? readHostStatic(ctx);
      const host = readHost(ctx, st, layout?.version ?? null);
      host.inventory = inventory;

      const netDevText = (guests ?? []).some((g) => g.nics.length > 0) ? ctx.text('/proc/net/dev', 'proc') : null;
      const netDev = netDevText === null ? null : parseNetDev(netDevText);
      const rawGuests: RawGuest[] = [];
      const vanished: DiscoveredGuest[] = [];
      for (const g of guests ?? []) {
        let s = slow.get(g.id);
        const fresh = s === undefined;
        if (!s) { s = newSlowState(); slow.set(g.id, s); }
        const gctx = ctx.forGuest(g.id, s.files);
        try {
          const raw = readGuest(gctx, g, s, {
            numa: req.tasks.has('numa') || fresh, monoMs, hugeSizesKb: st.hugeSizesKb, pageSize: PAGE_SIZE,
            clkTck: CLK_TCK, devName: devName(gctx), netDev,
          });
          const gone = (gctx.vanished || missing.paths.has(`/proc/${g.pid}/status`)) && !fs.exists(`/proc/${g.pid}/stat`);
          if (gone) { vanished.push(g); continue; }
          rawGuests.push(raw);
        } catch (e) {
          if (!fs.exists(`/proc/${g.pid}/stat`)) { vanished.push(g); continue; }
          errors.push({ source: 'collector', guest: g.id, message: message(e) });
        }
      }
      if (vanished.length > 0) {
        // drop the guests and the errors their vanishing caused; the next discovery settles the rest
        const gone = new Set(vanished.map((g) => g.id));
        for (const g of vanished) forgetGuest(g);
        guests = (guests ?? []).filter((g) => !vanished.includes(g));
        for (let i = errors.length - 1; i >= 0; i--) {
          const e = errors[i] as SourceErrorInfo;
          if (e.guest !== null && gone.has(e.guest)) errors.splice(i, 1);
        }
      }

      for (const en of enrichers) {
        try {
          await en.enrich(rawGuests, { tasks: req.tasks, errors, monoMs });
        } catch (e) {
          errors.push({ source: en.name, guest: null, message: message(e) });
        }
      }
      // vCPU tids an enricher added (QMP, libvirt) still need their per-thread counters
      for (const g of rawGuests) {
        for (const v of g.vcpus) {
          if (v.tid !== null && v.runUsec === null && v.lastCpu === null) readVcpuCounters(ctx.forGuest(g.id), g.pid, v);
        }
      }

      const raw: RawSample = {
        schemaVersion: 1, monoMs, wallMs, demo: deps.demo ?? false, host, guests: rawGuests, errors,
        costUsec: 0,
      };
      boundRawSample(raw); // impossible values (corrupt files, hostile replies) become null + an error
      raw.costUsec = Math.round((now() - t0) * 1000);
      return raw;
    },
    async close(): Promise<void> {
      for (const en of enrichers) {
        try { await en.close(); } catch { /* closing: nothing to report to */ }
      }
      fs.forget('/');
    },
  };
}
