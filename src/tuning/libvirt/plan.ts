// Owns tuning of libvirt guests through libvirt itself (virsh schedinfo/blkiotune/blkdeviotune/
// numatune/vcpupin/emulatorpin/iothreadpin/domiftune/memtune as `exec` steps with undo argv), so
// virtune never writes under libvirt's feet. Live always; with `persist` also `--config`. Before
// planning it reads the current values with the getter forms, so every undo re-applies them the same
// way (live values live, config values config). Getter failures are one clean line (exit 1; 3 when
// the domain or device does not exist); input outside libvirt's ranges is exit 2 before any step.

import { formatCpuList, isSubset, parseCpuList } from '../../engine/model/cpulist.js';
import { VirtuneError, notFoundError, usageError } from '../../engine/model/errors.js';
import type { RawGuest, RawSample } from '../../engine/model/sample.js';
import type { Plan, PlanStep, QuotaSpec, TuningChange, TuningRequest } from '../../engine/model/tuning.js';
import type { CommandRunner } from '../../engine/ports/command-runner.js';
import { validateThrottle } from '../plan-io.js';
import {
  intValue, parseDeviceList, parseEmulatorpin, parseIothreadinfo, parseKeyValues, parseVcpupin, virshErrorLine,
} from './getters.js';

type Ctx = { runner: CommandRunner; uri: string | null };
type Change<K extends TuningChange['kind']> = Extract<TuningChange, { kind: K }>;

const QUOTA_MIN = 1000;
const QUOTA_MAX = 17592186044415;
const GETTER_TIMEOUT_MS = 10_000;

/** QMP block_set_io_throttle names → virsh blkdeviotune options and getter keys. */
const THROTTLE_MAP: Record<string, string> = {
  bps: 'total_bytes_sec', bps_rd: 'read_bytes_sec', bps_wr: 'write_bytes_sec',
  iops: 'total_iops_sec', iops_rd: 'read_iops_sec', iops_wr: 'write_iops_sec',
  bps_max: 'total_bytes_sec_max', bps_rd_max: 'read_bytes_sec_max', bps_wr_max: 'write_bytes_sec_max',
  iops_max: 'total_iops_sec_max', iops_rd_max: 'read_iops_sec_max', iops_wr_max: 'write_iops_sec_max',
  bps_max_length: 'total_bytes_sec_max_length', bps_rd_max_length: 'read_bytes_sec_max_length',
  bps_wr_max_length: 'write_bytes_sec_max_length', iops_max_length: 'total_iops_sec_max_length',
  iops_rd_max_length: 'read_iops_sec_max_length', iops_wr_max_length: 'write_iops_sec_max_length',
  iops_size: 'size_iops_sec', group: 'group_name',
};

const IO_MAP: Record<string, string> = {
  riops: 'device_read_iops_sec', wiops: 'device_write_iops_sec', rbps: 'device_read_bytes_sec', wbps: 'device_write_bytes_sec',
};

const opt = (key: string): string => `--${key.replace(/_/g, '-')}`;

class Planner {
  readonly steps: PlanStep[] = [];
  readonly warnings: string[] = [];
  readonly dom: string;
  readonly flags: string[];
  private readonly cache = new Map<string, string>();

  constructor(readonly req: TuningRequest, readonly guest: RawGuest, readonly raw: RawSample, readonly ctx: Ctx) {
    this.dom = guest.name;
    this.flags = req.persist ? ['--live', '--config'] : ['--live'];
  }

  argv(args: string[]): string[] {
    return ['virsh', ...(this.ctx.uri ? ['-c', this.ctx.uri] : []), ...args];
  }

