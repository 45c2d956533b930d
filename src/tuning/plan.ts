// Owns turning a TuningRequest and the current RawSample into a Plan: which guest, which path per
// manager (bare QEMU and Proxmox directly through cgroups/QMP/tc — Proxmox with a warning that its
// config is not changed; libvirt through planLibvirt), --isolate for a guest without a cgroup of its
// own, and the per-knob planners in order. Planning writes nothing; it reads current values (cgroup
// files, tc state of the tap) so every step carries old -> new.

import { VirtuneError } from '../engine/model/errors.js';
import type { RawGuest, RawSample } from '../engine/model/sample.js';
import type { Plan, QuotaSpec, TuningChange, TuningRequest } from '../engine/model/tuning.js';
import type { CommandRunner } from '../engine/ports/command-runner.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import { flagOf } from '../engine/model/tuning-flags.js';
import { guestCgroups, resolveGuest } from './guest.js';
import { planLibvirt } from './libvirt/plan.js';
import type { PlanCtx } from './plan-context.js';
import { planCpuset, planEmulatorPin, planNodeset, planQuotaPeriod, planVcpuPin, planWeight } from './plan-cpu.js';
import { planIsolate } from './plan-isolate.js';
import { planDiskThrottle, planIo } from './plan-io.js';
import { planHugepages, planKsm, planMemMax } from './plan-mem.js';
import { planNet } from './plan-net.js';
import { netnsPrefix, readTapState, tapsOfPid, type TcCaps } from './tc.js';

export interface PlanDeps {
  fs: HostFs;
  runner: CommandRunner;
  libvirtUri: string | null;
  /** tc features of this kernel (detected once, cached by the caller) */
  tcCaps: () => Promise<TcCaps>;
  /** asks QEMU for a disk's current throttle limits (absent: --disk-throttle cannot be planned) */
  qmp?: QmpConnector;
}

/** cgroup controller a change writes, for the cgroup version (null: no cgroup needed). */
function controllerOf(c: TuningChange, v: 1 | 2): string | null {
  switch (c.kind) {
    case 'cpuWeight': case 'cpuQuota': case 'cpuPeriod': return 'cpu';
    case 'cpuset': case 'nodeset': return 'cpuset';
    case 'io': return v === 2 ? 'io' : 'blkio';
    case 'memMax': return 'memory';
    default: return null;
  }
}

function hostPlan(req: TuningRequest, raw: RawSample, fs: HostFs): Plan {
  const ctx: PlanCtx = { fs, raw, req, guest: null, cg: null, steps: [], warnings: [], migrateBytes: null, fresh: new Set() };
  for (const c of req.changes) {
    if (c.kind === 'ksm') planKsm(ctx, c);
    else if (c.kind === 'hugepages') planHugepages(ctx, c);
    else throw new VirtuneError(2, `tune host: ${flagOf(c)} needs a guest (tune GUEST ${flagOf(c)} ...)`);
  }
  return { guest: 'host', guestUuid: null, applied: false, changeId: null, steps: ctx.steps, warnings: ctx.warnings, migrateBytes: null };
}

/** Which guest owns tap IFNAME: the guest's own NIC list, else the tun descriptors QEMU holds. */
function tapOwners(fs: HostFs, raw: RawSample, ifname: string): RawGuest[] {
  return raw.guests.filter((g) => g.nics.some((n) => n.ifname === ifname) || tapsOfPid(fs, g.pid).includes(ifname));
}

