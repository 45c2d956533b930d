// Owns the names of the per-device history series (engine/core/device-history.ts records them, the
// chart view-models in engine/present ask for them): one series per figure of each disk, NIC and
// NUMA node of a guest, named by its path inside the snapshot with the device's stable name in place
// of the array index (as `vcpus.N.usagePct` uses the vCPU's index):
//   disks.<name>.<field>          a virtual disk (source qmp or libvirt), name = disks[].name
//   blockDevices.<name>.<field>   a host block device of the guest's cgroup (source cgroup)
//   nics.<ifname>.<field>
//   memory.perNodeBytes.<node>
// Names may contain dots (QEMU ids, VLAN interfaces): a path is read from both ends, the field is one
// of the fixed lists below. Pure.

import type { DiskSnap } from './snapshot.js';

/** per-disk figures, in the order device-history.ts stores them */
export const DISK_FIELDS = [
  'readIops', 'writeIops', 'readBytesPerSec', 'writeBytesPerSec',
  'readLatencyMs', 'writeLatencyMs', 'flushLatencyMs', 'latencyMs.read.p99', 'latencyMs.write.p99',
] as const;
export type DiskField = (typeof DISK_FIELDS)[number];

/** per-NIC figures, in the order device-history.ts stores them */
export const NIC_FIELDS = ['rxBytesPerSec', 'txBytesPerSec', 'rxDroppedPerSec', 'txDroppedPerSec'] as const;
export type NicField = (typeof NIC_FIELDS)[number];

export type DeviceKind = 'disks' | 'blockDevices' | 'nics' | 'nodes';

const NODE_PREFIX = 'memory.perNodeBytes.';

/** `disks` for a virtual disk, `blockDevices` for a cgroup block device (whichever array it came in) */
export function diskKind(d: Pick<DiskSnap, 'source'>): 'disks' | 'blockDevices' {
  return d.source === 'cgroup' ? 'blockDevices' : 'disks';
}

export function diskMetric(d: Pick<DiskSnap, 'source' | 'name'>, field: DiskField): string {
  return `${diskKind(d)}.${d.name}.${field}`;
}

export function nicMetric(ifname: string, field: NicField): string {
  return `nics.${ifname}.${field}`;
}

export function nodeMemMetric(node: string | number): string {
  return `${NODE_PREFIX}${node}`;
}

export interface DeviceMetric { kind: DeviceKind; name: string; field: number }

function withField(kind: DeviceKind, rest: string, fields: readonly string[]): DeviceMetric | null {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as string;
    if (rest.length > f.length + 1 && rest.endsWith(f) && rest[rest.length - f.length - 1] === '.') {
      return { kind, name: rest.slice(0, rest.length - f.length - 1), field: i };
    }
  }
  return null;
}

/** A per-device metric path split into its parts (field: index in DISK_FIELDS / NIC_FIELDS, 0 for a node); null otherwise. */
export function parseDeviceMetric(metric: string): DeviceMetric | null {
  if (metric.startsWith('disks.')) return withField('disks', metric.slice(6), DISK_FIELDS);
  if (metric.startsWith('blockDevices.')) return withField('blockDevices', metric.slice(13), DISK_FIELDS);
  if (metric.startsWith('nics.')) return withField('nics', metric.slice(5), NIC_FIELDS);
  if (metric.startsWith(NODE_PREFIX) && metric.length > NODE_PREFIX.length) return { kind: 'nodes', name: metric.slice(NODE_PREFIX.length), field: 0 };
  return null;
}

/** The metric path of a device series (the inverse of parseDeviceMetric). */
export function deviceMetric(kind: DeviceKind, name: string, field: number): string {
  if (kind === 'nodes') return nodeMemMetric(name);
  return `${kind}.${name}.${(kind === 'nics' ? NIC_FIELDS : DISK_FIELDS)[field]}`;
}
