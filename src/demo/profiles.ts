// Owns the demo guests' load profiles: what each guest WANTS at simulated time t (per-vCPU CPU
// demand, disk operations, network bytes, resident memory). The simulator then grants what the
// host and the guest's limits allow. Pure functions of (profile, time, per-guest random stream).

import type { Rng } from './rng.js';
import { jitter } from './rng.js';

export const PROFILES = ['steady', 'bursty', 'idle', 'disk-heavy', 'network-heavy', 'memory-hungry'] as const;
export type ProfileName = (typeof PROFILES)[number];

export interface DiskDemand { rOps: number; wOps: number; rSize: number; wSize: number }

export interface Demand {
  /** fraction of one CPU wanted by each vCPU, 0..1 */
  vcpu: number[];
  disks: DiskDemand[];
  /** guest's view: bytes/s received and sent */
  rxBps: number;
  txBps: number;
  /** resident guest RAM wanted, fraction of configured RAM */
  memFrac: number;
}

const K = 1024;

/** Whether a bursty guest is inside a burst: 30 s cycle, 35 % duty, phase per guest. */
function inBurst(t: number, phase: number): boolean {
  return ((t + phase * 30) % 30) < 10.5;
}

export function demandAt(profile: ProfileName, t: number, phase: number, vcpus: number, rng: Rng): Demand {
  const cpu = (mean: number, rel = 0.1): number[] =>
    Array.from({ length: vcpus }, (_, v) => Math.min(1, Math.max(0, jitter(rng, mean * (1 - 0.04 * v), rel))));
  const d = (rOps: number, wOps: number, rSize: number, wSize: number): DiskDemand =>
    ({ rOps: jitter(rng, rOps, 0.2), wOps: jitter(rng, wOps, 0.2), rSize, wSize });
  const wave = 0.5 + 0.5 * Math.sin((t / 40 + phase) * 2 * Math.PI);
  switch (profile) {
    case 'steady':
      return { vcpu: cpu(0.58, 0.08), disks: [d(40, 25, 4 * K, 16 * K), d(80, 40, 64 * K, 32 * K)],
        rxBps: jitter(rng, 1.5e6, 0.2), txBps: jitter(rng, 3e6, 0.2), memFrac: 0.6 };
    case 'bursty': {
      const b = inBurst(t, phase);
      return { vcpu: cpu(b ? 0.95 : 0.08, 0.05), disks: [d(20, 10, 4 * K, 8 * K), b ? d(1500, 600, 32 * K, 32 * K) : d(5, 5, 32 * K, 32 * K)],
        rxBps: b ? jitter(rng, 10e6, 0.2) : jitter(rng, 2e5, 0.3), txBps: b ? jitter(rng, 20e6, 0.2) : jitter(rng, 2e5, 0.3),
        memFrac: 0.45 + (b ? 0.2 : 0) };
    }
    case 'idle':
      return { vcpu: cpu(0.015, 0.5), disks: [d(0.5, 1, 4 * K, 4 * K), d(0, 0.2, 4 * K, 4 * K)],
        rxBps: jitter(rng, 2000, 0.5), txBps: jitter(rng, 1000, 0.5), memFrac: 0.25 };
    case 'disk-heavy':
      return { vcpu: cpu(0.3, 0.15), disks: [d(50, 30, 4 * K, 16 * K), d(2500 + 2000 * wave, 1500 + 1000 * wave, 16 * K, 8 * K)],
        rxBps: jitter(rng, 5e5, 0.2), txBps: jitter(rng, 2e6, 0.2), memFrac: 0.9 };
    case 'network-heavy':
      return { vcpu: cpu(0.35, 0.1), disks: [d(30, 40, 4 * K, 8 * K), d(5, 5, 16 * K, 16 * K)],
        rxBps: 30e6 + 60e6 * wave, txBps: 50e6 + 110e6 * wave, memFrac: 0.5 };
    case 'memory-hungry':
      // grows by ~0.5 % of RAM per second from 30 % up to 95 % of its RAM, then holds
      return { vcpu: cpu(0.45, 0.1), disks: [d(20, 20, 4 * K, 8 * K), d(200, 100, 64 * K, 64 * K)],
        rxBps: jitter(rng, 3e5, 0.2), txBps: jitter(rng, 3e5, 0.2), memFrac: Math.min(0.95, 0.3 + t * 0.005) };
  }
}

/** KSM-mergeable share of a guest's anonymous memory (idle guests hold many identical pages). */
export const KSM_SHARE: Record<ProfileName, number> = {
  steady: 0.1, bursty: 0.12, idle: 0.3, 'disk-heavy': 0, 'network-heavy': 0.08, 'memory-hungry': 0.05,
};
