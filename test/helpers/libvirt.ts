// Owns the real libvirt test fixture (lab.md section 5): the idempotent host setup a fresh CI machine
// needs besides the packages (libvirt-qemu user, runtime dirs, /etc/libvirt/qemu.conf that keeps
// libvirt out of the `memory` controller), one `libvirtd -d -p PIDFILE` per test file, tiny TCG
// domains booting the spin/ioloop sectors, and a cleanup that always destroys/undefines the domains,
// kills libvirtd by pid and removes the empty `machine` cgroup partitions it created.
//
// Only one libvirtd can run on a machine (it owns /run/libvirt), and several test files (or
// engineers) may want one: a directory lock (`mkdir` is atomic) serialises them.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Lab, isAlive, killPid, requireCommand, uniqueName } from './lab.js';
import { writeBootImage, type BootKind } from './qemu.js';

export const LIBVIRT_URI = 'qemu:///system';
const LOCK_DIR = '/run/virtune-libvirtd.lock';
const QEMU_CONF = '/etc/libvirt/qemu.conf';
const QEMU_CONF_TEXT = `# written by virtune's test setup (test/helpers/libvirt.ts): libvirtd without systemd
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
# never the memory controller: it holds this machine's own processes
cgroup_controllers = [ "cpu", "cpuacct", "cpuset", "blkio", "devices" ]
`;
const MACHINE_DIRS = ['cpu', 'cpuset', 'blkio', 'unified', 'cpuacct', 'devices'].map((c) => `/sys/fs/cgroup/${c}/machine`);

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

function run(argv: string[], timeoutMs = 30_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** virsh against the test daemon; throws with virsh's message on failure. */
export function virsh(...args: string[]): string {
  const r = run(['virsh', '-c', LIBVIRT_URI, ...args]);
  if (r.code !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Users, groups, directories and qemu.conf of lab.md section 5; each step only when missing. */
export function setupLibvirtHost(): void {
  for (const cmd of ['libvirtd', 'virsh', 'qemu-system-x86_64']) requireCommand(cmd);
  for (const g of ['kvm', 'libvirt-qemu']) {
    if (run(['getent', 'group', g]).code !== 0) execFileSync('groupadd', ['-r', g]);
  }
  if (run(['id', 'libvirt-qemu']).code !== 0) {
    execFileSync('useradd', ['-r', '-g', 'kvm', '-d', '/var/lib/libvirt', '-s', '/usr/sbin/nologin', 'libvirt-qemu']);
  }
  for (const d of ['/var/log/libvirt/qemu', '/var/lib/libvirt/qemu', '/var/cache/libvirt/qemu', '/run/libvirt']) {
    mkdirSync(d, { recursive: true });
  }
  const current = existsSync(QEMU_CONF) ? readFileSync(QEMU_CONF, 'utf8') : null;
  if (current === null || (current !== QEMU_CONF_TEXT && current.startsWith('# written by virtune'))) {
    writeFileSync(QEMU_CONF, QEMU_CONF_TEXT);
  } else if (current !== QEMU_CONF_TEXT) {
    const ctl = /^\s*cgroup_controllers\s*=\s*\[([^\]]*)\]/m.exec(current);
    if (!ctl || /memory/.test(ctl[1] as string)) {
      throw new Error(`${QEMU_CONF} exists and does not keep libvirt out of the memory cgroup controller; ` +
        'fix it or remove it so the test can write its own');
    }
  }
}

function runningLibvirtd(): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'libvirtd' && isAlive(Number(e))) pids.push(Number(e));
    } catch { /* gone */ }
  }
  return pids;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Take the machine-wide libvirtd lock (waits for another holder; breaks a stale one). */
