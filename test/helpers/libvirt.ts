// Owns the real libvirt test fixture (lab.md section 5) on top of src/bench/libvirt-host.ts (host
// setup, the lock, libvirtd start/stop, the domain XML): one `libvirtd -d -p PIDFILE` per test file, tiny TCG
// domains booting the spin/ioloop sectors, and a cleanup that always destroys/undefines the domains,
// kills libvirtd by pid and removes the empty `machine` cgroup partitions it created.
//
// Only one libvirtd can run on a machine (it owns /run/libvirt), and several test files (or
// engineers) may want one: a directory lock (`mkdir` is atomic) serialises them.

import { readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
  LIBVIRT_URI, acquireLibvirtLock, domainXml, releaseLibvirtLock, removeMachineDirs, run, setupLibvirtHost, startLibvirtd,
  stopLibvirtd, virsh,
} from '../../src/bench/libvirt-host.js';
import { Lab, isAlive, killPid, uniqueName } from './lab.js';
import { writeBootImage, type BootKind } from './qemu.js';

export { LIBVIRT_URI, virsh, setupLibvirtHost };

export interface LibvirtDomain {
  name: string;
  uuid: string;
  /** QEMU pid from /run/libvirt/qemu/<name>.pid */
  pid: number;
  tap: string;
  /** target dev of the disk */
  disk: string;
  image: string;
  kind: BootKind;
}

export interface DomainOptions {
  kind: BootKind;
  vcpus?: number;
  /** attach the ethernet/tap interface (default true) */
  nic?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LibvirtLab {
  readonly uri = LIBVIRT_URI;
  readonly lab = new Lab();
  daemonPid: number | null = null;
  private dir = '';
  readonly domains: LibvirtDomain[] = [];

  /** Set up the host, take the lock, start libvirtd and wait until it answers (≈ 4 s). */
  async start(): Promise<void> {
    setupLibvirtHost();
    await acquireLibvirtLock();
    this.lab.defer(releaseLibvirtLock);
    this.dir = this.lab.tmpdir('virtune-libvirt');
    this.lab.defer(removeMachineDirs); // runs after the daemon is gone (cleanups run last-in first-out)
    this.lab.defer(() => this.stopDaemon());
    this.daemonPid = await startLibvirtd(this.dir);
  }

  /** Define and start a TCG domain; waits until its boot sector runs. */
  async startDomain(opts: DomainOptions): Promise<LibvirtDomain> {
    const name = uniqueName('vtlv').replace(/-/g, '_');
    const uuid = crypto.randomUUID();
    const image = path.join(this.dir, `${name}.img`);
    const log = path.join(this.dir, `${name}.seabios.log`);
    const tap = opts.nic === false ? null : `vtv${Math.random().toString(36).slice(2, 9)}`;
    writeBootImage(image, opts.kind);
    const xmlFile = path.join(this.dir, `${name}.xml`);
    writeFileSync(xmlFile, domainXml({ name, uuid, image, tap, vcpus: opts.vcpus ?? 2, log }));
    let pid = 0;
    this.lab.defer(() => rmSync(`/var/log/libvirt/qemu/${name}.log`, { force: true }));
    this.lab.defer(() => { if (pid > 0 && isAlive(pid)) killPid(pid, false); }); // last resort if destroy failed
    virsh('define', xmlFile);
    this.lab.defer(() => { run(['virsh', '-c', LIBVIRT_URI, 'undefine', name]); });
    this.lab.defer(() => { run(['virsh', '-c', LIBVIRT_URI, 'destroy', name]); });
    virsh('start', name);
    pid = Number(readFileSync(`/run/libvirt/qemu/${name}.pid`, 'utf8').trim());
    const deadline = Date.now() + 30_000;
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('Booting from 0000:7c00'))) {
      if (Date.now() > deadline) throw new Error(`domain ${name} did not boot its sector within 30 s (log: ${log})`);
      await sleep(50);
    }
    const dom: LibvirtDomain = { name, uuid, pid, tap: tap ?? '', disk: 'vda', image, kind: opts.kind };
    this.domains.push(dom);
    return dom;
  }

  private stopDaemon(): void {
    if (this.daemonPid !== null) stopLibvirtd(this.daemonPid);
    this.daemonPid = null;
  }

  async stop(): Promise<void> {
    await this.lab.cleanup();
  }
}

/** One libvirtd per test file: started in beforeAll, everything removed in afterAll (always). */
export function useLibvirt(): LibvirtLab {
  const lv = new LibvirtLab();
  beforeAll(async () => { await lv.start(); }, 120_000);
  afterAll(async () => { await lv.stop(); }, 60_000);
  return lv;
}