  /** Run a getter (cached per plan); a failure is one line naming the domain. */
  async get(args: string[]): Promise<string> {
    const key = args.join('\0');
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const r = await this.ctx.runner.run(this.argv(args), { timeoutMs: GETTER_TIMEOUT_MS });
    if (r.code !== 0 || r.timedOut) {
      const line = r.timedOut ? `timed out after ${GETTER_TIMEOUT_MS} ms` : virshErrorLine(r.stderr, r.stdout);
      const msg = `libvirt domain '${this.dom}': virsh ${args[0]}: ${line}`;
      throw /failed to get domain|not found/i.test(line) ? notFoundError(msg) : new VirtuneError(1, msg);
    }
    this.cache.set(key, r.stdout);
    return r.stdout;
  }

  async kv(args: string[]): Promise<Map<string, string>> {
    return parseKeyValues(await this.get(args));
  }

  /** One exec step; undo re-applies the live values live and (with persist) the config values to the config. */
  push(args: string[], undoLive: string[] | null, undoConfig: string[] | null, extra: { note?: string; onFailure?: boolean } = {}): void {
    const undo: string[][] = [];
    if (undoLive) undo.push(this.argv(undoLive));
    if (this.req.persist && undoConfig) undo.push(this.argv(undoConfig));
    const step: PlanStep = { kind: 'exec', argv: this.argv(args), undo };
    if (extra.note) step.note = extra.note;
    if (extra.onFailure && undoLive) step.onFailure = [this.argv(undoLive)];
    this.steps.push(step);
  }
}

export async function planLibvirt(req: TuningRequest, guest: RawGuest, raw: RawSample, ctx: Ctx): Promise<Plan> {
  const p = new Planner(req, guest, raw, ctx);
  const sched: Record<string, number> = {};
  let quota: QuotaSpec | null = null;
  let period: number | null = null;
  const cpuChanges: TuningChange[] = [];

  for (const c of req.changes) {
    switch (c.kind) {
      case 'cpuWeight': sched.cpu_shares = checkShares(p, c); break;
      case 'cpuQuota': quota = c.quota; break;
      case 'cpuPeriod':
        if (c.usec < 1000 || c.usec > 1_000_000) throw usageError(`--cpu-period: ${c.usec} µs is out of range (valid: 1000-1000000 µs)`);
        period = c.usec;
        break;
      case 'ksm': case 'hugepages':
        throw usageError(`${c.kind === 'ksm' ? '--ksm' : '--hugepages'} is a host setting, not a change to libvirt domain '${p.dom}' (tune 'host' instead)`);
      default: cpuChanges.push(c);
    }
  }
  if (req.isolate) p.warnings.push(`--isolate is not applied to libvirt domain '${p.dom}': pin it with --cpuset (vcpupin/emulatorpin) instead`);

  if (quota !== null || period !== null) {
    const cur = await p.kv(['schedinfo', p.dom, '--live']);
    const per = period ?? (intValue(cur, 'global_period') || 100_000);
    if (period !== null) sched.global_period = period;
    if (quota !== null) sched.global_quota = quotaUsec(quota, per);
  }
  if (Object.keys(sched).length > 0) await planSchedinfo(p, sched);

  for (const c of cpuChanges) {
    switch (c.kind) {
      case 'cpuset': await planCpuset(p, c.cpus); break;
      case 'vcpuPin': await planVcpuPin(p, c.vcpu, c.cpus); break;
      case 'emulatorPin': await planEmulatorPin(p, c.cpus); break;
      case 'nodeset': await planNumatune(p, c); break;
      case 'io': await planBlkiotune(p, c); break;
      case 'diskThrottle': await planBlkdeviotune(p, c); break;
      case 'net': await planDomiftune(p, c); break;
      case 'memMax': await planMemtune(p, c); break;
      default: break;
    }
  }
  return { guest: guest.id, guestUuid: guest.uuid, applied: false, changeId: null, steps: p.steps, warnings: p.warnings };
}

