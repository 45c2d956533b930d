// Owns the static files of one demo guest, written once: the libvirt systemd cgroup layout
// (scope, nested libvirt/ domain-threaded group, threaded vcpuN/ and emulator/ groups) with every
// control file a tuner may write, the QEMU process (cmdline as libvirt builds it, fds with tap
// `iff:`, threads named `CPU N/KVM`), libvirt's pidfile and status XML, the tap and the dm disks.

import { formatControl, DOMAIN_CONTROLS, THREAD_CONTROLS, type CgControls } from './controls.js';
import { threadsOf, type GuestPaths } from './paths.js';
import { psiText } from './render-guest.js';
import { DM_MAJOR, QMP_DIR, type GuestSpec } from './spec.js';
import { newPsi, type GuestState } from './state.js';
import type { TreeWriter } from './writer.js';

export function qemuArgv(s: GuestSpec, qmp: boolean): string[] {
  const mib = s.ramBytes / 1024 / 1024;
  const ram = s.hugepages
    ? `{"qom-type":"memory-backend-file","id":"pc.ram","mem-path":"/dev/hugepages/libvirt/qemu/${s.domId}-${s.name}","x-use-canonical-path-for-ramblock-id":false,"prealloc":true,"size":${s.ramBytes}}`
    : `{"qom-type":"memory-backend-ram","id":"pc.ram","size":${s.ramBytes}}`;
  const argv = [
    '/usr/bin/qemu-system-x86_64',
    '-name', `guest=${s.name},debug-threads=on`,
    '-S',
    '-object', `{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-${s.domId}-${s.name}/master-key.aes"}`,
    '-machine', 'pc-q35-8.2,usb=off,vmport=off,dump-guest-core=off,memory-backend=pc.ram,hpet=off,acpi=on',
    '-accel', 'kvm',
    '-cpu', 'host,migratable=on',
    '-m', `size=${mib * 1024}k`,
    '-object', ram,
    '-overcommit', 'mem-lock=off',
    '-smp', `${s.tids.vcpus.length},sockets=${s.tids.vcpus.length},cores=1,threads=1`,
    '-uuid', s.uuid,
    '-no-user-config', '-nodefaults',
    '-chardev', `socket,id=charmonitor,fd=${s.monitorFd},server=on,wait=off`,
    '-mon', 'chardev=charmonitor,id=monitor,mode=control',
    '-rtc', 'base=utc,driftfix=slew', '-global', 'kvm-pit.lost_tick_policy=delay',
    '-no-shutdown', '-boot', 'strict=on',
  ];
  for (const d of s.disks) {
    argv.push('-blockdev', `{"driver":"host_device","filename":"${d.lvPath}","node-name":"${d.nodeStorage}","auto-read-only":true,"discard":"unmap","cache":{"direct":true,"no-flush":false}}`);
    argv.push('-blockdev', `{"node-name":"${d.nodeFormat}","read-only":false,"discard":"unmap","cache":{"direct":true,"no-flush":false},"driver":"raw","file":"${d.nodeStorage}"}`);
    argv.push('-device', `{"driver":"virtio-blk-pci","bus":"pci.${3 + s.disks.indexOf(d)}","addr":"0x0","drive":"${d.nodeFormat}","id":"${d.alias}"${d.alias === 'virtio-disk0' ? ',"bootindex":1' : ''},"write-cache":"on"}`);
  }
  argv.push('-netdev', `{"type":"tap","fd":"${s.nic.tapFd}","vhost":true,"vhostfd":"${s.nic.vhostFd}","id":"${s.nic.netdev}"}`);
  argv.push('-device', `{"driver":"virtio-net-pci","netdev":"${s.nic.netdev}","id":"${s.nic.alias}","mac":"${s.nic.mac}","bus":"pci.1","addr":"0x0"}`);
  argv.push('-device', '{"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.5","addr":"0x0"}');
  if (qmp) argv.push('-qmp', `unix:${s.qmpPath},server=on,wait=off`);
  argv.push('-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny', '-msg', 'timestamp=on');
  return argv;
}

