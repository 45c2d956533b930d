// Owns what the demo's simulated QEMU answers over QMP: status/name/uuid, vCPU threads, block
// statistics and throttling (block_set_io_throttle validated by QEMU's rules in util/throttle.c),
// memory backends (query-memdev, qom-get), balloon, HMP `info network`, stop/cont. Each handler
// returns a QMP return value or throws QmpError.

import { fl } from './format.js';
import { histogramStats, setHistograms } from './latency.js';
import { HUGE_2M, type GuestSpec } from './spec.js';
import type { DiskState, GuestState } from './state.js';
import { THROTTLE_LENGTH_MAX, THROTTLE_VALUE_MAX, throttleViolation, type ThrottleViolation } from '../engine/model/throttle-rules.js';

export class QmpError extends Error {
  constructor(readonly cls: string, desc: string) { super(desc); }
}

export interface QmpContext {
  guest: GuestState;
  /** simulated seconds since the demo started (for idle_time_ns) */
  now(): number;
  event(name: string, data?: Record<string, unknown>): void;
}

const BASE_KEYS = ['bps', 'bps_rd', 'bps_wr', 'iops', 'iops_rd', 'iops_wr'] as const;
const MAX_KEYS = ['bps_max', 'bps_rd_max', 'bps_wr_max', 'iops_max', 'iops_rd_max', 'iops_wr_max'] as const;
const LEN_KEYS = ['bps_max_length', 'bps_rd_max_length', 'bps_wr_max_length', 'iops_max_length', 'iops_rd_max_length', 'iops_wr_max_length'] as const;

function blockStats(d: DiskState, now: number): Record<string, unknown> {
  const s: Record<string, unknown> = {
    rd_bytes: fl(d.rdBytes), wr_bytes: fl(d.wrBytes), unmap_bytes: fl(d.discBytes), zone_append_bytes: 0,
    rd_operations: fl(d.rdOps), wr_operations: fl(d.wrOps), flush_operations: fl(d.flushOps), unmap_operations: fl(d.discOps),
    zone_append_operations: 0,
    rd_total_time_ns: fl(d.rdNs), wr_total_time_ns: fl(d.wrNs), flush_total_time_ns: fl(d.flushNs), unmap_total_time_ns: fl(d.discOps * 2e5),
    zone_append_total_time_ns: 0,
    rd_merged: 0, wr_merged: 0, unmap_merged: 0, zone_append_merged: 0, wr_highest_offset: fl(d.highest),
    failed_rd_operations: 0, failed_wr_operations: 0, failed_flush_operations: 0, failed_unmap_operations: 0, failed_zone_append_operations: 0,
    invalid_rd_operations: 0, invalid_wr_operations: 0, invalid_flush_operations: 0, invalid_unmap_operations: 0, invalid_zone_append_operations: 0,
    account_invalid: true, account_failed: true, timed_stats: [],
  };
  if (d.lastIoSec !== null) s.idle_time_ns = fl(Math.max(0, now - d.lastIoSec) * 1e9);
  Object.assign(s, histogramStats(d));
  return s;
}

function storageStats(d: DiskState): Record<string, unknown> {
  const s: Record<string, unknown> = { ...blockStats(d, 0), idle_time_ns: undefined, account_invalid: false, account_failed: false };
  delete s.rd_latency_histogram; delete s.wr_latency_histogram; delete s.flush_latency_histogram; // set on the device's node only
  return s;
}

function findDisk(g: GuestState, args: Record<string, unknown>): number {
  const id = args.id; const device = args.device;
  if ((id === undefined) === (device === undefined)) throw new QmpError('GenericError', "Need exactly one of 'device' and 'id'");
  const key = String(id ?? device);
  const i = g.spec.disks.findIndex((d) => id !== undefined
    ? key === d.alias || key === `/machine/peripheral/${d.alias}` || key === d.qdev
    : key === d.nodeFormat);
  if (i < 0) throw new QmpError(id !== undefined ? 'DeviceNotFound' : 'GenericError', id !== undefined ? `Device '${key}' not found` : `Device '${key}' not found`);
  return i;
}

/** QEMU's error text for each broken throttle rule (the rules themselves: engine/model/throttle-rules). */
function qemuThrottleText(v: ThrottleViolation): string {
  switch (v.rule) {
    case 'totalWithReadWrite': return 'bps/iops/max total values and read/write values cannot be used at the same time';
    case 'iopsSizeWithoutIops': return 'iops size requires an iops value to be set';
    case 'range': return `bps/iops/max values must be within [0, ${THROTTLE_VALUE_MAX}]`;
    case 'lengthZero': return 'the burst length cannot be 0';
    case 'lengthWithoutMax': return 'burst length set without burst rate';
    case 'lengthRange': return `burst length must be within [1, ${THROTTLE_LENGTH_MAX}]`;
    case 'burstTooHigh': return 'burst length is too high';
    case 'maxWithoutBase': return 'bps_max/iops_max require corresponding bps/iops values';
    case 'maxBelowBase': return 'bps_max/iops_max cannot be lower than bps/iops';
  }
}