function checkShares(p: Planner, c: Change<'cpuWeight'>): number {
  const v2 = (p.guest.cgroup?.version ?? p.raw.host.cgroupVersion ?? 1) === 2;
  const [lo, hi] = v2 ? [1, 10000] : [2, 262144];
  if (c.value < lo || c.value > hi) {
    throw usageError(`--${c.flag}: ${c.value} is out of range for libvirt cpu_shares on a cgroup v${v2 ? 2 : 1} host (valid: ${lo}-${hi})`);
  }
  if (v2 && c.flag === 'cpu-shares') p.warnings.push(`libvirt writes cpu_shares=${c.value} verbatim to cpu.weight on this cgroup v2 host: the scales differ`);
  if (!v2 && c.flag === 'cpu-weight') p.warnings.push(`libvirt writes cpu_shares=${c.value} verbatim to cpu.shares on this cgroup v1 host: the scales differ`);
  return c.value;
}

function quotaUsec(q: QuotaSpec, period: number): number {
  if (q.kind === 'max') return -1;
  const v = q.kind === 'usec' ? q.usec : Math.round((q.kind === 'pct' ? q.pct / 100 : q.cpus) * period);
  if (v < QUOTA_MIN || v > QUOTA_MAX) {
    throw usageError(`--cpu-quota: ${v} µs per ${period} µs period is out of range (valid: ${QUOTA_MIN}-${QUOTA_MAX} µs, or max)`);
  }
  return v;
}

async function planSchedinfo(p: Planner, sched: Record<string, number>): Promise<void> {
  const live = await p.kv(['schedinfo', p.dom, '--live']);
  const cfg = p.req.persist ? await p.kv(['schedinfo', p.dom, '--config']) : null;
  const sets = (vals: Record<string, number | null>): string[] =>
    Object.entries(vals).flatMap(([k, v]) => (v === null ? [] : ['--set', `${k}=${v}`]));
  const old = (kv: Map<string, string>): Record<string, number | null> =>
    Object.fromEntries(Object.keys(sched).map((k) => [k, intValue(kv, k)]));
  const oldLive = old(live);
  for (const k of Object.keys(sched)) {
    if (oldLive[k] === null) throw new VirtuneError(1, `libvirt domain '${p.dom}': virsh schedinfo does not report ${k} (this libvirt or host cannot set it)`);
  }
  // an unset config value reads 0; setting 0 again leaves it unset
  p.push(['schedinfo', p.dom, ...p.flags, ...sets(sched)],
    ['schedinfo', p.dom, '--live', ...sets(oldLive)],
    cfg ? ['schedinfo', p.dom, '--config', ...sets(old(cfg))] : null,
    { note: Object.entries(sched).map(([k, v]) => `${k} ${oldLive[k]} -> ${v}`).join(', ') });
}

function checkCpus(p: Planner, flag: string, cpus: string): string {
  let list: number[];
  try { list = parseCpuList(cpus); } catch { throw usageError(`${flag}: '${cpus}' is not a CPU list (e.g. 0-3,8)`); }
  if (list.length === 0) throw usageError(`${flag}: the CPU list is empty`);
  const online = p.raw.host.onlineCpus;
  if (online !== null && !isSubset(list, parseCpuList(online))) {
    throw usageError(`${flag}: '${cpus}' is not a subset of the online CPUs (${online})`);
  }
  return formatCpuList(list);
}

async function planVcpuPin(p: Planner, vcpu: number, cpusIn: string): Promise<void> {
  const cpus = checkCpus(p, '--vcpu-pin', cpusIn);
  const live = parseVcpupin(await p.get(['vcpupin', p.dom, '--live']));
  const cfg = p.req.persist ? parseVcpupin(await p.get(['vcpupin', p.dom, '--config'])) : null;
  const old = live.get(vcpu);
  if (old === undefined) throw usageError(`--vcpu-pin: libvirt domain '${p.dom}' has no vCPU ${vcpu} (vCPUs: 0-${live.size - 1})`);
  const oldCfg = cfg?.get(vcpu);
  p.push(['vcpupin', p.dom, String(vcpu), cpus, ...p.flags], ['vcpupin', p.dom, String(vcpu), old, '--live'],
    oldCfg !== undefined ? ['vcpupin', p.dom, String(vcpu), oldCfg, '--config'] : null, { note: `vCPU ${vcpu}: ${old} -> ${cpus}` });
}

