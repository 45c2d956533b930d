// Owns running a real libvirtd on this machine for the bench and the real tests (lab.md section 5):
// the idempotent host setup (libvirt-qemu user, runtime dirs, /etc/libvirt/qemu.conf that keeps
// libvirt out of the `memory` controller), the machine-wide lock (only one libvirtd can own
// /run/libvirt; `mkdir` is atomic), `libvirtd -d -p PIDFILE` started and stopped by pid, the XML of a
// tiny TCG domain, and removing the empty `machine` cgroup partitions libvirtd leaves behind.
// test/helpers/libvirt.ts builds its vitest fixture on these.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

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

export function run(argv: string[], timeoutMs = 30_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** virsh against the test daemon; throws with virsh's message on failure. */
export function virsh(...args: string[]): string {
  const r = run(['virsh', '-c', LIBVIRT_URI, ...args]);
  if (r.code !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  return dirs.some((d) => d && existsSync(path.join(d, cmd)));
}

/** Users, groups, directories and qemu.conf of lab.md section 5; each step only when missing. */
export function setupLibvirtHost(): void {
  for (const cmd of ['libvirtd', 'virsh', 'qemu-system-x86_64']) {
    if (!onPath(cmd)) throw new Error(`this needs '${cmd}' (install it: see .ci/run)`);
  }
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

export function runningLibvirtd(): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'libvirtd' && pidAlive(Number(e))) pids.push(Number(e));
    } catch { /* gone */ }
  }
  return pids;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Take the machine-wide libvirtd lock (waits for another holder; breaks a stale one). */
export async function acquireLibvirtLock(timeoutMs = 300_000): Promise<void> {
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
      if (Number.isInteger(owner) && !pidAlive(owner)) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another test holds ${LOCK_DIR} (pid ${owner}) for too long`);
      await sleep(250);
    }
  }
}

export function releaseLibvirtLock(): void {
  try {
    if (Number(readFileSync(path.join(LOCK_DIR, 'owner'), 'utf8')) === process.pid) rmSync(LOCK_DIR, { recursive: true, force: true });
  } catch { /* not ours / gone */ }
}

/** Start `libvirtd -d -p DIR/libvirtd.pid` (none other may run) and wait until it answers; its pid. */
export async function startLibvirtd(dir: string): Promise<number> {
  const others = Date.now() + 60_000;
  while (runningLibvirtd().length > 0) {
    if (Date.now() > others) throw new Error(`a libvirtd not started by virtune's tests is running (pids ${runningLibvirtd().join(',')})`);
    await sleep(250);
  }
  const pidfile = path.join(dir, 'libvirtd.pid');
  execFileSync('libvirtd', ['-d', '-p', pidfile], { stdio: 'ignore', timeout: 30_000 });
  const deadline = Date.now() + 60_000;
  let pid: number | null = null;
  while (pid === null) {
    if (existsSync(pidfile)) pid = Number(readFileSync(pidfile, 'utf8').trim()) || null;
    if (Date.now() > deadline) throw new Error('libvirtd wrote no pidfile within 60 s (see /var/log/libvirt/libvirtd.log)');
    if (pid === null) await sleep(50);
  }
  while (run(['virsh', '-c', LIBVIRT_URI, 'version'], 10_000).code !== 0) {
    if (Date.now() > deadline) throw new Error('libvirtd did not answer `virsh version` within 60 s');
    await sleep(100);
  }
  return pid;
}

/** SIGTERM, then SIGKILL after 10 s; returns when the daemon is gone. */
export function stopLibvirtd(pid: number): void {
  try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  const deadline = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < deadline) execFileSync('sleep', ['0.05']);
  if (pidAlive(pid)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    while (pidAlive(pid) && Date.now() < deadline + 3000) execFileSync('sleep', ['0.05']);
  }
}

/** The XML of a tiny TCG domain: 64 MiB, one raw disk `vda`, an optional ethernet tap, the boot log on isa-debugcon. */
export function domainXml(d: { name: string; uuid: string; image: string; tap: string | null; vcpus: number; log: string }): string {
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

/** The per-VM dirs go away with the domain; the empty `machine` partitions stay: remove them. */
export function removeMachineDirs(): void {
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
