// Owns canned virsh for libvirt unit tests: a RecordingRunner answering the getter/discovery commands
// with the outputs captured from the lab's real libvirt 9 (test/fixtures/libvirt), and a RawGuest as
// the enricher produces it for that domain.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RawGuest } from '../../src/engine/model/sample.js';
import { parseDomainXml } from '../../src/collector/libvirt/parse-domain.js';
import { blankGuest } from '../../src/collector/libvirt/guest.js';
import { FIXTURES } from '../helpers/fixture-host.js';
import { RecordingRunner } from '../helpers/recording-runner.js';

export const fx = (name: string): string => readFileSync(path.join(FIXTURES, 'libvirt', name), 'utf8');

/** index of the virsh subcommand in argv (after `-c URI`) */
export const sub = (argv: readonly string[]): string[] => argv.slice(argv[1] === '-c' ? 3 : 1);

export function cannedVirsh(overrides: Record<string, { stdout?: string; stderr?: string; code?: number }> = {}): RecordingRunner {
  const r = new RecordingRunner();
  r.on((a) => a[0] === 'virsh', (a) => {
    const s = sub(a);
    const key = s.filter((x) => x !== 'web01' && x !== 'vda' && x !== 'vnet0').join(' ');
    const o = overrides[key] ?? overrides[s[0] ?? ''];
    if (o) return { code: 0, ...o };
    const files: Record<string, string> = {
      'schedinfo --live': 'schedinfo.txt', 'schedinfo --config': 'schedinfo-config.txt',
      'vcpupin --live': 'vcpupin.txt', 'vcpupin --config': 'vcpupin.txt',
      'emulatorpin --live': 'emulatorpin.txt', 'emulatorpin --config': 'emulatorpin.txt',
      'iothreadinfo --live': 'iothreadinfo.txt', 'iothreadinfo --config': 'iothreadinfo.txt',
      'numatune --live': 'numatune.txt', 'numatune --config': 'numatune.txt',
      'blkiotune --live': 'blkiotune.txt', 'blkiotune --config': 'blkiotune.txt',
      'blkdeviotune --live': 'blkdeviotune.txt', 'blkdeviotune --config': 'blkdeviotune.txt',
      'domiftune --live': 'domiftune.txt', 'domiftune --config': 'domiftune.txt',
      'list --uuid --name': 'list-uuid-name.txt', dominfo: 'dominfo.txt', dumpxml: 'dumpxml-live.xml',
      domiflist: 'domiflist.txt', domblklist: 'domblklist.txt',
      'domstats --raw --list-active --state --cpu-total --balloon --vcpu --interface --block': 'domstats.txt',
    };
    const f = files[key];
    if (!f) return { code: 1, stderr: `error: unexpected virsh call in test: ${a.join(' ')}\n` };
    return { code: 0, stdout: fx(f) };
  });
  return r;
}

/** The guest as discovered for the captured domain web01 (pid 18624). */
export function web01(): RawGuest {
  const g = blankGuest('libvirt:web01', 'web01', 18624);
  const x = parseDomainXml(fx('dumpxml-live.xml'));
  g.uuid = x.uuid;
  g.cgroup = { path: '/machine/qemu-1-web01.libvirt-qemu', version: 1, own: true };
  g.libvirt = {
    uri: null, domId: 1, uuid: x.uuid, state: 'running', persistent: true, autostart: false, vcpuCount: 2,
    maxMemoryKiB: 65536, currentMemoryKiB: 65536, partition: '/machine', cputune: x.cputune, numatune: x.numatune,
    blkiotune: x.blkiotune, memtune: null, memoryBacking: null, disks: x.disks, interfaces: x.interfaces,
    vcpuStats: [], balloon: null, cpuTimeUsec: null, cpuUserUsec: null, cpuSystemUsec: null,
  };
  g.nics = [{ ifname: 'vnet0', mac: null, macvtap: false, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0, rxDropped: 0, txDropped: 0, shaping: null }];
  g.memory.currentBytes = 40 * 1024 * 1024;
  return g;
}