async function planEmulatorPin(p: Planner, cpusIn: string, flag = '--emulator-pin'): Promise<void> {
  const cpus = checkCpus(p, flag, cpusIn);
  const old = parseEmulatorpin(await p.get(['emulatorpin', p.dom, '--live']));
  const oldCfg = p.req.persist ? parseEmulatorpin(await p.get(['emulatorpin', p.dom, '--config'])) : null;
  if (old === null) throw new VirtuneError(1, `libvirt domain '${p.dom}': cannot read the emulator pinning (virsh emulatorpin)`);
  p.push(['emulatorpin', p.dom, cpus, ...p.flags], ['emulatorpin', p.dom, old, '--live'],
    oldCfg ? ['emulatorpin', p.dom, oldCfg, '--config'] : null, { note: `emulator: ${old} -> ${cpus}` });
}

/** --cpuset for a libvirt guest: every vCPU, the emulator threads and every IOThread. */
async function planCpuset(p: Planner, cpusIn: string): Promise<void> {
  const cpus = checkCpus(p, '--cpuset', cpusIn);
  const live = parseVcpupin(await p.get(['vcpupin', p.dom, '--live']));
  for (const vcpu of [...live.keys()].sort((a, b) => a - b)) await planVcpuPin(p, vcpu, cpus);
  await planEmulatorPin(p, cpus, '--cpuset');
  const io = parseIothreadinfo(await p.get(['iothreadinfo', p.dom, '--live']));
  const ioCfg = p.req.persist ? parseIothreadinfo(await p.get(['iothreadinfo', p.dom, '--config'])) : null;
  for (const [id, old] of io) {
    const oldCfg = ioCfg?.get(id);
    p.push(['iothreadpin', p.dom, String(id), cpus, ...p.flags], ['iothreadpin', p.dom, String(id), old, '--live'],
      oldCfg !== undefined ? ['iothreadpin', p.dom, String(id), oldCfg, '--config'] : null, { note: `IOThread ${id}: ${old} -> ${cpus}` });
  }
}

async function planNumatune(p: Planner, c: Change<'nodeset'>): Promise<void> {
  let nodes: number[];
  try { nodes = parseCpuList(c.nodes); } catch { throw usageError(`--nodeset: '${c.nodes}' is not a node list (e.g. 0-1)`); }
  const known = p.raw.host.numaNodes.filter((n) => n.hasMemory !== false).map((n) => n.node);
  if (nodes.length === 0) throw usageError('--nodeset: the node list is empty');
  if (known.length > 0 && !isSubset(nodes, known)) {
    throw usageError(`--nodeset: '${c.nodes}' is not a subset of the NUMA nodes with memory (${formatCpuList(known)})`);
  }
  const nodeset = formatCpuList(nodes);
  const live = await p.kv(['numatune', p.dom, '--live']);
  const cfg = p.req.persist ? await p.kv(['numatune', p.dom, '--config']) : null;
  // libvirt 9 changes a running domain's nodeset only in restrictive mode, except the first time for a
  // domain without <numatune> — and that first change could never be undone live. So: restrictive only.
  const xmlMode = p.guest.libvirt?.numatune?.mode ?? null;
  const mode = xmlMode ?? (p.guest.libvirt?.numatune === null ? null : live.get('numa_mode') ?? null);
  if (mode !== 'restrictive') {
    const why = mode === null ? 'has no <numatune>' : `uses numa mode '${mode}'`;
    if (!p.req.force) {
      throw usageError(`--nodeset: libvirt domain '${p.dom}' ${why}; libvirt changes (and undoes) the nodeset of a running domain only in restrictive mode (set <numatune><memory mode='restrictive'/> in its config, or --force without undo)`);
    }
    p.warnings.push(`libvirt domain '${p.dom}' ${why}: libvirt will refuse to undo this nodeset change while it runs`);
  }
  // an empty nodeset means "no restriction": restoring it means allowing every node again
  const all = known.length > 0 ? formatCpuList(known) : '0';
  const old = live.get('numa_nodeset') || all;
  const oldCfg = cfg ? cfg.get('numa_nodeset') || all : null;
  p.push(['numatune', p.dom, ...p.flags, '--nodeset', nodeset], ['numatune', p.dom, '--live', '--nodeset', old],
    oldCfg ? ['numatune', p.dom, '--config', '--nodeset', oldCfg] : null, { note: `nodeset ${live.get('numa_nodeset') || '(all)'} -> ${nodeset}` });
  const mem = p.guest.memory.rssBytes;
  if (mem !== null) p.warnings.push(`libvirt migrates the guest's memory (about ${Math.round(mem / 1048576)} MiB) to node(s) ${nodeset}`);
}

