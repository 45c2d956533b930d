// The demo host's simulated tree (cgroup v2 libvirt/systemd layout, procfs, sysfs, 2 NUMA nodes):
// files exist where the reference says and have the kernel's formats; the real NodeHostFs reads it.
import { lstatSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoHost, type DemoHost } from '../../src/demo/host.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { flat, nested, read, scopeOf } from './helpers.js';

describe('demo host tree (simulated host)', () => {
  let demo: DemoHost | null = null;
  afterEach(async () => { await demo?.stop(); demo = null; });

  it('lays out a pure cgroup v2 host marked as demo, with 2 NUMA nodes, KSM and hugepages', async () => {
    demo = await startDemoHost({ guests: 6, manual: true, qmp: false });
    const r = demo.root;
    const mi = read(r, '/proc/self/mountinfo');
    expect(mi).toMatch(/ \/sys\/fs\/cgroup \S+ .* - cgroup2 cgroup2 /);
    expect(mi).not.toMatch(/ - cgroup /);
    expect(read(r, '/sys/fs/cgroup/cgroup.controllers').trim().split(' ')).toEqual(expect.arrayContaining(['cpu', 'cpuset', 'io', 'memory', 'hugetlb']));
    expect(read(r, '/proc/sys/kernel/hostname')).toBe('demo-host\n');
    expect(read(r, '/proc/sys/kernel/osrelease')).toMatch(/demo/);
    expect(read(r, '/sys/devices/system/node/online')).toBe('0-1\n');
    expect(read(r, '/sys/devices/system/node/node0/cpulist')).toBe('0-7\n');
    expect(read(r, '/sys/devices/system/node/node1/cpulist')).toBe('8-15\n');
    expect(read(r, '/sys/devices/system/node/node1/distance')).toBe('21 10\n');
    expect(read(r, '/sys/devices/system/cpu/online')).toBe('0-15\n');
    // /proc/stat: aggregate plus one line per CPU, 10 numeric fields
    const cpuLines = read(r, '/proc/stat').split('\n').filter((l) => /^cpu\d+ /.test(l));
    expect(cpuLines).toHaveLength(16);
    for (const l of cpuLines) expect(l.split(' ').slice(1).every((x) => /^\d+$/.test(x))).toBe(true);
    const meminfo = read(r, '/proc/meminfo');
    expect(meminfo).toMatch(/^MemTotal: +67108864 kB$/m);
    expect(meminfo).toMatch(/^HugePages_Total: +\d+$/m);
    expect(read(r, '/sys/devices/system/node/node0/meminfo')).toMatch(/^Node 0 MemFree: +\d+ kB$/m);
    // KSM running with savings; 2M pool partly used by the hugepage-backed guest (db-04)
    expect(read(r, '/sys/kernel/mm/ksm/run')).toBe('1\n');
    expect(Number(read(r, '/sys/kernel/mm/ksm/pages_sharing'))).toBeGreaterThan(0);
    const nr = Number(read(r, '/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages'));
    const free = Number(read(r, '/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages'));
    expect(free).toBeGreaterThan(0);
    expect(nr - free).toBe(2048); // db-04: 4 GiB of 2M pages
    expect(read(r, '/sys/kernel/mm/transparent_hugepage/enabled')).toBe('always [madvise] never\n');
    for (const f of ['cpu', 'io', 'memory']) {
      expect(read(r, `/proc/pressure/${f}`)).toMatch(/^some avg10=\d+\.\d\d avg60=\d+\.\d\d avg300=\d+\.\d\d total=\d+\n/);
    }
  });

  it('writes each guest as libvirt does under systemd: escaped scope, nested libvirt/ with threaded vcpuN/emulator', async () => {
    demo = await startDemoHost({ guests: 6, manual: true, qmp: false });
    const r = demo.root;
    expect(demo.guests.map((g) => g.id)).toEqual(['libvirt:web-01', 'libvirt:batch-02', 'libvirt:idle-03', 'libvirt:db-04', 'libvirt:proxy-05', 'libvirt:cache-06']);
    const g = demo.guests[0]!;
    const scope = scopeOf(r, g.name);
    expect(scope).toBe('/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb\\x2d01.scope');
    expect(read(r, `${scope}/cgroup.type`)).toBe('domain\n');
    expect(read(r, `${scope}/cgroup.procs`)).toBe('');
    expect(read(r, `${scope}/libvirt/cgroup.type`)).toBe('domain threaded\n');
    expect(read(r, `${scope}/libvirt/cgroup.procs`)).toBe(`${g.pid}\n`);
    for (let v = 0; v < 4; v++) {
      expect(read(r, `${scope}/libvirt/vcpu${v}/cgroup.type`)).toBe('threaded\n');
      expect(read(r, `${scope}/libvirt/vcpu${v}/cgroup.threads`)).toBe(`${g.pid + 3 + v}\n`);
    }
    expect(read(r, `${scope}/libvirt/emulator/cgroup.threads`)).toContain(`${g.pid}\n`);
    expect(Object.keys(flat(read(r, `${scope}/cpu.stat`)))).toEqual(expect.arrayContaining(['usage_usec', 'user_usec', 'system_usec', 'nr_periods', 'nr_throttled', 'throttled_usec']));
    expect(read(r, `${scope}/cpu.max`)).toBe('max 100000\n');
    expect(read(r, `${scope}/cpu.weight`)).toBe('100\n');
    expect(read(r, `${scope}/cpuset.cpus`)).toBe('\n');
    expect(read(r, `${scope}/cpuset.cpus.effective`)).toBe('0-15\n');
    expect(read(r, `${scope}/cpuset.mems.effective`)).toBe('0-1\n');
    expect(read(r, `${scope}/memory.max`)).toBe('max\n');
    expect(read(r, `${scope}/io.max`)).toBe('');
    const io = nested(read(r, `${scope}/io.stat`));
    expect(Object.keys(io).sort()).toEqual(['253:0', '253:1']);
    expect(Object.keys(io['253:0']!)).toEqual(['rbytes', 'wbytes', 'rios', 'wios', 'dbytes', 'dios']);
    expect(read(r, `${scope}/memory.numa_stat`)).toMatch(/^anon N0=\d+ N1=\d+$/m);
    expect(Number(read(r, `${scope}/memory.current`))).toBeGreaterThan(1024 ** 3);
    expect(read(r, `${scope}/cpu.pressure`)).toMatch(/^some avg10=.* total=\d+\nfull avg10=.* total=\d+\n$/);
    // hugepage-backed guest: RAM in hugetlb, not in memory.current
    const db = scopeOf(r, 'db-04');
    expect(Number(read(r, `${db}/hugetlb.2MB.current`))).toBe(4 * 1024 ** 3);
    expect(Number(read(r, `${db}/memory.current`))).toBeLessThan(1024 ** 3);
    // the dm disks behind the guest
    expect(readlinkSync(`${r}/sys/dev/block/253:0`)).toBe('../../devices/virtual/block/dm-0');
    expect(read(r, '/sys/dev/block/253:0/uevent')).toMatch(/^DEVNAME=dm-0$/m);
  });

  it('writes the QEMU process as libvirt starts it: cmdline, threads named CPU N/KVM, tap fd with iff:, pidfile', async () => {
    demo = await startDemoHost({ guests: 3, manual: true, qmp: true });
    const r = demo.root;
    const g = demo.guests[1]!;
    const argv = read(r, `/proc/${g.pid}/cmdline`).split('\0');
    expect(argv.at(-1)).toBe('');
    expect(argv[0]).toBe('/usr/bin/qemu-system-x86_64');
    expect(argv[argv.indexOf('-name') + 1]).toBe(`guest=${g.name},debug-threads=on`);
    expect(argv[argv.indexOf('-smp') + 1]).toMatch(/^4,/);
    expect(argv[argv.indexOf('-uuid') + 1]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const qmpArg = argv[argv.indexOf('-qmp') + 1]!;
    expect(qmpArg).toBe(`unix:/var/lib/virtune-demo/${g.name}.qmp,server=on,wait=off`);
    expect(r + '/var/lib/virtune-demo/' + g.name + '.qmp').toBe(g.qmpSocket);
    expect(lstatSync(g.qmpSocket).isSocket()).toBe(true);
    expect(read(r, `/run/libvirt/qemu/${g.name}.pid`)).toBe(String(g.pid));
    const tid = g.pid + 3;
    expect(read(r, `/proc/${g.pid}/task/${tid}/comm`)).toBe('CPU 0/KVM\n');
    const stat = read(r, `/proc/${g.pid}/task/${tid}/stat`);
    const after = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
    expect(after[36]).toMatch(/^\d+$/);            // field 39: processor
    expect(Number(after[11])).toBeGreaterThan(0);  // utime
    expect(read(r, `/proc/${g.pid}/task/${tid}/schedstat`)).toMatch(/^\d+ \d+ \d+\n$/);
    expect(read(r, `/proc/${g.pid}/task/${tid}/status`)).toMatch(/^Cpus_allowed_list:\t0-15$/m);
    expect(read(r, `/proc/${g.pid}/fdinfo/34`)).toMatch(/^iff:\tvnet1$/m);
    expect(readlinkSync(`${r}/proc/${g.pid}/fd/34`)).toBe('/dev/net/tun');
    expect(read(r, `/proc/${g.pid}/ksm_stat`)).toMatch(/^ksm_merging_pages \d+\nksm_process_profit -?\d+\nksm_merge_any: no\nksm_mergeable: yes\n$/m);
    expect(read(r, `/proc/${g.pid}/numa_maps`)).toMatch(/ anon=\d+ dirty=\d+ active=0 N0=\d+ N1=\d+ kernelpagesize_kB=4$/m);
    expect(read(r, `/proc/${g.pid}/status`)).toMatch(/^Threads:\t6$/m);
    expect(Number(read(r, '/sys/class/net/vnet1/statistics/rx_bytes'))).toBeGreaterThan(0);
  });

  it('is readable through the real NodeHostFs adapter, including cached positional re-reads after a step', async () => {
    demo = await startDemoHost({ guests: 2, manual: true, qmp: false });
    const fs = new NodeHostFs(demo.root);
    try {
      const scope = scopeOf(demo.root, 'web-01');
      const before = flat(fs.readCached(`${scope}/cpu.stat`)).usage_usec as number;
      demo.advance(1000);
      const after = flat(fs.readCached(`${scope}/cpu.stat`)).usage_usec as number;
      expect(after).toBeGreaterThan(before);
      expect(fs.readDir('/proc').filter((d) => /^\d+$/.test(d)).map(Number)).toEqual(expect.arrayContaining(demo.guests.map((g) => g.pid)));
      expect(fs.readLink('/sys/dev/block/253:1')).toBe('../../devices/virtual/block/dm-1');
    } finally {
      fs.close();
    }
  });
});