async function acquireLock(timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(path.join(LOCK_DIR, 'owner'), String(process.pid));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try { owner = Number(readFileSync(path.join(LOCK_DIR, 'owner'), 'utf8')); } catch { /* being written */ }
      if (Number.isInteger(owner) && !isAlive(owner)) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another test holds ${LOCK_DIR} (pid ${owner}) for too long`);
      await sleep(250);
    }
  }
}

function releaseLock(): void {
  try {
    if (Number(readFileSync(path.join(LOCK_DIR, 'owner'), 'utf8')) === process.pid) rmSync(LOCK_DIR, { recursive: true, force: true });
  } catch { /* not ours / gone */ }
}

function domainXml(d: { name: string; uuid: string; image: string; tap: string | null; vcpus: number; log: string }): string {
  const nic = d.tap === null ? '' : `
    <interface type='ethernet'>
      <target dev='${d.tap}' managed='yes'/>
      <model type='virtio'/>
    </interface>`;
  return `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${d.name}</name>
  <uuid>${d.uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu placement='static'>${d.vcpus}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='threads'/>
      <source file='${d.image}'/>
      <target dev='vda' bus='virtio'/>
    </disk>${nic}
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-chardev'/>
    <qemu:arg value='file,id=vtdbg,path=${d.log}'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='isa-debugcon,iobase=0x402,chardev=vtdbg'/>
  </qemu:commandline>
</domain>
`;
}

export class LibvirtLab {
  readonly uri = LIBVIRT_URI;
  readonly lab = new Lab();
  daemonPid: number | null = null;
  private dir = '';
  readonly domains: LibvirtDomain[] = [];

  /** Set up the host, take the lock, start libvirtd and wait until it answers (≈ 4 s). */
  async start(): Promise<void> {
    setupLibvirtHost();
    await acquireLock();
    this.lab.defer(releaseLock);
    const others = Date.now() + 60_000;
    while (runningLibvirtd().length > 0) {
      if (Date.now() > others) throw new Error(`a libvirtd not started by virtune's tests is running (pids ${runningLibvirtd().join(',')})`);
      await sleep(250);
    }
    this.dir = this.lab.tmpdir('virtune-libvirt');
    const pidfile = path.join(this.dir, 'libvirtd.pid');
    this.lab.defer(removeMachineDirs); // runs after the daemon is gone (cleanups run last-in first-out)
    this.lab.defer(() => this.stopDaemon());
    execFileSync('libvirtd', ['-d', '-p', pidfile], { stdio: 'ignore', timeout: 30_000 });
    const deadline = Date.now() + 60_000;
    while (this.daemonPid === null) {
      if (existsSync(pidfile)) this.daemonPid = Number(readFileSync(pidfile, 'utf8').trim()) || null;
      if (Date.now() > deadline) throw new Error('libvirtd wrote no pidfile within 60 s (see /var/log/libvirt/libvirtd.log)');
      if (this.daemonPid === null) await sleep(50);
    }
    while (run(['virsh', '-c', LIBVIRT_URI, 'version'], 10_000).code !== 0) {
      if (Date.now() > deadline) throw new Error('libvirtd did not answer `virsh version` within 60 s');
      await sleep(100);
    }
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
    const pid = this.daemonPid;
    if (pid === null) return;
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
    const deadline = Date.now() + 10_000;
    while (isAlive(pid) && Date.now() < deadline) execFileSync('sleep', ['0.05']);
    if (isAlive(pid)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      while (isAlive(pid) && Date.now() < deadline + 3000) execFileSync('sleep', ['0.05']);
    }
    this.daemonPid = null;
  }

  async stop(): Promise<void> {
    await this.lab.cleanup();
  }
}

/** The per-VM dirs go away with the domain; the empty `machine` partitions stay: remove them. */
function removeMachineDirs(): void {
  for (const dir of MACHINE_DIRS) {
    if (!existsSync(dir)) continue;
    for (let i = 0; i < 40; i++) {
      try { rmdirSync(dir); break; } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || i === 39) throw new Error(`could not remove ${dir}: ${String(e)}`);
        execFileSync('sleep', ['0.05']);
      }
    }
  }
}

/** One libvirtd per test file: started in beforeAll, everything removed in afterAll (always). */
export function useLibvirt(): LibvirtLab {
  const lv = new LibvirtLab();
  beforeAll(async () => { await lv.start(); }, 120_000);
  afterAll(async () => { await lv.stop(); }, 60_000);
  return lv;
}
