// The demo host's QMP servers, spoken to by a tiny client over real unix sockets: handshake rules,
// ids, the query commands the collector uses, throttling validated and enforced, stop/cont with
// events, one client at a time like QEMU; stop() removes the tree and the sockets.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoHost, type DemoHost } from '../../src/demo/host.js';
import { read, scopeOf, TinyQmp, usageUsec } from './helpers.js';

describe('demo host QMP (simulated QEMU monitor over a real unix socket)', () => {
  let demo: DemoHost | null = null;
  const clients: TinyQmp[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await demo?.stop(); demo = null;
  });
  async function connect(path: string): Promise<TinyQmp> {
    const c = await TinyQmp.connect(path);
    clients.push(c);
    return c;
  }

  it('greets, requires qmp_capabilities first, echoes ids and answers status, name, uuid and vCPU threads', async () => {
    demo = await startDemoHost({ guests: 2, manual: true });
    const g = demo.guests[1]!;
    const c = await connect(g.qmpSocket);
    const greeting = await c.wait((m) => 'QMP' in m);
    expect((greeting.QMP as { capabilities: string[] }).capabilities).toEqual(['oob']);
    const early = await c.cmd('query-status');
    expect(early.error).toEqual({ class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" });
    expect((await c.cmd('qmp_capabilities')).return).toEqual({});
    expect((await c.cmd('qmp_capabilities')).error).toMatchObject({ class: 'CommandNotFound' });
    expect((await c.cmd('query-status')).return).toEqual({ running: true, status: 'running' });
    expect((await c.cmd('query-name')).return).toEqual({ name: g.name });
    const argv = read(demo.root, `/proc/${g.pid}/cmdline`).split('\0');
    expect((await c.cmd('query-uuid')).return).toEqual({ UUID: argv[argv.indexOf('-uuid') + 1] });
    const cpus = (await c.cmd('query-cpus-fast')).return as Array<Record<string, unknown>>;
    const scope = scopeOf(demo.root, g.name);
    expect(cpus.map((x) => x['thread-id'])).toEqual([0, 1, 2, 3].map((v) => Number(read(demo!.root, `${scope}/libvirt/vcpu${v}/cgroup.threads`))));
    expect(cpus.map((x) => x['cpu-index'])).toEqual([0, 1, 2, 3]);
    expect((await c.cmd('query-iothreads')).return).toEqual([]);
    expect((await c.cmd('no-such-command')).error).toEqual({ class: 'CommandNotFound', desc: 'The command no-such-command has not been found' });
    c.sock.write('{"execute": "query-kvm", "id": {"nested": [1, "}"]}}\r\n');
    expect((await c.wait((m) => JSON.stringify(m.id) === '{"nested":[1,"}"]}')).return).toEqual({ enabled: true, present: true });
  });

  it('reports two -blockdev disks with moving counters and enforces block_set_io_throttle per QEMU rules', async () => {
    demo = await startDemoHost({ guests: 4, manual: true });
    const g = demo.guests[3]!; // db-04: disk-heavy
    const c = await connect(g.qmpSocket);
    await c.cmd('qmp_capabilities');
    type Stats = Array<{ device: string; qdev: string; stats: Record<string, number> }>;
    const s0 = (await c.cmd('query-blockstats')).return as Stats;
    expect(s0.map((d) => [d.device, d.qdev])).toEqual([
      ['', '/machine/peripheral/virtio-disk0/virtio-backend'], ['', '/machine/peripheral/virtio-disk1/virtio-backend']]);
    demo.advance(2000);
    const s1 = (await c.cmd('query-blockstats')).return as Stats;
    const d = (a: Stats, b: Stats, k: string): number => (b[1]!.stats[k] as number) - (a[1]!.stats[k] as number);
    expect(d(s0, s1, 'rd_operations')).toBeGreaterThan(2000);
    expect(d(s0, s1, 'rd_total_time_ns') / d(s0, s1, 'rd_operations')).toBeGreaterThan(1e4); // a plausible latency
    const bad = await c.cmd('block_set_io_throttle', { id: 'virtio-disk1', bps: 1000, bps_rd: 500, bps_wr: 0, iops: 0, iops_rd: 0, iops_wr: 0 });
    expect(bad.error).toEqual({ class: 'GenericError', desc: 'bps/iops/max total values and read/write values cannot be used at the same time' });
    const bad2 = await c.cmd('block_set_io_throttle', { id: 'virtio-disk1', bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 100, iops_wr: 0, iops_rd_max: 50 });
    expect(bad2.error).toMatchObject({ desc: 'bps_max/iops_max cannot be lower than bps/iops' });
    const missing = await c.cmd('block_set_io_throttle', { id: 'virtio-disk1', bps: 0 });
    expect(missing.error).toMatchObject({ class: 'GenericError', desc: "Parameter 'bps_rd' is missing" });
    const nodev = await c.cmd('block_set_io_throttle', { id: 'virtio-disk9', bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 0, iops_wr: 0 });
    expect(nodev.error).toMatchObject({ class: 'DeviceNotFound' });
    const ok = await c.cmd('block_set_io_throttle', { id: 'virtio-disk1', bps: 0, bps_rd: 0, bps_wr: 0, iops: 0, iops_rd: 50, iops_wr: 0 });
    expect(ok.return).toEqual({});
    const blocks = (await c.cmd('query-block')).return as Array<{ qdev: string; inserted: Record<string, unknown> }>;
    expect(blocks[1]!.inserted).toMatchObject({ iops_rd: 50, iops: 0, bps: 0, group: 'virtio-disk1' });
    expect(blocks[0]!.inserted).toMatchObject({ iops_rd: 0 });
    expect(blocks[0]!.inserted.group).toBeUndefined();
    demo.advance(1000);
    const s2 = (await c.cmd('query-blockstats')).return as Stats;
    demo.advance(4000);
    const s3 = (await c.cmd('query-blockstats')).return as Stats;
    expect(d(s2, s3, 'rd_operations')).toBeLessThanOrEqual(201);
    expect(d(s2, s3, 'rd_operations')).toBeGreaterThan(150);
    // the host sees the same cap on the dm device behind the disk
    const io = read(demo.root, `${scopeOf(demo.root, g.name)}/io.stat`);
    expect(io).toMatch(/^253:7 /m);
  });

  it('stops and continues the guest with STOP/RESUME events; a stopped guest uses no vCPU time', async () => {
    demo = await startDemoHost({ guests: 1, manual: true });
    const g = demo.guests[0]!;
    const c = await connect(g.qmpSocket);
    await c.cmd('qmp_capabilities');
    expect((await c.cmd('stop')).return).toEqual({});
    const ev = await c.wait((m) => m.event === 'STOP');
    expect(ev.timestamp).toMatchObject({ seconds: expect.any(Number), microseconds: expect.any(Number) });
    expect((await c.cmd('query-status')).return).toEqual({ running: false, status: 'paused' });
    const vcpu0 = `${scopeOf(demo.root, g.name)}/libvirt/vcpu0`;
    const u0 = usageUsec(demo.root, vcpu0);
    demo.advance(3000);
    expect(usageUsec(demo.root, vcpu0)).toBe(u0);
    expect((await c.cmd('cont')).return).toEqual({});
    await c.wait((m) => m.event === 'RESUME');
    demo.advance(2000);
    expect(usageUsec(demo.root, vcpu0) - u0).toBeGreaterThan(0.3 * 2e6);
    expect((await c.cmd('query-status')).return).toEqual({ running: true, status: 'running' });
  });

  it('answers memdev, qom-get, balloon and HMP info network with a tap fd resolvable through fdinfo', async () => {
    demo = await startDemoHost({ guests: 4, manual: true });
    const web = demo.guests[0]!; const db = demo.guests[3]!;
    const c = await connect(web.qmpSocket);
    await c.cmd('qmp_capabilities');
    expect((await c.cmd('query-memdev')).return).toEqual([expect.objectContaining({ id: 'pc.ram', size: 4 * 1024 ** 3, merge: true, policy: 'default', 'host-nodes': [] })]);
    expect((await c.cmd('qom-get', { path: '/objects/pc.ram', property: 'type' })).return).toBe('memory-backend-ram');
    expect((await c.cmd('qom-get', { path: '/objects/pc.ram', property: 'mem-path' })).error).toMatchObject({ class: 'GenericError' });
    expect((await c.cmd('query-balloon')).return).toEqual({ actual: 4 * 1024 ** 3 });
    const net = (await c.cmd('human-monitor-command', { 'command-line': 'info network' })).return as string;
    const m = /^net0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:00:00:01\r\n \\ hostnet0: index=0,type=tap,fd=(\d+)\r\n$/.exec(net);
    expect(m).not.toBeNull();
    expect(read(demo.root, `/proc/${web.pid}/fdinfo/${m![1]}`)).toMatch(/^iff:\tvnet0$/m);
    const d = await connect(db.qmpSocket);
    await d.cmd('qmp_capabilities');
    expect((await d.cmd('qom-get', { path: '/objects/pc.ram', property: 'type' })).return).toBe('memory-backend-file');
    expect((await d.cmd('qom-get', { path: '/objects/pc.ram', property: 'mem-path' })).return).toBe('/dev/hugepages/libvirt/qemu/4-db-04');
  });

  it('serves one client at a time: a second client is greeted only after the first leaves', async () => {
    demo = await startDemoHost({ guests: 1, manual: true });
    const path = demo.guests[0]!.qmpSocket;
    const a = await connect(path);
    await a.wait((m) => 'QMP' in m);
    await a.cmd('qmp_capabilities');
    const b = await connect(path);
    await new Promise((r) => setTimeout(r, 150));
    expect(b.messages).toHaveLength(0);
    await a.close();
    clients.splice(clients.indexOf(a), 1);
    await b.wait((m) => 'QMP' in m);
    expect((await b.cmd('query-status')).error).toMatchObject({ class: 'CommandNotFound' }); // new session: negotiate again
  });

  it('stop() closes the servers and removes the directory with its sockets; a timer moves counters when not manual', async () => {
    demo = await startDemoHost({ guests: 2 });
    const root = demo.root; const sock = demo.guests[0]!.qmpSocket;
    const scope = scopeOf(root, 'web-01');
    const u0 = usageUsec(root, scope);
    await new Promise((r) => setTimeout(r, 700));
    expect(usageUsec(root, scope)).toBeGreaterThan(u0);
    expect(existsSync(sock)).toBe(true);
    await demo.stop();
    await demo.stop(); // idempotent
    demo = null;
    expect(existsSync(root)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    await expect(TinyQmp.connect(sock)).rejects.toThrow();
  });
});
