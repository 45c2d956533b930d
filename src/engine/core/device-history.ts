// Owns the per-device part of the history (History in history.ts holds one and asks it for what its
// own series map lacks): for every guest, one ring per figure of each of its disks, NICs and NUMA
// nodes, named as model/history-metrics.ts says:
//   disks.<name>.{readIops,writeIops,readBytesPerSec,writeBytesPerSec,readLatencyMs,writeLatencyMs,
//                 flushLatencyMs,latencyMs.read.p99,latencyMs.write.p99}   (blockDevices.<name>.… alike)
//   nics.<ifname>.{rxBytesPerSec,txBytesPerSec,rxDroppedPerSec,txDroppedPerSec}
//   memory.perNodeBytes.<node>
// Disks are the guest's COUNTED disks (model/disk-io.ts): its virtual disks when it has any, else the
// cgroup block devices, so each I/O is recorded once.
//
// Cost rules (this runs for every guest every second): each device has ONE preallocated Float32Array
// ring holding all its figures of a sample side by side (slot × fields + field; NaN = unknown), so an
// append touches a cache line or two per device rather than one per figure, and allocates nothing for
// a device already seen (devices are found by their position in the last snapshot, by name in a map
// when that changed). A figure is listed (metrics(), query()) once it has been known at least once: a
// p99 without QEMU's histograms or the latency of a cgroup block device does not exist. A device
// absent from a sample is not touched: reads treat the samples after its last one as unknown, and the
// gap is filled with NaN when it comes back. Devices (and guests) unseen for a whole ring are dropped
// by a sweep every SWEEP_EVERY samples, and read as absent before that.
//
// The rings hold the last `deviceWindowSec` seconds (default DEVICE_HISTORY_SEC = 15 min, the longest
// chart window any face offers), not the whole history window: a guest has several devices of up to
// nine figures each, and one hour of them for 100 guests would cost more memory than all other series.

import type { DiskSnap, GuestSnap, NicSnap, Snapshot } from '../model/snapshot.js';
import { DISK_FIELDS, NIC_FIELDS, deviceMetric, parseDeviceMetric, type DeviceKind } from '../model/history-metrics.js';

/** seconds of per-device history kept (capped by the history's own window) */
export const DEVICE_HISTORY_SEC = 900;
const SWEEP_EVERY = 16;
const KINDS: readonly DeviceKind[] = ['disks', 'blockDevices', 'nics', 'nodes'];

interface Device {
  name: string;
  /** the map it lives in (a disk and a block device of the same name are two devices) */
  owner: Map<string, Device>;
  /** figures per sample */
  fields: number;
  /** capacity × fields: sample slot s holds its figures at s × fields … s × fields + fields - 1 */
  ring: Float32Array;
  /** sample number of the first slot written */
  since: number;
  /** last sample this device was in */
  lastSeen: number;
  /** bit i set: figure i has been known at least once (only those are listed) */
  known: number;
}

interface GuestDevices {
  id: string;
  disks: Map<string, Device>;
  blockDevices: Map<string, Device>;
  nics: Map<string, Device>;
  nodes: Map<string, Device>;
  lastSeen: number;
  /** the devices in the order of the last snapshot (disks then block devices / NICs / nodes): tried before the maps */
  diskAt: Device[];
  nicAt: Device[];
  nodeAt: Device[];
  /** the last memory.perNodeBytes object seen and its keys (enumerated again only when the object changes) */
  nodeObj: Record<string, number> | null;
  nodeKeys: string[];
}

/** What History knows of its samples: how many, and their times by slot of its own ring. */
export interface SampleClock {
  count: number;
  capacity: number;
  mono: Float64Array;
  wall: Float64Array;
}

export class DeviceHistory {
  /** ring length (samples) */
  readonly capacity: number;
  private readonly guests = new Map<string, GuestDevices>();
  /** the guests in the order of the last snapshot: tried before the map */
  private guestAt: GuestDevices[] = [];

  constructor(historyCapacity: number, intervalSec: number, deviceWindowSec = DEVICE_HISTORY_SEC) {
    this.capacity = Math.max(2, Math.min(historyCapacity, Math.ceil(deviceWindowSec / intervalSec) + 1));
  }

  // ---- append ------------------------------------------------------------------------------------

