// Owns the demo's built-in trouble, so every diagnosis cause can be tried on any machine. Applied
// once when the demo host is made, as if an operator had configured it (the control files show it
// and tuning can undo it); each needs its guest index to exist (the default 8 guests have them all):
//   cpu-contention / cpuset-too-small  cache-06, web-07 and batch-08 share the first two CPUs of
//        node 1: overcommitted, so cache-06 waits for them (web-07 also has its memory on node 0,
//        remote from there), and batch-08 in a burst has more busy vCPUs than CPUs
//   cpu-quota    proxy-05 is capped at 80 % of one CPU while it wants about 1.4 CPUs
//   disk-limit   db-04's data disk (virtio-disk1) has a QMP iops_rd limit of 1500 under a read load
//                of 2500-4500 per second
//   remote-numa  idle-03 runs on node 0's CPUs while three quarters of its memory sit on node 1
//   network-limit  batch-02's tap is shaped to 1 Mbit/s towards the guest (a root HTB, as `virtune tune
//        --net vnet1:in=1mbit` makes it) while about 1.6 Mbit/s, and 80 Mbit/s in bursts, arrive for it
// Pure: changes the state objects only (the host writes the shaping into the tree's shaping file, which
// the simulated tc starts from).

import { recomputeEffective } from './sim.js';
import type { HostSpec } from './spec.js';
import type { GuestState } from './state.js';

export const SHARED_CPU_GUESTS = [5, 6, 7];
export const QUOTA_GUEST = 4;
export const DISK_LIMIT_GUEST = 3;
export const REMOTE_MEMORY_GUEST = 2;
export const NET_LIMIT_GUEST = 1;
/** batch-02's shaping towards the guest, kbit/s */
export const NET_LIMIT_IN_KBIT = 1000;

export function applyScenarios(guests: GuestState[], host: HostSpec): void {
  if (host.nodes < 2) return;
  const shared = (host.nodeCpus[1] as number[]).slice(0, 2);
  for (const i of SHARED_CPU_GUESTS) {
    const g = guests[i];
    if (g) g.ctl.scope.cpus = [...shared];
  }
  const q = guests[QUOTA_GUEST];
  if (q) q.ctl.scope.quota = 80000;
  const db = guests[DISK_LIMIT_GUEST];
  const data = db?.disks[1];
  if (db && data) {
    data.throttle = { values: { bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 1500, iops_wr: 0 }, group: db.spec.disks[1]?.alias ?? null };
  }
  const r = guests[REMOTE_MEMORY_GUEST];
  if (r) {
    const home = r.spec.homeNode;
    r.ctl.scope.cpus = [...(host.nodeCpus[home] as number[])];
    const frac = Array.from({ length: host.nodes }, (_, k) => (k === home ? 0.25 : 0.75 / (host.nodes - 1)));
    r.mem.baseFrac = [...frac];
    r.mem.nodeFrac = [...frac];
  }
  const shaped = guests[NET_LIMIT_GUEST];
  if (shaped) shaped.shaping = { inKbit: NET_LIMIT_IN_KBIT, outKbit: null };
  for (const g of guests) recomputeEffective(g, host);
}
