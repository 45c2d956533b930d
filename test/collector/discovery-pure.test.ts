// Pure discovery pieces: cgroup layout detection (v2, v1 separate/co-mounted, hybrid), QEMU command
// lines (libvirt JSON netdevs, Proxmox, plain -qmp), and cgroup path classification (escaped scope names).
import { describe, expect, it } from 'vitest';
import { detectCgroupLayout, dirIn } from '../../src/collector/cgroup/layout.js';
import { classifyCgroupPath, splitMachineName, unescapeSystemd } from '../../src/collector/discovery/classify.js';
import { isQemuExecutable, parseKeyval, parseQemuCmdline } from '../../src/collector/discovery/cmdline.js';
import { parseMountinfo } from '../../src/collector/procfs/parse.js';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

describe('cgroup layout', () => {
  it('pure v2', () => {
    const l = detectCgroupLayout(parseMountinfo('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n'), 'cpuset cpu io memory pids\n');
    expect(l.version).toBe(2);
    expect(l.hybrid).toBe(false);
    expect(l.unified?.mountPoint).toBe('/sys/fs/cgroup');
  });
  it('hybrid with an empty cgroup2 (or only controllers not bound to v1, e.g. hugetlb) counts as v1', () => {
    for (const ctrls of ['', 'hugetlb\n']) {
      const l = detectCgroupLayout(parseMountinfo(HYBRID), ctrls);
      expect(l.version).toBe(1);
      expect(l.hybrid).toBe(true);
      expect(l.v1.get('cpu')?.mountPoint).toBe('/sys/fs/cgroup/cpu');
      expect(l.v1.get('name=systemd')?.mountPoint).toBe('/sys/fs/cgroup/systemd');
    }
  });
  it('v1 co-mounted cpu,cpuacct', () => {
    const l = detectCgroupLayout(parseMountinfo('34 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n'), null);
    expect(l.version).toBe(1);
    expect(l.v1.get('cpuacct')?.mountPoint).toBe('/sys/fs/cgroup/cpu,cpuacct');
  });
  it('no cgroup mounts: version null', () => {
    expect(detectCgroupLayout([], null).version).toBeNull();
  });
  it('dirIn honours the mount root (containers)', () => {
    expect(dirIn({ mountPoint: '/sys/fs/cgroup', root: '/' }, '/machine.slice/a.scope')).toBe('/sys/fs/cgroup/machine.slice/a.scope');
    expect(dirIn({ mountPoint: '/sys/fs/cgroup', root: '/' }, '/')).toBe('/sys/fs/cgroup');
    expect(dirIn({ mountPoint: '/sys/fs/cgroup', root: '/lxc/c1' }, '/lxc/c1/vm')).toBe('/sys/fs/cgroup/vm');
    expect(dirIn({ mountPoint: '/sys/fs/cgroup', root: '/lxc/c1' }, '/other')).toBeNull();
  });
});