  /** Record the devices of every guest of sample number n. */
  record(s: Snapshot, n: number): void {
    const slot = n % this.capacity;
    const guests = s.guests;
    for (let i = 0; i < guests.length; i++) this.guest(guests[i] as GuestSnap, i, n, slot);
    if (n % SWEEP_EVERY === 0) this.sweep(n);
  }

  private guest(g: GuestSnap, index: number, n: number, slot: number): void {
    let gd = this.guestAt[index];
    if (gd === undefined || gd.id !== g.id) {
      gd = this.guests.get(g.id);
      if (gd === undefined) {
        gd = { id: g.id, disks: new Map(), blockDevices: new Map(), nics: new Map(), nodes: new Map(), lastSeen: n, diskAt: [], nicAt: [], nodeAt: [], nodeObj: null, nodeKeys: [] };
        this.guests.set(g.id, gd);
      }
      this.guestAt[index] = gd;
    }
    gd.lastSeen = n;
    // each I/O once (model/disk-io.ts countedDisks): cgroup devices only when there is no virtual disk
    const disks = g.disks;
    const blocks = g.blockDevices as DiskSnap[] | undefined;
    let virtual = false;
    for (let i = 0; i < disks.length; i++) if ((disks[i] as DiskSnap).source !== 'cgroup') { virtual = true; break; }
    let at = 0;
    for (let i = 0; i < disks.length; i++) if (this.disk(gd, at, disks[i] as DiskSnap, virtual, n, slot)) at++;
    if (blocks !== undefined) for (let i = 0; i < blocks.length; i++) if (this.disk(gd, at, blocks[i] as DiskSnap, virtual, n, slot)) at++;
    const nics = g.nics;
    for (let i = 0; i < nics.length; i++) {
      const nic = nics[i] as NicSnap;
      const dev = this.device(gd.nicAt, i, gd.nics, nic.ifname, NIC_FIELDS.length, n);
      const r = dev.ring;
      const b = slot * NIC_FIELDS.length;
      dev.known |= put(r, b, 0, nic.rxBytesPerSec) | put(r, b, 1, nic.txBytesPerSec)
        | put(r, b, 2, nic.rxDroppedPerSec) | put(r, b, 3, nic.txDroppedPerSec);
      dev.lastSeen = n;
    }
    const per = g.memory.perNodeBytes;
    if (per) {
      const keys = gd.nodeKeys;
      if (per !== gd.nodeObj) {
        // the collector reads numa_maps rarely and keeps its object in between: enumerate only a new one
        let k = 0;
        for (const node in per) keys[k++] = node;
        keys.length = k;
        gd.nodeObj = per;
      }
      for (let i = 0; i < keys.length; i++) {
        const node = keys[i] as string;
        const dev = this.device(gd.nodeAt, i, gd.nodes, node, 1, n);
        dev.known |= put(dev.ring, slot, 0, per[node] ?? null);
        dev.lastSeen = n;
      }
    }
  }

  /** record one disk if it is counted (true when it was) */
  private disk(gd: GuestDevices, at: number, d: DiskSnap, virtual: boolean, n: number, slot: number): boolean {
    const cgroup = d.source === 'cgroup';
    if (cgroup && virtual) return false;
    const dev = this.device(gd.diskAt, at, cgroup ? gd.blockDevices : gd.disks, d.name, DISK_FIELDS.length, n);
    const r = dev.ring;
    const b = slot * DISK_FIELDS.length;
    const lat = d.latencyMs;
    dev.known |= put(r, b, 0, d.readIops) | put(r, b, 1, d.writeIops)
      | put(r, b, 2, d.readBytesPerSec) | put(r, b, 3, d.writeBytesPerSec)
      | put(r, b, 4, d.readLatencyMs) | put(r, b, 5, d.writeLatencyMs) | put(r, b, 6, d.flushLatencyMs)
      | put(r, b, 7, lat?.read?.p99 ?? null) | put(r, b, 8, lat?.write?.p99 ?? null);
    dev.lastSeen = n;
    return true;
  }

