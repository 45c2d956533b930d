// Owns the machine description printed with every benchmark result: CPU model, core count, memory,
// Node version, kernel, load average at the start (the machine is shared; a high load explains noise).

import * as os from 'node:os';

export interface MachineInfo {
  cpuModel: string | null;
  cores: number;
  memTotalMb: number;
  node: string;
  kernel: string;
  platform: string;
  loadAvg1: number;
  hostname: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() || null,
    cores: cpus.length,
    memTotalMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    kernel: os.release(),
    platform: `${os.platform()} ${os.arch()}`,
    loadAvg1: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    hostname: os.hostname(),
  };
}