describe('QEMU command line', () => {
  it('executables', () => {
    for (const e of ['/usr/bin/qemu-system-x86_64', 'qemu-system-aarch64', '/usr/libexec/qemu-kvm', '/usr/bin/kvm', '/usr/bin/qemu-system-x86_64 (deleted)']) {
      expect(isQemuExecutable(e)).toBe(true);
    }
    for (const e of ['/usr/bin/qemu-img', 'bash', 'kvmtool', '']) expect(isQemuExecutable(e)).toBe(false);
  });
  it('keyval: implied first value, ",," escapes a comma, boolean shorthand', () => {
    const k = parseKeyval('unix:/tmp/a,,b.sock,server,nowait');
    expect(k.implied).toBe('unix:/tmp/a,b.sock');
    expect(k.kv.get('server')).toBe('on');
  });
  it('libvirt: guest=NAME, -uuid, charmonitor (fd) is not a socket, JSON netdev/device', () => {
    const c = parseQemuCmdline(['/usr/bin/qemu-system-x86_64', '-name', 'guest=web_01.prod,debug-threads=on', '-uuid', 'C7A5FDBD-CDAF-9455-926A-D65C16DB1809',
      '-smp', '4,sockets=4,cores=1,threads=1', '-cpu', 'host,migratable=on',
      '-chardev', 'socket,id=charmonitor,fd=30,server=on,wait=off', '-mon', 'chardev=charmonitor,id=monitor,mode=control',
      '-netdev', '{"type":"tap","fds":"33:34","vhost":true,"id":"hostnet0"}',
      '-device', '{"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:AA:BB:01"}']);
    expect(c).toMatchObject({ name: 'web_01.prod', uuid: 'c7a5fdbd-cdaf-9455-926a-d65c16db1809', smp: 4, cpuModel: 'host', qmpSockets: [], libvirtHint: true });
    expect(c?.netdevs).toEqual([{ id: 'hostnet0', type: 'tap', ifname: null, fds: [33, 34], mac: '52:54:00:aa:bb:01' }]);
  });
  it('Proxmox: -id, plain -name, QMP chardev + control mon; the qmeventd client socket is not a QMP server', () => {
    const c = parseQemuCmdline(['/usr/bin/kvm', '-id', '100', '-name', 'vm100,debug-threads=on',
      '-chardev', 'socket,id=qmp,path=/var/run/qemu-server/100.qmp,server=on,wait=off', '-mon', 'chardev=qmp,mode=control',
      '-chardev', 'socket,id=qmp-event,path=/var/run/qmeventd.sock,reconnect=5', '-mon', 'chardev=qmp-event,mode=control',
      '-smbios', 'type=1,uuid=7d2f5a8e-1c3b-4d5e-9f60-718293a4b5c6', '-pidfile', '/var/run/qemu-server/100.pid',
      '-netdev', 'type=tap,id=net0,ifname=tap100i0,script=/x,vhost=on', '-device', 'virtio-net-pci,mac=BC:24:11:AA:BB:CC,netdev=net0']);
    expect(c).toMatchObject({ vmid: '100', name: 'vm100', uuid: '7d2f5a8e-1c3b-4d5e-9f60-718293a4b5c6', pidfile: '/var/run/qemu-server/100.pid' });
    expect(c?.qmpSockets).toEqual([{ path: '/var/run/qemu-server/100.qmp', via: 'chardev', chardevId: 'qmp' }]);
    expect(c?.netdevs[0]).toMatchObject({ ifname: 'tap100i0', mac: 'bc:24:11:aa:bb:cc' });
  });
  it('plain QEMU: -qmp unix: server sockets only; HMP -mon is not QMP; no -name', () => {
    const c = parseQemuCmdline(['qemu-system-x86_64', '-qmp', 'unix:/tmp/q.sock,server=on,wait=off', '-qmp', 'unix:/tmp/client.sock,server=off',
      '-chardev', 'socket,id=h,path=/tmp/hmp.sock,server=on', '-mon', 'chardev=h', '-smp', 'cpus=2']);
    expect(c?.qmpSockets.map((s) => s.path)).toEqual(['/tmp/q.sock']);
    expect(c?.name).toBeNull();
    expect(c?.smp).toBe(2);
  });
  it('not QEMU, and options without values at the end', () => {
    expect(parseQemuCmdline(['/bin/bash', '-c', 'x'])).toBeNull();
    expect(parseQemuCmdline([])).toBeNull();
    expect(parseQemuCmdline(['qemu-system-x86_64', '-name'])?.name).toBeNull();
  });
});

describe('cgroup path classification', () => {
  it('systemd escaping and machine names', () => {
    expect(unescapeSystemd('machine-qemu\\x2d1\\x2dweb01.scope')).toBe('machine-qemu-1-web01.scope');
    expect(splitMachineName('qemu-5-web01.prod')).toEqual({ id: '5', name: 'web01.prod' });
    expect(splitMachineName('qemu-embed-0a1b2c3d-1-labvm')).toEqual({ id: '1', name: 'labvm' });
  });
  it('libvirt v1 non-systemd: emulator stripped; partitions', () => {
    expect(classifyCgroupPath('/machine/qemu-1-vm1.libvirt-qemu/emulator')).toMatchObject({ guestPath: '/machine/qemu-1-vm1.libvirt-qemu', known: true, manager: 'libvirt', nameHint: 'vm1', domainId: '1' });
    expect(classifyCgroupPath('/machine/prod.partition/qemu-2-db.libvirt-qemu/vcpu0').guestPath).toBe('/machine/prod.partition/qemu-2-db.libvirt-qemu');
  });
  it('libvirt systemd with and without the nested libvirt/ group; custom partition slice', () => {
    const n = classifyCgroupPath('/machine.slice/machine-qemu\\x2d1\\x2dvm\\x2da.scope/libvirt/emulator');
    expect(n).toMatchObject({ guestPath: '/machine.slice/machine-qemu\\x2d1\\x2dvm\\x2da.scope', nestedPath: '/machine.slice/machine-qemu\\x2d1\\x2dvm\\x2da.scope/libvirt', manager: 'libvirt', nameHint: 'vm-a' });
    expect(classifyCgroupPath('/machine.slice/machine-qemu\\x2d1\\x2dvm.scope/emulator').nestedPath).toBeNull();
    expect(classifyCgroupPath('/machine.slice/machine-prod.slice/machine-qemu\\x2d3\\x2dapp.scope/libvirt').guestPath).toBe('/machine.slice/machine-prod.slice/machine-qemu\\x2d3\\x2dapp.scope');
  });
  it('Proxmox, systemd-run scopes, unknown and root', () => {
    expect(classifyCgroupPath('/qemu.slice/100.scope')).toMatchObject({ manager: 'proxmox', vmid: '100', known: true });
    expect(classifyCgroupPath('/machine.slice/vm1.scope')).toMatchObject({ manager: null, nameHint: 'vm1', known: true });
    expect(classifyCgroupPath('/machine.slice/run-u42.scope').nameHint).toBeNull();
    expect(classifyCgroupPath('/user.slice/user-1000.slice/session-3.scope')).toMatchObject({ known: false, guestPath: '/user.slice/user-1000.slice/session-3.scope' });
    expect(classifyCgroupPath('/')).toMatchObject({ known: false, guestPath: '/' });
  });
});