/** `vda`, `/dev/vda` or `MAJ:MIN` (a host block device from the sample) → the device path libvirt stat()s. */
function devicePath(p: Planner, dev: string): string {
  if (dev.startsWith('/dev/')) return dev;
  if (/^\d+:\d+$/.test(dev)) {
    const d = p.raw.guests.flatMap((g) => g.disks).find((k) => k.source === 'cgroup' && k.device === dev);
    if (!d) throw usageError(`--io: block device ${dev} is not known here; name it (e.g. vda or /dev/vda)`);
    return `/dev/${d.name}`;
  }
  if (!/^[A-Za-z0-9_.!-]+$/.test(dev)) throw usageError(`--io: '${dev}' is not a block device name (e.g. vda, /dev/sdb, 8:16)`);
  return `/dev/${dev}`;
}

async function planBlkiotune(p: Planner, c: Change<'io'>): Promise<void> {
  const path = devicePath(p, c.device);
  const live = await p.kv(['blkiotune', p.dom, '--live']);
  const cfg = p.req.persist ? await p.kv(['blkiotune', p.dom, '--config']) : null;
  const fwd: string[] = [];
  const undoLive: string[] = [];
  const undoCfg: string[] = [];
  const notes: string[] = [];
  for (const [k, v] of Object.entries(c.limits)) {
    const key = IO_MAP[k];
    if (!key || v === undefined) continue;
    const n = v === 'max' ? 0 : v;
    if (!Number.isInteger(n) || n < 0) throw usageError(`--io: ${k}=${String(v)} is not a non-negative integer (or max)`);
    const old = parseDeviceList(live.get(key)).get(path) ?? 0;
    fwd.push(opt(key), `${path},${n}`);
    undoLive.push(opt(key), `${path},${old}`);
    if (cfg) undoCfg.push(opt(key), `${path},${parseDeviceList(cfg.get(key)).get(path) ?? 0}`);
    notes.push(`${key} ${path} ${old || 'none'} -> ${n || 'none'}`);
  }
  if (fwd.length === 0) throw usageError(`--io ${c.device}: no limit given (keys: riops, wiops, rbps, wbps)`);
  p.push(['blkiotune', p.dom, ...p.flags, ...fwd], ['blkiotune', p.dom, '--live', ...undoLive],
    cfg ? ['blkiotune', p.dom, '--config', ...undoCfg] : null, { note: notes.join(', ') });
}

/** DISK as the operator named it (target `vda`, alias `virtio-disk0`, QOM path) → libvirt's target. */
function diskTarget(p: Planner, disk: string): string {
  const lv = p.guest.libvirt?.disks ?? [];
  const d = lv.find((k) => k.target === disk || k.alias === disk || k.qomPath === disk || k.source === disk);
  if (d) return d.target;
  const raw = p.guest.disks.find((k) => k.source !== 'cgroup' && (k.name === disk || k.qdev === disk));
  const viaAlias = raw ? lv.find((k) => k.alias === raw.qdev || k.alias === raw.name) : undefined;
  if (viaAlias) return viaAlias.target;
  if (lv.length > 0) {
    throw notFoundError(`--disk-throttle: libvirt domain '${p.dom}' has no disk '${disk}' (disks: ${lv.map((k) => k.alias ? `${k.target}/${k.alias}` : k.target).join(', ')})`);
  }
  return disk;
}

