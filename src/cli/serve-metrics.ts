// Owns the daemon's `/metrics` endpoint: the latest snapshot and the engine's own status as Prometheus
// text (prom-client), refreshed on every scrape. Names carry units like the snapshot's fields.

import { allDisks } from '../engine/model/disk-io.js';
import { Gauge, Registry } from 'prom-client';
import type { EngineApi } from '../engine/protocol/api.js';

export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

export function createMetrics(engine: EngineApi): MetricsEndpoint {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[] = []): Gauge<string> =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const hostCpu = g('virtune_host_cpu_usage_pct', 'host CPU use, percent of one CPU summed over all CPUs');
  const hostMemAvail = g('virtune_host_mem_available_bytes', 'MemAvailable');
  const nodeCpu = g('virtune_numa_node_cpu_usage_pct', 'CPU use of a NUMA node, percent of one CPU', ['node']);
  const nodeFree = g('virtune_numa_node_mem_free_bytes', 'free memory of a NUMA node', ['node']);
  const ksmSaved = g('virtune_ksm_saved_bytes', '(pages_sharing + ksm_zero_pages) × page size');
  const gl = ['guest', 'name'];
  const cpu = g('virtune_guest_cpu_usage_pct', 'guest CPU use, percent of one host CPU', gl);
  const steal = g('virtune_guest_cpu_steal_pct', 'sum of vCPU run-queue wait, percent of one CPU', gl);
  const throttled = g('virtune_guest_cpu_throttled_pct', 'share of CFS periods throttled', gl);
  const mem = g('virtune_guest_memory_current_bytes', 'cgroup memory use', gl);
  const rss = g('virtune_guest_memory_rss_bytes', 'QEMU resident memory', gl);
  const dl = [...gl, 'disk'];
  const rdB = g('virtune_guest_disk_read_bytes_per_sec', 'disk read bandwidth', dl);
  const wrB = g('virtune_guest_disk_write_bytes_per_sec', 'disk write bandwidth', dl);
  const rdI = g('virtune_guest_disk_read_iops', 'disk read operations per second', dl);
  const wrI = g('virtune_guest_disk_write_iops', 'disk write operations per second', dl);
  const nl = [...gl, 'ifname'];
  const rx = g('virtune_guest_net_rx_bytes_per_sec', 'bytes per second received by the guest', nl);
  const tx = g('virtune_guest_net_tx_bytes_per_sec', 'bytes per second sent by the guest', nl);
  const samples = g('virtune_engine_samples', 'samples taken since start');
  const sampleCost = g('virtune_engine_last_sample_cost_usec', 'wall time of the last sample, µs');
  const deriveCost = g('virtune_engine_last_derive_cost_usec', 'wall time of the last derivation, µs');
  const clients = g('virtune_engine_clients', 'connected clients');
  const guests = g('virtune_engine_guests', 'guests seen in the last sample');
  const perSample = [hostCpu, hostMemAvail, nodeCpu, nodeFree, ksmSaved, cpu, steal, throttled, mem, rss, rdB, wrB, rdI, wrI, rx, tx];

  const set = (gauge: Gauge<string>, labels: Record<string, string>, v: number | null | undefined): void => {
    if (v !== null && v !== undefined && Number.isFinite(v)) gauge.set(labels, v);
  };

  return {
    contentType: registry.contentType,
    async render(): Promise<string> {
      for (const m of perSample) m.reset(); // vanished guests and unknown values disappear
      const [s, st] = await Promise.all([engine.latest(), engine.status()]);
      set(samples, {}, st.samples);
      set(sampleCost, {}, st.lastSampleCostUsec);
      set(deriveCost, {}, st.lastDeriveCostUsec);
      set(clients, {}, st.clients);
      set(guests, {}, st.guests);
      if (s) {
        set(hostCpu, {}, s.host.cpuUsagePct);
        set(hostMemAvail, {}, s.host.memAvailableBytes);
        set(ksmSaved, {}, s.host.ksm?.savedBytes);
        for (const n of s.host.numaNodes) {
          set(nodeCpu, { node: String(n.node) }, n.cpuUsagePct);
          set(nodeFree, { node: String(n.node) }, n.memFreeBytes);
        }
        for (const x of s.guests) {
          const l = { guest: x.id, name: x.name };
          set(cpu, l, x.cpu.usagePct);
          set(steal, l, x.cpu.stealPct);
          set(throttled, l, x.cpu.throttledPct);
          set(mem, l, x.memory.currentBytes);
          set(rss, l, x.memory.rssBytes);
          for (const d of allDisks(x)) {
            const dlab = { ...l, disk: d.name };
            set(rdB, dlab, d.readBytesPerSec); set(wrB, dlab, d.writeBytesPerSec);
            set(rdI, dlab, d.readIops); set(wrI, dlab, d.writeIops);
          }
          for (const n of x.nics) {
            const nlab = { ...l, ifname: n.ifname };
            set(rx, nlab, n.rxBytesPerSec); set(tx, nlab, n.txBytesPerSec);
          }
        }
      }
      return registry.metrics();
    },
  };
}
