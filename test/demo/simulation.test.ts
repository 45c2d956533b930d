// The demo host's simulation: counters move consistently with advance(), the profiles differ, the
// run is deterministic per seed, and tuning writes into the tree (through the real NodeHostFs, as
// the tuner writes) change what the simulated guests get.
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoHost, type DemoHost } from '../../src/demo/host.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { APPENDED_CONTROLS } from '../../src/demo/controls.js';
import { flat, nested, read, scopeOf, usageUsec } from './helpers.js';

function cpuTimes(root: string): number[][] {
  return read(root, '/proc/stat').split('\n').filter((l) => /^cpu\d+ /.test(l)).map((l) => l.split(' ').slice(1).map(Number));
}

describe('demo host simulation (simulated host)', () => {
  const demos: DemoHost[] = [];
  const fss: NodeHostFs[] = [];
  afterEach(async () => {
    for (const f of fss.splice(0)) f.close();
    for (const d of demos.splice(0)) await d.stop();
  });
  async function start(guests = 8, seed = 7): Promise<{ d: DemoHost; fs: NodeHostFs }> {
    const d = await startDemoHost({ guests, seed, manual: true, qmp: false });
    demos.push(d);
    // the demo tree is a simulated kernel: written as the CLI's demo engine writes it
    const fs = new NodeHostFs(d.root, { inPlaceWrites: true, appendedFiles: APPENDED_CONTROLS });
    fss.push(fs);
    return { d, fs };
  }

  it('advances CPU, per-vCPU schedstat, /proc/stat, io.stat, tap counters and memory consistently', async () => {
    const { d } = await start();
    const r = d.root;
    const web = scopeOf(r, 'web-01');
    const g = d.guests[0]!;
    const u0 = usageUsec(r, web);
    const v0 = [0, 1, 2, 3].map((v) => usageUsec(r, `${web}/libvirt/vcpu${v}`));
    const e0 = usageUsec(r, `${web}/libvirt/emulator`);
    const run0 = read(r, `/proc/${g.pid}/task/${g.pid + 3}/schedstat`).split(' ').map(Number);
    const t0 = cpuTimes(r);
    const io0 = nested(read(r, `${web}/io.stat`));
    const cache = scopeOf(r, 'cache-06');
    const m0 = Number(read(r, `${cache}/memory.current`));
    d.advance(4000);
    const du = usageUsec(r, web) - u0;
    // steady profile: 4 vCPUs at ~55 % each, plus the emulator
    expect(du).toBeGreaterThan(4 * 0.4 * 4e6);
    expect(du).toBeLessThan(4 * 0.75 * 4e6);
    const dv = [0, 1, 2, 3].map((v) => usageUsec(r, `${web}/libvirt/vcpu${v}`) - (v0[v] as number));
    const de = usageUsec(r, `${web}/libvirt/emulator`) - e0;
    expect(Math.abs(dv.reduce((a, b) => a + b, 0) + de - du)).toBeLessThanOrEqual(6); // sum of vCPUs + emulator (µs rounding)
    const run1 = read(r, `/proc/${g.pid}/task/${g.pid + 3}/schedstat`).split(' ').map(Number);
    expect(((run1[0] as number) - (run0[0] as number)) / 1000).toBeCloseTo(dv[0] as number, -2);
    // every CPU accounted 4 s = 400 ticks (user+nice+system+idle+iowait+irq+softirq+steal)
    const t1 = cpuTimes(r);
    t1.forEach((row, c) => {
      const d0 = row.slice(0, 8).reduce((a, b) => a + b, 0) - (t0[c] as number[]).slice(0, 8).reduce((a, b) => a + b, 0);
      expect(d0).toBeGreaterThanOrEqual(396);
      expect(d0).toBeLessThanOrEqual(404);
    });
    const io1 = nested(read(r, `${web}/io.stat`));
    expect(Number(io1['253:1']!.rios) - Number(io0['253:1']!.rios)).toBeGreaterThan(100);
    expect(Number(io1['253:1']!.rbytes)).toBeGreaterThan(Number(io0['253:1']!.rbytes));
    expect(Number(read(r, `${cache}/memory.current`))).toBeGreaterThan(m0); // memory-hungry grows
  });

  it('keeps the tap direction inverted: a network-heavy guest sends more than it receives, so tap rx > tap tx', async () => {
    const { d } = await start();
    const net = '/sys/class/net/vnet4/statistics';
    const rx0 = Number(read(d.root, `${net}/rx_bytes`)); const tx0 = Number(read(d.root, `${net}/tx_bytes`));
    d.advance(3000);
    const guestTx = Number(read(d.root, `${net}/rx_bytes`)) - rx0;
    const guestRx = Number(read(d.root, `${net}/tx_bytes`)) - tx0;
    expect(guestRx).toBeGreaterThan(3 * 20e6);
    expect(guestTx).toBeGreaterThan(guestRx);
  });

  it('is deterministic for a seed', async () => {
    const a = await start(6, 42); const b = await start(6, 42);
    a.d.advance(2500); b.d.advance(2500);
    for (const name of ['web-01', 'batch-02', 'db-04']) {
      expect(read(a.d.root, `${scopeOf(a.d.root, name)}/cpu.stat`)).toBe(read(b.d.root, `${scopeOf(b.d.root, name)}/cpu.stat`));
      expect(read(a.d.root, `${scopeOf(a.d.root, name)}/io.stat`)).toBe(read(b.d.root, `${scopeOf(b.d.root, name)}/io.stat`));
    }
  });

  it('caps a guest at the quota written to cpu.max and counts throttling', async () => {
    const { d, fs } = await start();
    const r = d.root;
    const web = scopeOf(r, 'web-01');
    fs.writeText(`${web}/cpu.max`, '50000 100000');
    d.advance(1000);
    const u0 = usageUsec(r, web); const s0 = flat(read(r, `${web}/cpu.stat`));
    d.advance(5000);
    const s1 = flat(read(r, `${web}/cpu.stat`));
    expect(usageUsec(r, web) - u0).toBeLessThanOrEqual(0.5 * 5e6 + 1);
    expect(usageUsec(r, web) - u0).toBeGreaterThan(0.45 * 5e6);
    expect((s1.nr_throttled as number) - (s0.nr_throttled as number)).toBeGreaterThanOrEqual(45);
    expect((s1.nr_periods as number) - (s0.nr_periods as number)).toBeGreaterThanOrEqual(45);
    expect((s1.throttled_usec as number) - (s0.throttled_usec as number)).toBeGreaterThan(0);
    // writing only the quota keeps the period, as the kernel does; `max` lifts the cap
    fs.writeText(`${web}/cpu.max`, 'max');
    d.advance(1000);
    expect(read(r, `${web}/cpu.max`)).toBe('max 100000\n');
    const u1 = usageUsec(r, web);
    d.advance(2000);
    expect(usageUsec(r, web) - u1).toBeGreaterThan(2 * 1.5e6);
  });

  it('counts a period as throttled only when the group used its whole quota in it (proxy-05, 80 % quota, alone and crowded)', async () => {
    const { d, fs } = await start();
    const r = d.root;
    const proxy = scopeOf(r, 'proxy-05'); // the cpu-quota scenario: 80 % of a CPU, wants ~1.4 CPUs
    expect(read(r, `${proxy}/cpu.max`)).toBe('80000 100000\n');
    const window = (ms: number) => {
      const s0 = flat(read(r, `${proxy}/cpu.stat`));
      d.advance(ms);
      const s1 = flat(read(r, `${proxy}/cpu.stat`));
      const dd = (k: string) => (s1[k] as number) - (s0[k] as number);
      return { usage: dd('usage_usec'), periods: dd('nr_periods'), throttled: dd('nr_throttled') };
    };
    d.advance(1000);
    // alone on its CPUs it runs its quota and is throttled in (nearly) every period
    const alone = window(10_000);
    expect(alone.usage).toBeGreaterThan(0.78 * 10e6);
    expect(alone.throttled / alone.periods).toBeGreaterThan(0.9);
    // crowded onto one CPU with web-01 (which wants 1.75 CPUs) it gets about half a CPU: under its
    // quota, so a real cgroup throttles few periods — never more than its use can fill with quotas
    for (const name of ['proxy-05', 'web-01']) fs.writeText(`${scopeOf(r, name)}/cpuset.cpus`, '2');
    d.advance(1000);
    const crowded = window(10_000);
    expect(crowded.usage).toBeLessThan(0.6 * 10e6);
    expect(crowded.periods).toBeGreaterThanOrEqual(99);
    expect(crowded.throttled * 80_000).toBeLessThanOrEqual(crowded.usage);
    expect(crowded.throttled / crowded.periods).toBeLessThan(0.5);
  });

  it('caps one vCPU at its libvirt/vcpuN cpu.max and shows the denied time as run-queue delay', async () => {
    const { d, fs } = await start();
    const r = d.root; const g = d.guests[0]!;
    const web = scopeOf(r, 'web-01');
    fs.writeText(`${web}/libvirt/vcpu0/cpu.max`, '10000 100000');
    d.advance(1000);
    const s0 = read(r, `/proc/${g.pid}/task/${g.pid + 3}/schedstat`).split(' ').map(Number);
    const o0 = read(r, `/proc/${g.pid}/task/${g.pid + 4}/schedstat`).split(' ').map(Number);
    d.advance(4000);
    const s1 = read(r, `/proc/${g.pid}/task/${g.pid + 3}/schedstat`).split(' ').map(Number);
    const o1 = read(r, `/proc/${g.pid}/task/${g.pid + 4}/schedstat`).split(' ').map(Number);
    expect((s1[0] as number) - (s0[0] as number)).toBeLessThanOrEqual(0.1 * 4e9 + 1000);
    expect((s1[1] as number) - (s0[1] as number)).toBeGreaterThan(1e9);         // waits ~0.45 s/s
    expect((o1[0] as number) - (o0[0] as number)).toBeGreaterThan(0.4 * 4e9);  // vCPU 1 unaffected
    expect(flat(read(r, `${web}/libvirt/vcpu0/cpu.stat`)).nr_throttled).toBeGreaterThan(30);
  });

  it('shares a contended CPU by cpu.weight and restricts load to cpuset.cpus', async () => {
    const { d, fs } = await start();
    const r = d.root;
    const a = scopeOf(r, 'web-01'); const b = scopeOf(r, 'web-07');
    for (const s of [a, b]) fs.writeText(`${s}/cpuset.cpus`, '3');
    fs.writeText(`${a}/cpu.weight`, '300');
    d.advance(1000);
    expect(read(r, `${a}/cpuset.cpus.effective`)).toBe('3\n');
    expect(read(r, `${a}/libvirt/vcpu2/cpuset.cpus.effective`)).toBe('3\n');
    expect(read(r, `/proc/${d.guests[0]!.pid}/task/${d.guests[0]!.pid + 3}/status`)).toMatch(/^Cpus_allowed_list:\t3$/m);
    const ua = usageUsec(r, a); const ub = usageUsec(r, b); const t0 = cpuTimes(r);
    d.advance(5000);
    const da = usageUsec(r, a) - ua; const db = usageUsec(r, b) - ub;
    expect(da + db).toBeLessThanOrEqual(5e6);            // both fit on one CPU
    expect(da / db).toBeGreaterThan(2.7);
    expect(da / db).toBeLessThan(3.3);
    const t1 = cpuTimes(r);
    const idle3 = (t1[3]![3] as number) - (t0[3]![3] as number);
    expect(idle3).toBeLessThanOrEqual(10);               // CPU 3 is saturated
  });

  it('caps IOPS and bandwidth at io.max (merged per device like the kernel) and rejects unknown devices', async () => {
    const { d, fs } = await start();
    const r = d.root;
    const db = scopeOf(r, 'db-04');
    fs.writeText(`${db}/io.max`, '253:7 riops=100');
    d.advance(1000);
    expect(read(r, `${db}/io.max`)).toBe('253:7 rbps=max wbps=max riops=100 wiops=max\n');
    fs.writeText(`${db}/io.max`, '253:7 wbps=1048576');
    d.advance(1000);
    expect(read(r, `${db}/io.max`)).toBe('253:7 rbps=max wbps=1048576 riops=100 wiops=max\n');
    const io0 = nested(read(r, `${db}/io.stat`))['253:7']!;
    d.advance(4000);
    const io1 = nested(read(r, `${db}/io.stat`))['253:7']!;
    const rios = Number(io1.rios) - Number(io0.rios);
    expect(rios).toBeLessThanOrEqual(400 + 1);
    expect(rios).toBeGreaterThan(350);
    expect(Number(io1.wbytes) - Number(io0.wbytes)).toBeLessThanOrEqual(4 * 1048576 + 8192);
    expect(read(r, `${db}/io.pressure`)).toMatch(/^some avg10=[1-9]/);
    fs.writeText(`${db}/io.max`, '8:0 riops=5'); // not this guest's disk: ENODEV on a real kernel
    d.advance(1000);
    expect(read(r, `${db}/io.max`)).toBe('253:7 rbps=max wbps=1048576 riops=100 wiops=max\n');
    fs.writeText(`${db}/io.max`, '253:7 rbps=max wbps=max riops=max wiops=max');
    d.advance(1000);
    expect(read(r, `${db}/io.max`)).toBe('');
  });

  it('keeps every io.max write between two steps, one device per write, as the kernel does', async () => {
    const { d, fs } = await start();
    const r = d.root;
    const web = scopeOf(r, 'web-01');
    const [a, b] = Object.keys(nested(read(r, `${web}/io.stat`))) as [string, string]; // its two disks
    expect(b).toBeDefined();
    fs.writeText(`${web}/io.max`, `${a} riops=500`);
    fs.writeText(`${web}/io.max`, '8:0 riops=5');        // not this guest's disk: rejected alone
    fs.writeText(`${web}/io.max`, `${b} wbps=10485760`);
    // read back at once (before the simulator's step) each device's line is there, as on cgroupfs
    expect(read(r, `${web}/io.max`)).toContain(`${a} riops=500`);
    d.advance(1000);
    expect(read(r, `${web}/io.max`)).toBe(`${a} rbps=max wbps=max riops=500 wiops=max\n${b} rbps=max wbps=10485760 riops=max wiops=max\n`);
    fs.writeText(`${web}/io.max`, `${a} riops=max`);
    fs.writeText(`${web}/io.max`, `${b} rbps=1048576`);
    d.advance(1000);
    expect(read(r, `${web}/io.max`)).toBe(`${b} rbps=1048576 wbps=10485760 riops=max wiops=max\n`);
  });

  it('caps memory.current at memory.max and moves per-node memory when cpuset.mems changes', async () => {
    const { d, fs } = await start();
    const r = d.root;
    const web = scopeOf(r, 'web-01'); // home node 0
    fs.writeText(`${web}/memory.max`, '1G');
    d.advance(2000);
    expect(read(r, `${web}/memory.max`)).toBe(`${1024 ** 3}\n`);
    expect(Number(read(r, `${web}/memory.current`))).toBeLessThanOrEqual(1024 ** 3);
    expect(flat(read(r, `${web}/memory.events`)).max).toBeGreaterThan(0);
    const anon = (): number[] => (/^anon N0=(\d+) N1=(\d+)$/m.exec(read(r, `${web}/memory.numa_stat`)) ?? []).slice(1).map(Number);
    expect(anon()[0]).toBeGreaterThan(anon()[1] as number);
    fs.writeText(`${web}/libvirt/cpuset.mems`, '1');
    d.advance(8000);
    expect(read(r, `${web}/libvirt/cpuset.mems.effective`)).toBe('1\n');
    const [n0, n1] = anon();
    expect(n1).toBeGreaterThan((n0 as number) * 50);
    expect(flat(read(r, `${web}/memory.stat`)).numa_pages_migrated).toBeGreaterThan(0);
  });

  it('unmerges KSM on run=2 and merges again on run=1', async () => {
    const { d, fs } = await start();
    const r = d.root;
    fs.writeText('/sys/kernel/mm/ksm/run', '2');
    d.advance(1000);
    expect(read(r, '/sys/kernel/mm/ksm/pages_sharing')).toBe('0\n');
    expect(read(r, `/proc/${d.guests[0]!.pid}/ksm_merging_pages`)).toBe('0\n');
    fs.writeText('/sys/kernel/mm/ksm/run', '1');
    d.advance(3000);
    expect(Number(read(r, '/sys/kernel/mm/ksm/pages_sharing'))).toBeGreaterThan(0);
  });
});