async function planBlkdeviotune(p: Planner, c: Change<'diskThrottle'>): Promise<void> {
  const target = diskTarget(p, c.disk);
  const live = await p.kv(['blkdeviotune', p.dom, target, '--live']);
  const cfg = p.req.persist ? await p.kv(['blkdeviotune', p.dom, target, '--config']) : null;
  const current = (kv: Map<string, string>): Record<string, number | string> => {
    const out: Record<string, number | string> = {};
    for (const [q, key] of Object.entries(THROTTLE_MAP)) {
      if (q === 'group') { const g = kv.get(key); if (g) out.group = g; continue; }
      const v = intValue(kv, key);
      if (v !== null && (v > 0 || !q.endsWith('_length'))) out[q] = v;
    }
    return out;
  };
  const oldLive = current(live);
  const args: Record<string, number | string> = { ...c.args };
  // total and read/write are exclusive: setting one side clears the other
  for (const kind of ['bps', 'iops']) {
    for (const suf of ['', '_max']) {
      const total = args[`${kind}${suf}`];
      if (typeof total === 'number' && total > 0) {
        for (const rw of ['_rd', '_wr']) if (Number(oldLive[`${kind}${rw}${suf}`] ?? 0) > 0 && args[`${kind}${rw}${suf}`] === undefined) args[`${kind}${rw}${suf}`] = 0;
      }
      if ([`${kind}_rd${suf}`, `${kind}_wr${suf}`].some((k) => Number(args[k] ?? 0) > 0) && Number(oldLive[`${kind}${suf}`] ?? 0) > 0 && args[`${kind}${suf}`] === undefined) {
        args[`${kind}${suf}`] = 0;
      }
    }
  }
  validateThrottle({ ...oldLive, ...args }, c.disk);
  const toArgs = (vals: Record<string, number | string>, keys: string[]): string[] => keys.flatMap((q) => {
    const v = vals[q];
    const key = THROTTLE_MAP[q];
    return v === undefined || key === undefined ? [] : [opt(key), String(v)];
  });
  const fwdKeys = Object.keys(args).filter((k) => THROTTLE_MAP[k] !== undefined);
  if (fwdKeys.length === 0) throw usageError(`--disk-throttle ${c.disk}: no setting given`);
  // undo: every base and burst value as it was (consistent as a set); lengths only with their burst
  const undoKeys = (old: Record<string, number | string>): string[] => Object.keys(THROTTLE_MAP).filter((q) => {
    if (q === 'group') return fwdKeys.includes('group') && old.group !== undefined;
    if (q.endsWith('_length')) return Number(old[q.replace(/_length$/, '')] ?? 0) > 0 && old[q] !== undefined;
    return true;
  }).map((q) => q);
  const fill = (old: Record<string, number | string>): Record<string, number | string> => {
    const out: Record<string, number | string> = { ...old };
    for (const q of Object.keys(THROTTLE_MAP)) if (out[q] === undefined && q !== 'group' && !q.endsWith('_length')) out[q] = 0;
    return out;
  };
  const oldL = fill(oldLive);
  const oldC = cfg ? fill(current(cfg)) : null;
  p.push(['blkdeviotune', p.dom, target, ...p.flags, ...toArgs(args, fwdKeys)],
    ['blkdeviotune', p.dom, target, '--live', ...toArgs(oldL, undoKeys(oldL))],
    oldC ? ['blkdeviotune', p.dom, target, '--config', ...toArgs(oldC, undoKeys(oldC))] : null,
    { note: fwdKeys.map((k) => `${THROTTLE_MAP[k]} ${oldL[k] ?? 0} -> ${args[k]}`).join(', ') });
}

/** kbit/s → libvirt's KB/s (tc kbps = 1000 bytes/s), at least 1. */
const kbps = (kbit: number): number => Math.max(1, Math.ceil(kbit / 8));