/** Core files of every cgroup level; the full interface set only where `full` (the scope). */
function cgroupCommon(w: TreeWriter, dir: string, type: string, controllers: string, subtree: string, full: boolean): void {
  w.create(`${dir}/cgroup.type`, `${type}\n`);
  w.create(`${dir}/cgroup.controllers`, `${controllers}\n`);
  w.create(`${dir}/cgroup.subtree_control`, subtree ? `${subtree}\n` : '\n');
  w.create(`${dir}/cgroup.events`, 'populated 1\nfrozen 0\n');
  w.create(`${dir}/cpu.max.burst`, '0\n');
  if (!full) return;
  w.create(`${dir}/cgroup.freeze`, '0\n');
  w.create(`${dir}/cgroup.max.depth`, 'max\n');
  w.create(`${dir}/cgroup.max.descendants`, 'max\n');
  w.create(`${dir}/cgroup.pressure`, '1\n');
  w.create(`${dir}/cpu.weight.nice`, '0\n');
  w.create(`${dir}/cpu.idle`, '0\n');
  w.create(`${dir}/cpu.uclamp.min`, '0.00\n');
  w.create(`${dir}/cpu.uclamp.max`, 'max\n');
  w.create(`${dir}/cpuset.cpus.partition`, 'member\n');
}

/** The scope's memory/io/hugetlb/pids interface files beyond the counters rewritten each step. */
function domainExtras(w: TreeWriter, dir: string): void {
  const files: Record<string, string> = {
    'cgroup.stat': 'nr_descendants 6\nnr_dying_descendants 0\n',
    'io.weight': 'default 100\n', 'memory.min': '0\n', 'memory.low': '0\n', 'memory.oom.group': '0\n',
    'memory.swap.current': '0\n', 'memory.swap.max': 'max\n', 'memory.swap.high': 'max\n',
    'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.events': 'max 0\n', 'hugetlb.2MB.rsvd.current': '0\n',
    'hugetlb.1GB.current': '0\n', 'hugetlb.1GB.max': 'max\n',
    'pids.current': '6\n', 'pids.max': 'max\n',
  };
  for (const [f, c] of Object.entries(files)) w.create(`${dir}/${f}`, c);
}

function controlFiles(w: TreeWriter, dir: string, c: CgControls, domain: boolean): void {
  for (const f of domain ? DOMAIN_CONTROLS : THREAD_CONTROLS) w.create(`${dir}/${f}`, formatControl(c, f));
}