  /**
   * The device of that name: at[index] when it is the same one as last time (no lookup), else from the
   * map, created on first sight. Back after a gap: the missed slots become NaN.
   */
  private device(at: Device[], index: number, map: Map<string, Device>, name: string, fields: number, n: number): Device {
    let dev = at[index];
    if (dev !== undefined && dev.owner === map && dev.name === name) {
      if (dev.lastSeen >= n - 1) return dev;
    } else {
      dev = map.get(name);
      if (dev === undefined) {
        dev = { name, owner: map, fields, ring: new Float32Array(this.capacity * fields).fill(NaN), since: n, lastSeen: n - 1, known: 0 };
        map.set(name, dev);
      }
      at[index] = dev;
    }
    if (dev.lastSeen < n - 1) {
      const missed = Math.min(n - 1 - dev.lastSeen, this.capacity);
      for (let k = 1; k <= missed; k++) {
        const b = ((dev.lastSeen + k) % this.capacity) * fields;
        dev.ring.fill(NaN, b, b + fields);
      }
    }
    return dev;
  }

  /** drop devices and guests not seen for a whole ring (and forget the positions, which may name them) */
  private sweep(n: number): void {
    const cap = this.capacity;
    let dropped = false;
    for (const [id, gd] of this.guests) {
      if (n - gd.lastSeen >= cap) { this.guests.delete(id); dropped = true; continue; }
      for (const kind of KINDS) {
        const m = gd[kind];
        for (const [name, dev] of m) if (n - dev.lastSeen >= cap) { m.delete(name); dropped = true; }
      }
    }
    if (!dropped) return;
    this.guestAt = [];
    for (const gd of this.guests.values()) { gd.diskAt = []; gd.nicAt = []; gd.nodeAt = []; }
  }

  // ---- read --------------------------------------------------------------------------------------

  /** the ring of (guest, metric) that holds data at sample `last`'s time, with its first sample; null when none */
  private ring(guest: string | null, metric: string, last: number): { dev: Device; field: number; since: number } | null {
    if (guest === null) return null;
    const p = parseDeviceMetric(metric);
    if (!p) return null;
    const dev = this.guests.get(guest)?.[p.kind].get(p.name);
    if (!dev || (dev.known & (1 << p.field)) === 0 || last - dev.lastSeen >= this.capacity) return null;
    return { dev, field: p.field, since: Math.max(dev.since, last - this.capacity + 1) };
  }

  /** figure `field` of sample m (m within the ring) */
  private at(dev: Device, field: number, m: number): number {
    return m > dev.lastSeen ? NaN : dev.ring[(m % this.capacity) * dev.fields + field] as number;
  }

  /** metric paths recorded for a guest (sorted by the caller) */
  metrics(guest: string | null, count: number): string[] {
    const gd = guest === null ? undefined : this.guests.get(guest);
    if (!gd) return [];
    const out: string[] = [];
    for (const kind of KINDS) {
      for (const [name, dev] of gd[kind]) {
        if (count - 1 - dev.lastSeen >= this.capacity) continue;
        for (let i = 0; i < dev.fields; i++) if (dev.known & (1 << i)) out.push(deviceMetric(kind, name, i));
      }
    }
    return out;
  }

  /** [wall ms, value] for samples first..last (History's numbering); null when the series does not exist */
  points(guest: string | null, metric: string, clock: SampleClock, fromMono: number): Array<[number, number | null]> | null {
    const last = clock.count - 1;
    const r = this.ring(guest, metric, last);
    if (!r) return null;
    const points: Array<[number, number | null]> = [];
    for (let m = r.since; m <= last; m++) {
      const slot = m % clock.capacity;
      if ((clock.mono[slot] as number) < fromMono) continue;
      const v = this.at(r.dev, r.field, m);
      points.push([clock.wall[slot] as number, Number.isNaN(v) ? null : Number.isInteger(v) ? v : Number(v.toPrecision(7))]);
    }
    return points;
  }

  /** values of samples first..last oldest first into `out` (NaN = unknown); null when the series does not exist */
  window(guest: string | null, metric: string, first: number, last: number, into?: Float32Array): Float32Array | null {
    const r = this.ring(guest, metric, last);
    if (!r) return null;
    const length = last - first + 1;
    const out = into && into.length === length ? into : new Float32Array(length);
    for (let m = first, k = 0; m <= last; m++, k++) {
      out[k] = m < r.since ? NaN : this.at(r.dev, r.field, m);
    }
    return out;
  }
}

/** write figure i of a sample whose figures start at b; returns its bit in Device.known when known */
function put(r: Float32Array, b: number, i: number, v: number | null): number {
  if (v === null) { r[b + i] = NaN; return 0; }
  r[b + i] = v;
  return 1 << i;
}