async function planDomiftune(p: Planner, c: Change<'net'>): Promise<void> {
  const ifs = p.guest.libvirt?.interfaces ?? [];
  const n = ifs.find((i) => i.ifname === c.ifname || i.mac === c.ifname || i.alias === c.ifname);
  const known = n?.ifname ?? p.guest.nics.find((i) => i.ifname === c.ifname || i.mac === c.ifname)?.ifname ?? null;
  if (known === null) {
    const names = [...ifs.map((i) => i.ifname), ...p.guest.nics.map((i) => i.ifname)].filter((x): x is string => !!x);
    throw notFoundError(`--net: libvirt domain '${p.dom}' has no interface '${c.ifname}' (interfaces: ${[...new Set(names)].join(', ') || 'none'})`);
  }
  const ifname = known;
  const live = await p.kv(['domiftune', p.dom, ifname, '--live']);
  const cfg = p.req.persist ? await p.kv(['domiftune', p.dom, ifname, '--config']) : null;
  const oldDir = (kv: Map<string, string>, dir: 'inbound' | 'outbound'): string => {
    const avg = intValue(kv, `${dir}.average`) ?? 0;
    if (avg === 0) return '0';
    return [avg, intValue(kv, `${dir}.peak`) ?? 0, intValue(kv, `${dir}.burst`) ?? 0].join(',');
  };
  const fwd: string[] = [];
  const notes: string[] = [];
  for (const [key, dir] of [['in', 'inbound'], ['out', 'outbound']] as const) {
    const d = c[key];
    if (d === undefined) continue;
    let val = '0';
    if (d !== 'none') {
      val = String(kbps(d.rateKbit));
      if (d.peakKbit !== null || d.burstBytes !== null) val += `,${d.peakKbit !== null ? kbps(d.peakKbit) : ''}`;
      if (d.burstBytes !== null) val += `,${Math.max(1, Math.ceil(d.burstBytes / 1024))}`;
    }
    fwd.push(`--${dir}`, val);
    notes.push(`${dir} ${oldDir(live, dir)} -> ${val} (KB/s,KB/s,KiB)`);
  }
  // both directions in every undo: libvirt rebuilds the tap's tc setup from them (0,0 = its default noqueue)
  const undo = (kv: Map<string, string>, flag: string): string[] =>
    ['domiftune', p.dom, ifname, flag, '--inbound', oldDir(kv, 'inbound'), '--outbound', oldDir(kv, 'outbound')];
  p.push(['domiftune', p.dom, ifname, ...p.flags, ...fwd], undo(live, '--live'), cfg ? undo(cfg, '--config') : null,
    { note: notes.join(', '), onFailure: true });
}

async function planMemtune(p: Planner, c: Change<'memMax'>): Promise<void> {
  const live = await p.kv(['memtune', p.dom, '--live']);
  const cfg = p.req.persist ? await p.kv(['memtune', p.dom, '--config']) : null;
  const toKiB = (b: number | 'max'): number => (b === 'max' ? -1 : Math.ceil(b / 1024));
  const newKiB = toKiB(c.bytes);
  const used = p.guest.memory.currentBytes ?? p.guest.memory.rssBytes;
  if (c.bytes !== 'max' && used !== null && c.bytes < used && !p.req.force) {
    throw usageError(`--mem-max: ${c.bytes} bytes is below the guest's current usage (${used} bytes); add --force to set it anyway`);
  }
  const old = (kv: Map<string, string>): string => {
    const v = kv.get('hard_limit');
    return v === undefined || v === 'unlimited' || v === '' ? '-1' : v;
  };
  p.push(['memtune', p.dom, ...p.flags, '--hard-limit', String(newKiB)], ['memtune', p.dom, '--live', '--hard-limit', old(live)],
    cfg ? ['memtune', p.dom, '--config', '--hard-limit', old(cfg)] : null, { note: `hard_limit ${old(live)} KiB -> ${newKiB} KiB` });
}
