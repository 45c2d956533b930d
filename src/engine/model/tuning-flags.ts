// Owns the command-line words of each tuning change kind, so messages name what the operator typed
// (`--cpu-weight`), never an internal identifier (`cpuWeight`).

import type { TuningChange } from './tuning.js';

const FLAG: Record<TuningChange['kind'], string> = {
  cpuWeight: '--cpu-weight', cpuQuota: '--cpu-quota', cpuPeriod: '--cpu-period', cpuset: '--cpuset', nodeset: '--nodeset',
  vcpuPin: '--vcpu-pin', emulatorPin: '--emulator-pin', io: '--io', diskThrottle: '--disk-throttle', net: '--net',
  memMax: '--mem-max', ksm: '--ksm', hugepages: '--hugepages',
};

export function flagOf(c: TuningChange): string {
  if (c.kind === 'cpuWeight') return `--${c.flag}`;
  return FLAG[c.kind] ?? c.kind;
}
