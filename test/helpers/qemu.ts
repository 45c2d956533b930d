// Owns real QEMU guests for tests: writes the tiny boot-sector images of the lab notes (spin: vCPU0
// spins; spinall: every vCPU spins; ioloop: reads its disk forever), starts qemu-system-x86_64 with
// TCG, a QMP socket and a pidfile in the test's temp dir, waits until the boot sector runs, and
// registers the pid with the Lab so it is killed (by pid) at cleanup, also on failure.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { requireCommand, uniqueName, type Lab } from './lab.js';

const CODE: Record<BootKind, string> = {
  spin: 'ebfe',
  ioloop: '31c08ed88ec08ed0bc007cfb89d5c7062b7c0100be297c89eab442cd13ff06317c8126317cff07ebe5' +
    '1000010000800000010000000000000000',
  spinall: 'fa31c08ed8c7060070ebfe0f0116587c0f20c00c010f22c0ea1d7c080066b810008ed8c7050003e0fe' +
    '00450c00b900001000e2fec7050003e0fe07460c00ebfe' +
    '0000000000000000ffff0000009acf00ffff00000092cf001700407c',
};

export type BootKind = 'spin' | 'spinall' | 'ioloop';

/** A 1 MiB raw disk whose first sector is the boot code (a 512-byte image does not boot). */
export function writeBootImage(file: string, kind: BootKind): void {
  const img = Buffer.alloc(1 << 20);
  Buffer.from(CODE[kind], 'hex').copy(img, 0);
  img[510] = 0x55;
  img[511] = 0xaa;
  writeFileSync(file, img);
}

export interface QemuOptions {
  kind?: BootKind;
  smp?: number;
  memMiB?: number;
  name?: string;
  uuid?: string;
  /** disk cache=none (O_DIRECT): needed for blkio throttling to see the reads */
  cacheNone?: boolean;
  diskIf?: 'virtio' | 'ide';
  diskId?: string;
  /** run QEMU inside this network namespace with a tap NIC */
  netns?: string;
  tap?: { ifname: string; mac?: string };
  extraArgs?: string[];
  /** use `-chardev socket … -mon mode=control` instead of `-qmp unix:` */
  chardevMonitor?: boolean;
}

export interface QemuGuest {
  pid: number;
  name: string;
  uuid: string;
  dir: string;
  qmpSocket: string;
  image: string;
  argv: string[];
}

export async function startQemu(lab: Lab, opts: QemuOptions = {}): Promise<QemuGuest> {
  requireCommand('qemu-system-x86_64');
  const dir = lab.tmpdir('qemu');
  const name = opts.name ?? uniqueName('vt').replace(/-/g, '_');
  const uuid = opts.uuid ?? crypto.randomUUID();
  const image = path.join(dir, 'disk.img');
  writeBootImage(image, opts.kind ?? 'spin');
  const qmpSocket = path.join(dir, 'qmp.sock');
  const pidfile = path.join(dir, 'qemu.pid');
  const log = path.join(dir, 'seabios.log');
  const drive = [`file=${image}`, 'format=raw', `if=${opts.diskIf ?? 'virtio'}`, `id=${opts.diskId ?? 'disk0'}`];
  if (opts.cacheNone) drive.push('cache=none', 'aio=threads');
  const qmpArgs = opts.chardevMonitor
    ? ['-chardev', `socket,id=mon0,path=${qmpSocket},server=on,wait=off`, '-mon', 'chardev=mon0,mode=control']
    : ['-qmp', `unix:${qmpSocket},server=on,wait=off`];
  const netArgs = opts.tap
    ? ['-netdev', `tap,id=n0,ifname=${opts.tap.ifname},script=no,downscript=no`,
       '-device', `virtio-net-pci,netdev=n0,mac=${opts.tap.mac ?? '52:54:00:12:34:56'}`]
    : [];
  const argv = [
    'qemu-system-x86_64', '-accel', 'tcg', '-m', String(opts.memMiB ?? 64), '-smp', String(opts.smp ?? 1),
    '-name', `guest=${name},debug-threads=on`, '-uuid', uuid,
    '-nographic', '-nodefaults', '-serial', 'none', '-monitor', 'none',
    '-chardev', `file,id=dbg,path=${log}`, '-device', 'isa-debugcon,iobase=0x402,chardev=dbg',
    ...qmpArgs, '-drive', drive.join(','), ...netArgs, ...(opts.extraArgs ?? []),
    '-pidfile', pidfile, '-daemonize',
  ];
  const full = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;
  try {
    execFileSync(full[0] as string, full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  } finally {
    if (existsSync(pidfile)) lab.ownPid(Number(readFileSync(pidfile, 'utf8').trim()));
  }
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  const deadline = Date.now() + 20_000;
  while (!(existsSync(log) && readFileSync(log, 'utf8').includes('Booting from 0000:7c00'))) {
    if (Date.now() > deadline) throw new Error(`QEMU ${name} did not boot its sector within 20 s (log: ${log})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid, name, uuid, dir, qmpSocket, image, argv };
}

/** All thread ids of a process. */
export function threadsOf(pid: number): number[] {
  return execFileSync('ls', [`/proc/${pid}/task`], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
}

/** CPU time (utime+stime, in seconds) of a process or thread from /proc stat. */
export function cpuSeconds(statPath: string): number {
  const s = readFileSync(statPath, 'utf8');
  const after = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(after[11]) + Number(after[12])) / 100;
}
