// Owns the content of the daemon's `/metrics` (Prometheus text format, prom-client): the host's and
// every guest's CUMULATIVE counters from the latest raw sample (`_total`, `_seconds_total`, `_bytes`
// names, so Prometheus' rate() sees everything that happened between scrapes), current values and
// configured limits as gauges, and the engine's own counters. Labels: guest (name), manager, uuid and
// a device label (disk, interface, vcpu, node). An unknown value is left out, never exported as 0.
// The HTTP layer (routing, auth) is serve.ts's; this file only renders.

import { Counter, Gauge, Registry } from 'prom-client';
import type { RawGuest, RawSample } from '../engine/model/sample.js';
import type { EngineApi } from '../engine/protocol/api.js';

export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

/** What the endpoint reads: the EngineApi and the latest raw sample (counters are not in a snapshot). */
export interface MetricsSource extends Pick<EngineApi, 'status'> {
  latestRaw(): RawSample | null | Promise<RawSample | null>;
}

type Labels = Record<string, string>;
type Num = number | null | undefined;

const GUEST = ['guest', 'manager', 'uuid'];

export function createMetrics(engine: MetricsSource): MetricsEndpoint {
  const registry = new Registry();
  const all: Array<Counter<string> | Gauge<string>> = [];
  const counter = (name: string, help: string, labelNames: string[] = []): ((l: Labels, v: Num, scale?: number) => void) => {
    const c = new Counter({ name, help, labelNames, registers: [registry] });
    all.push(c);
    return (l, v, scale = 1) => { if (v !== null && v !== undefined && Number.isFinite(v) && v >= 0) c.inc(l, v * scale); };
  };
  const gauge = (name: string, help: string, labelNames: string[] = []): ((l: Labels, v: Num, scale?: number) => void) => {
    const g = new Gauge({ name, help, labelNames, registers: [registry] });
    all.push(g);
    return (l, v, scale = 1) => { if (v !== null && v !== undefined && Number.isFinite(v)) g.set(l, v * scale); };
  };
  const US = 1e-6;

  // host
  const hostCpu = counter('virtune_host_cpu_seconds_total', 'host CPU time by mode, summed over CPUs (/proc/stat)', ['mode']);
  const hostMemTotal = gauge('virtune_host_memory_total_bytes', 'MemTotal');
  const hostMemAvail = gauge('virtune_host_memory_available_bytes', 'MemAvailable');
  const hostCpus = gauge('virtune_host_cpus', 'online host CPUs');
  const psi = counter('virtune_host_pressure_stall_seconds_total', 'pressure stall time (/proc/pressure)', ['resource', 'kind']);
  const nodeMemTotal = gauge('virtune_numa_node_memory_total_bytes', 'memory of a NUMA node', ['node']);
  const nodeMemFree = gauge('virtune_numa_node_memory_free_bytes', 'free memory of a NUMA node', ['node']);
  const nodeHuge = gauge('virtune_numa_node_hugepages', 'hugepages of a NUMA node by page size (bytes) and state', ['node', 'size', 'state']);
  const huge = gauge('virtune_hugepages', 'host hugepage pools by page size (bytes) and state', ['size', 'state']);
  const ksmSaved = gauge('virtune_ksm_saved_bytes', 'memory KSM saves: (pages_sharing + ksm_zero_pages) x page size');
  const ksmShared = gauge('virtune_ksm_pages_shared', 'KSM pages_shared');
  const ksmSharing = gauge('virtune_ksm_pages_sharing', 'KSM pages_sharing');
  const ksmScans = counter('virtune_ksm_full_scans_total', 'KSM full_scans');
  // guest counters
  const cpu = counter('virtune_guest_cpu_seconds_total', 'guest CPU time (cgroup usage)', GUEST);
  const vcpu = counter('virtune_guest_vcpu_seconds_total', 'time a vCPU thread ran (schedstat)', [...GUEST, 'vcpu']);
  const vdelay = counter('virtune_guest_vcpu_delay_seconds_total', 'time a vCPU thread waited for a host CPU (run delay, schedstat)', [...GUEST, 'vcpu']);
  const thrSec = counter('virtune_guest_cpu_throttled_seconds_total', 'time the guest was throttled by its CPU quota', GUEST);
  const thrPer = counter('virtune_guest_cpu_throttled_periods_total', 'CFS periods in which the guest was throttled', GUEST);
  const periods = counter('virtune_guest_cpu_periods_total', 'CFS periods with a quota in force', GUEST);
  const DISK = [...GUEST, 'device'];
  const dOps = counter('virtune_guest_disk_ops_total', 'disk operations by direction', [...DISK, 'op']);
  const dBytes = counter('virtune_guest_disk_bytes_total', 'disk bytes by direction', [...DISK, 'op']);
  const dTime = counter('virtune_guest_disk_time_seconds_total', 'summed disk operation latency by direction', [...DISK, 'op']);
  const NIC = [...GUEST, 'device'];
  const nBytes = counter('virtune_guest_network_bytes_total', "network bytes in the guest's direction (rx = received by the guest)", [...NIC, 'direction']);
  const nPkts = counter('virtune_guest_network_packets_total', "network packets in the guest's direction", [...NIC, 'direction']);
  const nDrop = counter('virtune_guest_network_dropped_total', "dropped packets in the guest's direction", [...NIC, 'direction']);
  // guest gauges
  const mem = gauge('virtune_guest_memory_bytes', 'guest memory charged to its cgroup', GUEST);
  const rss = gauge('virtune_guest_memory_rss_bytes', 'QEMU resident memory', GUEST);
  const memNode = gauge('virtune_guest_memory_node_bytes', 'guest resident memory per NUMA node', [...GUEST, 'node']);
  const vcpus = gauge('virtune_guest_vcpus', 'vCPUs of the guest', GUEST);
  // limits
  const quota = gauge('virtune_guest_cpu_quota_cpus', 'CPU quota in CPUs (quota / period); absent when unlimited', GUEST);
  const weight = gauge('virtune_guest_cpu_weight', 'cgroup v2 cpu.weight', GUEST);
  const shares = gauge('virtune_guest_cpu_shares', 'cgroup v1 cpu.shares', GUEST);
  const memMax = gauge('virtune_guest_memory_limit_bytes', 'memory hard limit; absent when unlimited', GUEST);
  const dLimOps = gauge('virtune_guest_disk_limit_iops', 'disk IOPS limit by direction (read, write, total)', [...DISK, 'op']);
  const dLimBytes = gauge('virtune_guest_disk_limit_bytes_per_second', 'disk bandwidth limit by direction', [...DISK, 'op']);
  // in bytes like the traffic counters (promtool takes bits for a non-base unit)
  const shaping = gauge('virtune_guest_network_shaping_bytes_per_second', "tc rate on the guest's tap (in = to the guest)", [...NIC, 'direction']);
  // engine
  const samples = counter('virtune_engine_samples_total', 'samples taken since the engine started');
  const sampleCost = gauge('virtune_engine_last_sample_seconds', 'wall time of the last sample');
  const deriveCost = gauge('virtune_engine_last_derive_seconds', 'wall time of the last derivation');
  const clients = gauge('virtune_engine_clients', 'connected clients');
  const guests = gauge('virtune_engine_guests', 'guests seen in the last sample');

  const guestSeries = (g: RawGuest): void => {
    const l: Labels = { guest: g.name, manager: g.manager, uuid: g.uuid ?? '' };
    cpu(l, g.cpu.usageUsec, US);
    thrSec(l, g.cpu.throttledUsec, US);
    thrPer(l, g.cpu.nrThrottled);
    periods(l, g.cpu.nrPeriods);
    for (const v of g.vcpus) {
      const vl = { ...l, vcpu: String(v.index) };
      vcpu(vl, v.runUsec, US);
      vdelay(vl, v.waitUsec, US);
    }
    vcpus(l, g.smp ?? (g.vcpus.length > 0 ? g.vcpus.length : null));
    for (const d of g.disks) {
      const dl = { ...l, device: d.name };
      dOps({ ...dl, op: 'read' }, d.readOps); dOps({ ...dl, op: 'write' }, d.writeOps); dOps({ ...dl, op: 'flush' }, d.flushOps);
      dBytes({ ...dl, op: 'read' }, d.readBytes); dBytes({ ...dl, op: 'write' }, d.writeBytes);
      dTime({ ...dl, op: 'read' }, d.readTimeUsec, US); dTime({ ...dl, op: 'write' }, d.writeTimeUsec, US);
      dTime({ ...dl, op: 'flush' }, d.flushTimeUsec, US);
      const lim = d.limits;
      dLimOps({ ...dl, op: 'read' }, lim.readIops); dLimOps({ ...dl, op: 'write' }, lim.writeIops); dLimOps({ ...dl, op: 'total' }, lim.totalIops);
      dLimBytes({ ...dl, op: 'read' }, lim.readBytesPerSec); dLimBytes({ ...dl, op: 'write' }, lim.writeBytesPerSec);
      dLimBytes({ ...dl, op: 'total' }, lim.totalBytesPerSec);
    }
    for (const n of g.nics) {
      const nl = { ...l, device: n.ifname };
      nBytes({ ...nl, direction: 'rx' }, n.rxBytes); nBytes({ ...nl, direction: 'tx' }, n.txBytes);
      nPkts({ ...nl, direction: 'rx' }, n.rxPackets); nPkts({ ...nl, direction: 'tx' }, n.txPackets);
      nDrop({ ...nl, direction: 'rx' }, n.rxDropped); nDrop({ ...nl, direction: 'tx' }, n.txDropped);
      shaping({ ...nl, direction: 'in' }, n.shaping?.inKbitPerSec, 125); // kbit/s (1000-based) → bytes/s
      shaping({ ...nl, direction: 'out' }, n.shaping?.outKbitPerSec, 125);
    }
    mem(l, g.memory.currentBytes);
    rss(l, g.memory.rssBytes);
    for (const [node, b] of Object.entries(g.memory.perNodeBytes ?? {})) memNode({ ...l, node }, b);
    const q = g.cpu.quotaUsec;
    if (typeof q === 'number' && g.cpu.periodUsec) quota(l, q / g.cpu.periodUsec);
    weight(l, g.cpu.weight);
    shares(l, g.cpu.shares);
    if (typeof g.memory.maxBytes === 'number') memMax(l, g.memory.maxBytes);
  };

  const hostSeries = (raw: RawSample): void => {
    const h = raw.host;
    if (h.cpuTotal) {
      const t = h.cpuTotal;
      const s = 1 / (h.clkTck > 0 ? h.clkTck : 100);
      const modes: Array<[string, number]> = [['user', t.user], ['nice', t.nice], ['system', t.system], ['idle', t.idle],
        ['iowait', t.iowait], ['irq', t.irq], ['softirq', t.softirq], ['steal', t.steal]];
      for (const [mode, v] of modes) hostCpu({ mode }, v, s);
    }
    hostMemTotal({}, h.memTotalBytes);
    hostMemAvail({}, h.memAvailableBytes);
    hostCpus({}, h.cpuCount);
    if (h.psi) {
      psi({ resource: 'cpu', kind: 'some' }, h.psi.cpuSomeUsec, US); psi({ resource: 'cpu', kind: 'full' }, h.psi.cpuFullUsec, US);
      psi({ resource: 'io', kind: 'some' }, h.psi.ioSomeUsec, US); psi({ resource: 'io', kind: 'full' }, h.psi.ioFullUsec, US);
      psi({ resource: 'memory', kind: 'some' }, h.psi.memSomeUsec, US); psi({ resource: 'memory', kind: 'full' }, h.psi.memFullUsec, US);
    }
    for (const n of h.numaNodes) {
      const node = String(n.node);
      nodeMemTotal({ node }, n.memTotalBytes);
      nodeMemFree({ node }, n.memFreeBytes);
      for (const [kib, p] of Object.entries(n.hugepages)) {
        const size = String(Number(kib) * 1024);
        nodeHuge({ node, size, state: 'total' }, p.total);
        nodeHuge({ node, size, state: 'free' }, p.free);
      }
    }
    for (const [kib, p] of Object.entries(h.hugepages)) {
      const size = String(Number(kib) * 1024);
      huge({ size, state: 'total' }, p.total); huge({ size, state: 'free' }, p.free);
      huge({ size, state: 'reserved' }, p.reserved); huge({ size, state: 'surplus' }, p.surplus);
    }
    if (h.ksm) {
      const k = h.ksm;
      if (k.pagesSharing !== null) ksmSaved({}, (k.pagesSharing + (k.zeroPages ?? 0)) * k.pageSizeBytes);
      ksmShared({}, k.pagesShared);
      ksmSharing({}, k.pagesSharing);
      ksmScans({}, k.fullScans);
    }
  };

  return {
    contentType: registry.contentType,
    async render(): Promise<string> {
      for (const m of all) m.reset(); // vanished guests and unknown values disappear
      const st = await engine.status();
      samples({}, st.samples);
      sampleCost({}, st.lastSampleCostUsec, US);
      deriveCost({}, st.lastDeriveCostUsec, US);
      clients({}, st.clients);
      guests({}, st.guests);
      const raw = await engine.latestRaw();
      if (raw) {
        hostSeries(raw);
        for (const g of raw.guests) guestSeries(g);
      }
      return registry.metrics();
    },
  };
}