export async function planTuning(req: TuningRequest, raw: RawSample, deps: PlanDeps): Promise<Plan> {
  const { fs } = deps;
  if (req.guest === 'host') return hostPlan(req, raw, fs);
  const guest = resolveGuest(raw, req.guest);
  // The demo host has libvirt-style guests but no libvirtd: its simulation reads the cgroup files and
  // serves QMP, so demo guests are tuned directly (that is how tuning is seen working in the demo).
  if (guest.manager === 'libvirt' && !raw.demo) {
    if (fs.root !== '/' && !deps.libvirtUri) {
      throw new VirtuneError(2, `libvirt guest ${guest.name}: the host is read under --root ${fs.root}, and the local libvirt is not that host's; pass --libvirt-uri to tune it through its libvirt`);
    }
    return planLibvirt(req, guest, raw, { runner: deps.runner, uri: deps.libvirtUri });
  }
  const ctx: PlanCtx = { fs, raw, req, guest, cg: null, steps: [], warnings: [], migrateBytes: null, fresh: new Set() };
  if (raw.demo) ctx.warnings.push('demo host: changes go to the simulated host only');
  if (guest.manager === 'proxmox') {
    ctx.warnings.push(`Proxmox guest ${guest.vmid ?? guest.name}: changed live through cgroups/QMP/tc; the Proxmox VM config (qm set) is not changed and a restart or 'qm' action may reset it`);
  }
  let cg = guestCgroups(fs, raw, guest);
  const needs = [...new Set(req.changes.map((c) => controllerOf(c, cg.version)).filter((c): c is string => c !== null))];
  const shared = needs.filter((c) => !cg.own(c) && !(cg.version === 1 && c === 'memory'));
  if (shared.length > 0 && !req.isolate) {
    const c = shared[0] as string;
    throw new VirtuneError(2, `guest ${guest.id} has no cgroup of its own (its ${c} group ${cg.rel(c) ?? '?'} is shared with other processes); ` +
      'virtune does not change a shared cgroup — pass --isolate to move the guest into a cgroup of its own first');
  }
  if (req.isolate) {
    if (shared.length > 0 || (cg.version === 2 && needs.includes('memory') && !cg.own('memory'))) cg = planIsolate(ctx, cg);
    else ctx.warnings.push(`--isolate: guest ${guest.id} already has a cgroup of its own; nothing to move`);
  }
  ctx.cg = cg;

  const quota = req.changes.find((c) => c.kind === 'cpuQuota') as { quota: QuotaSpec } | undefined;
  const period = req.changes.find((c) => c.kind === 'cpuPeriod') as { usec: number } | undefined;
  for (const c of req.changes) if (c.kind === 'cpuWeight') planWeight(ctx, c);
  if (quota || period) planQuotaPeriod(ctx, quota?.quota ?? null, period?.usec ?? null);
  for (const c of req.changes) if (c.kind === 'cpuset') planCpuset(ctx, c.cpus);
  for (const c of req.changes) if (c.kind === 'nodeset') planNodeset(ctx, c.nodes);
  for (const c of req.changes) if (c.kind === 'vcpuPin') planVcpuPin(ctx, c);
  for (const c of req.changes) if (c.kind === 'emulatorPin') planEmulatorPin(ctx, c.cpus);
  for (const c of req.changes) if (c.kind === 'io') planIo(ctx, c);
  for (const c of req.changes) if (c.kind === 'memMax') planMemMax(ctx, c);
  for (const c of req.changes) if (c.kind === 'diskThrottle') await planDiskThrottle(ctx, c, deps.qmp);
  for (const c of req.changes) {
    if (c.kind !== 'net') continue;
    const owners = tapOwners(fs, raw, c.ifname);
    const others = owners.filter((o) => o.id !== guest.id);
    if (others.length > 0 && !owners.some((o) => o.id === guest.id)) {
      throw new VirtuneError(2, `--net: interface ${c.ifname} belongs to guest ${others.map((o) => o.id).join(', ')}, not to ${guest.id}`);
    }
    const prefix = netnsPrefix(fs, guest.pid);
    const state = await readTapState(deps.runner, prefix, c.ifname);
    if (state === null) throw new VirtuneError(3, `--net: interface ${c.ifname} does not exist in guest ${guest.id}'s network namespace`);
    if (owners.length === 0) {
      const mine = [...new Set([...guest.nics.map((n) => n.ifname), ...tapsOfPid(fs, guest.pid)])];
      throw new VirtuneError(3, `--net: ${c.ifname} is not a NIC of guest ${guest.id} (its taps: ${mine.join(', ') || 'none found'})`);
    }
    planNet(ctx, c, { caps: await deps.tcCaps(), state, prefix });
  }
  const plan: Plan = {
    guest: guest.id, guestUuid: guest.uuid, applied: false, changeId: null,
    steps: ctx.steps, warnings: ctx.warnings,
  };
  if (req.changes.some((c) => c.kind === 'nodeset')) plan.migrateBytes = ctx.migrateBytes;
  return plan;
}