/** QEMU's throttle_is_valid() through the shared rule check, with QEMU's texts. */
export function validateThrottle(v: Record<string, number>): void {
  const bad = throttleViolation(v);
  if (bad) throw new QmpError('GenericError', qemuThrottleText(bad));
}

function setThrottle(g: GuestState, args: Record<string, unknown>): Record<string, never> {
  const i = findDisk(g, args);
  const v: Record<string, number> = {};
  for (const k of BASE_KEYS) {
    if (args[k] === undefined) throw new QmpError('GenericError', `Parameter '${k}' is missing`);
  }
  for (const k of [...BASE_KEYS, ...MAX_KEYS, ...LEN_KEYS, 'iops_size']) {
    const x = args[k];
    if (x === undefined) continue;
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new QmpError('GenericError', `Parameter '${k}' expects integer`);
    v[k] = x;
  }
  if (args.group !== undefined && typeof args.group !== 'string') throw new QmpError('GenericError', "Parameter 'group' expects string");
  validateThrottle(v);
  const d = g.disks[i] as DiskState;
  const enabled = BASE_KEYS.some((k) => (v[k] ?? 0) > 0);
  d.throttle = enabled
    ? { values: v, group: (args.group as string | undefined) ?? d.throttle.group ?? g.spec.disks[i]!.alias }
    : { values: {}, group: null };
  return {};
}

function blockInfo(s: GuestSpec, g: GuestState): unknown[] {
  return s.disks.map((d, i) => {
    const t = (g.disks[i] as DiskState).throttle;
    const inserted: Record<string, unknown> = {
      file: d.lvPath, 'node-name': d.nodeFormat, ro: false, drv: 'raw', backing_file_depth: 0, encrypted: false,
      detect_zeroes: 'off', write_threshold: 0,
      image: { filename: d.lvPath, format: 'raw', 'virtual-size': d.sizeBytes, 'actual-size': 0, 'dirty-flag': false },
      cache: { writeback: true, direct: true, 'no-flush': false },
    };
    for (const k of BASE_KEYS) inserted[k] = t.values[k] ?? 0;
    if (t.group !== null) {
      for (const k of MAX_KEYS) inserted[k] = t.values[k] ?? 0;
      for (const k of LEN_KEYS) inserted[k] = t.values[k] ?? 1;
      inserted.iops_size = t.values.iops_size ?? 0;
      inserted.group = t.group;
    }
    return { device: '', qdev: d.qdev, type: 'unknown', removable: false, locked: false, inserted, 'io-status': 'ok' };
  });
}

function qomGet(g: GuestState, args: Record<string, unknown>): unknown {
  const path = String(args.path ?? ''); const prop = String(args.property ?? '');
  const s = g.spec;
  if (path === '/objects/pc.ram') {
    const type = s.hugepages ? 'memory-backend-file' : 'memory-backend-ram';
    const props: Record<string, unknown> = {
      type, size: s.ramBytes, merge: true, dump: false, prealloc: s.hugepages, share: false, reserve: true,
      'host-nodes': [], policy: 'default', 'x-use-canonical-path-for-ramblock-id': false,
    };
    if (s.hugepages) { props['mem-path'] = `/dev/hugepages/libvirt/qemu/${s.domId}-${s.name}`; props.align = HUGE_2M; props.discard_data = false; props.readonly = false; }
    if (prop in props) return props[prop];
    throw new QmpError('GenericError', `Property '${type}.${prop}' not found`);
  }
  if (path === '/machine/peripheral/balloon0') {
    if (prop === 'guest-stats') {
      const total = s.ramBytes; const used = s.hugepages ? total * 0.9 : Math.min(total, g.mem.anon);
      return { stats: { 'stat-swap-in': 0, 'stat-swap-out': 0, 'stat-major-faults': fl(g.mem.pgmajfault), 'stat-minor-faults': fl(g.mem.pgfault),
        'stat-free-memory': fl(total - used), 'stat-total-memory': total, 'stat-available-memory': fl((total - used) * 1.2 > total ? total : (total - used) * 1.2),
        'stat-disk-caches': fl((total - used) * 0.2), 'stat-htlb-pgalloc': 0, 'stat-htlb-pgfail': 0 }, 'last-update': 0 };
    }
    if (prop === 'type') return 'virtio-balloon-device';
    if (prop === 'guest-stats-polling-interval') return 0;
    throw new QmpError('GenericError', `Property 'virtio-balloon-device.${prop}' not found`);
  }
  if (prop === 'type' && /^\/machine\/peripheral\/(virtio-disk\d|net0)$/.test(path)) return path.endsWith('net0') ? 'virtio-net-pci' : 'virtio-blk-pci';
  throw new QmpError('DeviceNotFound', `Device '${path}' not found`);
}