export function writeGuestStatic(w: TreeWriter, g: GuestState, p: GuestPaths, qmp: boolean): void {
  const s = g.spec;
  // cgroups
  cgroupCommon(w, p.scope, 'domain', 'cpuset cpu io memory hugetlb pids', 'cpuset cpu io memory hugetlb pids', true);
  domainExtras(w, p.scope);
  controlFiles(w, p.scope, g.ctl.scope, true);
  w.create(`${p.scope}/cgroup.procs`, '');
  w.create(`${p.scope}/cgroup.threads`, '');
  cgroupCommon(w, p.libvirt, 'domain threaded', 'cpuset cpu io memory hugetlb pids', 'cpuset cpu', false);
  controlFiles(w, p.libvirt, g.ctl.libvirt, true);
  w.create(`${p.libvirt}/cgroup.procs`, `${s.pid}\n`);
  w.create(`${p.libvirt}/cgroup.threads`, '');
  const threads = threadsOf(s, p);
  const idle = psiText(newPsi());
  p.vcpu.forEach((dir, i) => {
    cgroupCommon(w, dir, 'threaded', 'cpuset cpu', '', false);
    controlFiles(w, dir, g.ctl.vcpu[i] as CgControls, false);
    w.create(`${dir}/cgroup.threads`, `${s.tids.vcpus[i]}\n`);
    w.create(`${dir}/cpu.pressure`, idle);
  });
  cgroupCommon(w, p.emulator, 'threaded', 'cpuset cpu', '', false);
  controlFiles(w, p.emulator, g.ctl.emulator, false);
  w.create(`${p.emulator}/cgroup.threads`, threads.filter((t) => t.kind !== 'vcpu').map((t) => `${t.tid}\n`).join(''));
  w.create(`${p.emulator}/cpu.pressure`, idle);

  // the QEMU process
  w.create(`${p.proc}/cmdline`, qemuArgv(s, qmp).join('\0') + '\0');
  w.create(`${p.proc}/comm`, 'qemu-system-x86\n');
  w.symlink(`${p.proc}/exe`, '/usr/bin/qemu-system-x86_64');
  w.create(`${p.proc}/cgroup`, `0::${threads[0]!.cgroup}\n`);
  w.create(`${p.proc}/oom_score_adj`, '0\n');
  w.create(`${p.proc}/environ`, 'LC_ALL=C\0PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\0');
  const fds: Array<[number, string, string]> = [
    [0, '/dev/null', ''], [1, `/var/log/libvirt/qemu/${s.name}.log`, ''], [2, `/var/log/libvirt/qemu/${s.name}.log`, ''],
    [s.monitorFd, `socket:[${900000 + s.index * 8}]`, ''],
    [s.nic.tapFd, '/dev/net/tun', `iff:\t${s.nic.ifname}\n`],
    [s.nic.vhostFd, '/dev/vhost-net', ''],
    ...s.disks.map((d): [number, string, string] => [d.fd, `/dev/${d.dmName}`, '']),
  ];
  for (const [fd, target, extra] of fds) {
    w.symlink(`${p.proc}/fd/${fd}`, target);
    w.create(`${p.proc}/fdinfo/${fd}`, `pos:\t0\nflags:\t0${fd === s.nic.tapFd ? '104002' : '2100002'}\nmnt_id:\t${fd === s.nic.tapFd ? 26 : 15}\nino:\t${1000 + fd}\n${extra}`);
  }
  for (const t of threads) {
    const tdir = `${p.proc}/task/${t.tid}`;
    w.create(`${tdir}/comm`, `${t.comm}\n`);
    w.create(`${tdir}/cgroup`, `0::${t.cgroup}\n`);
  }

  // libvirt runtime state
  w.create(`/run/libvirt/qemu/${s.name}.pid`, String(s.pid));
  const vcpuXml = s.tids.vcpus.map((tid, i) => `    <vcpu id='${i}' pid='${tid}'/>\n`).join('');
  w.create(`/run/libvirt/qemu/${s.name}.xml`,
    `<!-- virtune demo host: simulated libvirt status -->\n<domstatus state='running' reason='booted' pid='${s.pid}'>\n`
    + `  <monitor path='/var/lib/libvirt/qemu/domain-${s.domId}-${s.name}/monitor.sock' type='unix'/>\n  <vcpus>\n${vcpuXml}  </vcpus>\n`
    + `  <domain type='kvm' id='${s.domId}'>\n    <name>${s.name}</name>\n    <uuid>${s.uuid}</uuid>\n`
    + `    <memory unit='KiB'>${s.ramBytes / 1024}</memory>\n    <vcpu placement='static'>${s.tids.vcpus.length}</vcpu>\n`
    + (s.hugepages ? `    <memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>\n` : '')
    + `    <resource><partition>/machine</partition></resource>\n    <devices>\n`
    + s.disks.map((d) => `      <disk type='block' device='disk'><source dev='${d.lvPath}'/><target dev='${d.target}' bus='virtio'/><alias name='${d.alias}'/></disk>\n`).join('')
    + `      <interface type='bridge'><mac address='${s.nic.mac}'/><source bridge='virbr0'/><target dev='${s.nic.ifname}'/><model type='virtio'/><alias name='${s.nic.alias}'/></interface>\n`
    + `    </devices>\n  </domain>\n</domstatus>\n`);
  if (s.hugepages) w.mkdir(`/dev/hugepages/libvirt/qemu/${s.domId}-${s.name}`);
  if (qmp) w.mkdir(QMP_DIR);

  // the tap
  const n = `/sys/class/net/${s.nic.ifname}`;
  const netFiles: Record<string, string> = {
    address: `fe:54:00:${s.nic.mac.slice(9)}\n`, mtu: '1500\n', operstate: 'unknown\n', carrier: '1\n', ifindex: `${s.nic.ifindex}\n`,
    type: '1\n', tun_flags: '0x5002\n',
  };
  for (const [f, c] of Object.entries(netFiles)) w.create(`${n}/${f}`, c);
  for (const f of ['rx_dropped', 'rx_errors', 'tx_errors', 'multicast', 'collisions']) {
    w.create(`${n}/statistics/${f}`, '0\n');
  }

  // the dm disks behind the guest's virtio disks
  for (const d of s.disks) {
    const dev = `/sys/devices/virtual/block/${d.dmName}`;
    w.create(`${dev}/uevent`, `MAJOR=${DM_MAJOR}\nMINOR=${d.dmMinor}\nDEVNAME=${d.dmName}\nDEVTYPE=disk\nDISKSEQ=${100 + d.dmMinor}\n`);
    w.create(`${dev}/dev`, `${d.majMin}\n`);
    w.create(`${dev}/size`, `${d.sizeBytes / 512}\n`);
    w.create(`${dev}/dm/name`, `vg0-${s.name.replace(/-/g, '--')}--${d.target}\n`);
    w.symlink(`/sys/dev/block/${d.majMin}`, `../../devices/virtual/block/${d.dmName}`);
    w.symlink(`/sys/block/${d.dmName}`, `../devices/virtual/block/${d.dmName}`);
    w.symlink(`/sys/class/block/${d.dmName}`, `../../devices/virtual/block/${d.dmName}`);
  }
}