function hmp(g: GuestState, line: string): string {
  const cmd = line.trim().replace(/\s+/g, ' ');
  const s = g.spec;
  if (cmd === 'info network') {
    return `${s.nic.alias}: index=0,type=nic,model=virtio-net-pci,macaddr=${s.nic.mac}\r\n \\ ${s.nic.netdev}: index=0,type=tap,fd=${s.nic.tapFd}\r\n`;
  }
  if (cmd === 'info status') return `VM status: ${g.running ? 'running' : 'paused'}\r\n`;
  if (cmd === 'info name') return `${s.name}\r\n`;
  if (cmd === 'info uuid') return `${s.uuid}\r\n`;
  if (cmd === 'info cpus') {
    return s.tids.vcpus.map((tid, i) => `${i === 0 ? '*' : ' '} CPU #${i}: thread_id=${tid}\r\n`).join('');
  }
  return `unknown command: '${cmd.split(' ')[0] ?? ''}'\r\n`;
}

export const COMMANDS = ['qmp_capabilities', 'query-commands', 'query-version', 'query-status', 'query-name', 'query-uuid', 'query-kvm',
  'query-cpus-fast', 'query-hotpluggable-cpus', 'query-iothreads', 'query-blockstats', 'query-block', 'block_set_io_throttle', 'block-latency-histogram-set',
  'query-memdev', 'query-memory-size-summary', 'qom-get', 'query-balloon', 'balloon', 'human-monitor-command', 'stop', 'cont'];

export function execute(ctx: QmpContext, name: string, args: Record<string, unknown>): unknown {
  const g = ctx.guest; const s = g.spec;
  switch (name) {
    case 'query-commands': return COMMANDS.map((n) => ({ name: n }));
    case 'query-version': return { qemu: { major: 8, minor: 2, micro: 2 }, package: 'Debian 1:8.2.2+ds (virtune demo)' };
    case 'query-status': return { running: g.running, status: g.running ? 'running' : 'paused' };
    case 'query-name': return { name: s.name };
    case 'query-uuid': return { UUID: s.uuid };
    case 'query-kvm': return { enabled: true, present: true };
    case 'query-cpus-fast':
      return s.tids.vcpus.map((tid, i) => ({ 'cpu-index': i, 'qom-path': `/machine/unattached/device[${i}]`, 'thread-id': tid,
        props: { 'core-id': 0, 'thread-id': 0, 'socket-id': i }, target: 'x86_64' }));
    case 'query-hotpluggable-cpus':
      return s.tids.vcpus.map((_, i) => ({ type: 'host-x86_64-cpu', 'vcpus-count': 1, props: { 'core-id': 0, 'thread-id': 0, 'socket-id': i },
        'qom-path': `/machine/unattached/device[${i}]` })).reverse();
    case 'query-iothreads': return [];
    case 'query-blockstats': {
      const now = ctx.now();
      if (args['query-nodes'] === true) {
        return s.disks.flatMap((d, i) => [
          { 'node-name': d.nodeFormat, stats: blockStats(g.disks[i] as DiskState, now), parent: { 'node-name': d.nodeStorage, stats: storageStats(g.disks[i] as DiskState) } },
          { 'node-name': d.nodeStorage, stats: storageStats(g.disks[i] as DiskState) },
        ]);
      }
      return s.disks.map((d, i) => ({ device: '', 'node-name': d.nodeFormat, qdev: d.qdev, stats: blockStats(g.disks[i] as DiskState, now),
        parent: { 'node-name': d.nodeStorage, stats: storageStats(g.disks[i] as DiskState) } }));
    }
    case 'query-block': return blockInfo(s, g);
    case 'block_set_io_throttle': return setThrottle(g, args);
    case 'block-latency-histogram-set': {
      const id = args.id;
      if (typeof id !== 'string') throw new QmpError('GenericError', "Parameter 'id' is missing");
      const i = findDisk(g, { id });
      try { setHistograms(g.disks[i] as DiskState, args); } catch (e) { throw new QmpError('GenericError', (e as Error).message); }
      return {};
    }
    case 'query-memdev':
      return [{ id: 'pc.ram', size: s.ramBytes, merge: true, dump: false, prealloc: s.hugepages, share: false, reserve: true, 'host-nodes': [], policy: 'default' }];
    case 'query-memory-size-summary': return { 'base-memory': s.ramBytes, 'plugged-memory': 0 };
    case 'qom-get': return qomGet(g, args);
    case 'query-balloon': return { actual: fl(g.mem.balloon) };
    case 'balloon': {
      const v = args.value;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new QmpError('GenericError', "Parameter 'value' expects integer");
      if (v <= 0) throw new QmpError('GenericError', "Parameter 'value' expects a size greater than zero");
      g.mem.balloon = Math.min(s.ramBytes, v);
      ctx.event('BALLOON_CHANGE', { actual: fl(g.mem.balloon) });
      return {};
    }
    case 'human-monitor-command': {
      const line = args['command-line'];
      if (typeof line !== 'string') throw new QmpError('GenericError', "Parameter 'command-line' is missing");
      return hmp(g, line);
    }
    case 'stop':
      if (g.running) { g.running = false; ctx.event('STOP'); }
      return {};
    case 'cont':
      if (!g.running) { g.running = true; ctx.event('RESUME'); }
      return {};
    default:
      throw new QmpError('CommandNotFound', `The command ${name} has not been found`);
  }
}
