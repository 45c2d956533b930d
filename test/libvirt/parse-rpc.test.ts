// The libvirt RPC wire format the collector speaks (parse-rpc.ts), against packets built here byte by
// byte from remote_protocol.x's layout: the calls' exact bytes, a stats reply of every typed-parameter
// kind decoded (64-bit counters exact past 2^53), the same DomStats as the virsh --raw text of the same
// values, an error reply's message, the keepalive answer, and truncated or oversized replies refused.
import { describe, expect, it } from 'vitest';
import {
  decodeAllDomainStats, decodeAuthList, decodeError, decodePacket, encodeAuthList, encodeConnectOpen,
  encodeGetAllDomainStats, keepaliveReply, packetLength,
} from '../../src/collector/libvirt/parse-rpc.js';
import { domStatsFrom, parseDomstats } from '../../src/collector/libvirt/parse-virsh.js';

/** a tiny XDR builder for the test's packets */
class Bytes {
  private out: number[] = [];
  u32(v: number): this { this.out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255); return this; }
  u64(v: bigint): this { return this.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn)); }
  f64(v: number): this { const b = new DataView(new ArrayBuffer(8)); b.setFloat64(0, v); for (let i = 0; i < 8; i++) this.out.push(b.getUint8(i)); return this; }
  str(s: string): this { const b = [...new TextEncoder().encode(s)]; this.u32(b.length); this.out.push(...b); while (this.out.length % 4) this.out.push(0); return this; }
  raw(b: number[]): this { this.out.push(...b); return this; }
  get length(): number { return this.out.length; }
  bytes(): Uint8Array { return Uint8Array.from(this.out); }
}

const reply = (proc: number, serial: number, status: number, body: Bytes): Uint8Array =>
  new Bytes().u32(28 + body.length).u32(0x20008086).u32(1).u32(proc).u32(1).u32(serial).u32(status).raw([...body.bytes()]).bytes();

const UUID = [0x93, 0x2e, 0x41, 0x29, 0xa7, 0x3e, 0x4c, 0x20, 0xa0, 0x87, 0xae, 0x5b, 0x3f, 0x01, 0x78, 0x68];

function statsBody(): Bytes {
  const b = new Bytes().u32(1).str('web one').raw(UUID).u32(5);
  const params: Array<[string, (x: Bytes) => void]> = [
    ['state.state', (x) => x.u32(1).u32(1)],
    ['cpu.time', (x) => x.u32(4).u64(2618215000n)],
    ['cpu.user', (x) => x.u32(4).u64(1519714000n)],
    ['cpu.system', (x) => x.u32(4).u64(1098501000n)],
    ['balloon.current', (x) => x.u32(4).u64(65536n)],
    ['vcpu.current', (x) => x.u32(2).u32(1)],
    ['vcpu.maximum', (x) => x.u32(2).u32(1)],
    ['vcpu.0.state', (x) => x.u32(1).u32(1)],
    ['vcpu.0.time', (x) => x.u32(4).u64(590000000n)],
    ['vcpu.0.delay', (x) => x.u32(4).u64(18446744073709551000n)],
    ['net.count', (x) => x.u32(2).u32(1)],
    ['net.0.name', (x) => x.u32(7).str('vnet7')],
    ['net.0.rx.bytes', (x) => x.u32(4).u64(9007199254740993n)],
    ['block.count', (x) => x.u32(2).u32(1)],
    ['block.0.name', (x) => x.u32(7).str('vda')],
    ['block.0.rd.reqs', (x) => x.u32(4).u64(12n)],
    ['block.0.rd.times', (x) => x.u32(4).u64(1650444n)],
    ['block.0.allocation', (x) => x.u32(3).u64(-2n & 0xffffffffffffffffn)],
    ['dirtyrate.megabytes_per_second', (x) => x.u32(5).f64(1.5)],
    ['vm.flag', (x) => x.u32(6).u32(1)],
    ['cpu.haltpoll.success.time', (x) => x.u32(1).u32(0xffffffff)],
  ];
  b.u32(params.length);
  for (const [k, v] of params) { b.str(k); v(b); }
  return b;
}

describe('libvirt RPC wire format', () => {
  it('encodes AUTH_LIST, CONNECT_OPEN and CONNECT_GET_ALL_DOMAIN_STATS as remote_protocol.x lays them out', () => {
    const hdr = (len: number, proc: number, serial: number): number[] => [...new Bytes().u32(len).u32(0x20008086).u32(1).u32(proc).u32(0).u32(serial).u32(0).bytes()];
    expect([...encodeAuthList(1)]).toEqual(hdr(28, 66, 1));
    // remote_string (present, "qemu:///system" padded to 16) + flags 0
    expect([...encodeConnectOpen(2, 'qemu:///system')]).toEqual([...hdr(28 + 4 + 4 + 16 + 4, 1, 2), ...new Bytes().u32(1).str('qemu:///system').u32(0).bytes()]);
    // no domains, stats 63 (state|cpu-total|balloon|vcpu|interface|block), flags ACTIVE
    expect([...encodeGetAllDomainStats(3)]).toEqual([...hdr(40, 344, 3), 0, 0, 0, 0, 0, 0, 0, 63, 0, 0, 0, 1]);
  });

  it('decodes a stats reply: name, uuid, id and every typed parameter kind', () => {
    const p = reply(344, 3, 0, statsBody());
    expect(packetLength(p)).toBe(p.length);
    expect(packetLength(p.subarray(0, p.length - 1))).toBe(0);
    const { header, body } = decodePacket(p);
    expect(header).toEqual({ prog: 0x20008086, vers: 1, proc: 344, type: 1, serial: 3, status: 0 });
    const [d] = decodeAllDomainStats(body);
    expect(d).toMatchObject({ name: 'web one', uuid: '932e4129-a73e-4c20-a087-ae5b3f017868', id: 5 });
    const kv = Object.fromEntries(d?.params ?? []);
    // integers as numbers; 64-bit ones past 2^53 as their exact decimal text
    expect(kv).toMatchObject({
      'state.state': 1, 'cpu.time': 2618215000, 'vcpu.0.delay': '18446744073709551000',
      'net.0.rx.bytes': '9007199254740993', 'net.0.name': 'vnet7', 'block.0.allocation': -2,
      'dirtyrate.megabytes_per_second': '1.500000', 'vm.flag': 'yes', 'cpu.haltpoll.success.time': -1,
    });
  });

  it('gives the same DomStats as the virsh text with the same values', () => {
    const [d] = decodeAllDomainStats(decodePacket(reply(344, 3, 0, statsBody())).body);
    const text = `Domain: 'web one'\n${[...(d?.params ?? [])].map(([k, v]) => `  ${k}=${v}`).join('\n')}\n\n`;
    expect(domStatsFrom('web one', d?.params ?? new Map())).toEqual(parseDomstats(text)[0]);
    expect(domStatsFrom('web one', d?.params ?? new Map())).toMatchObject({
      stateCode: 1, cpuTimeUsec: 2618215, vcpuStats: [{ index: 0, timeUsec: 590000, delayUsec: 18446744073709551 }],
      nets: [{ ifname: 'vnet7' }], blocks: [{ name: 'vda', readOps: 12, readTimeUsec: 1650 }],
    });
  });

  it('reads an error reply\'s message and the auth types', () => {
    const err = decodePacket(reply(344, 4, 1, new Bytes().u32(42).u32(10).u32(1).str("Domain not found: no domain with matching name 'x'")));
    expect(err.header.status).toBe(1);
    expect(decodeError(err.body)).toBe("Domain not found: no domain with matching name 'x'");
    expect(decodeAuthList(decodePacket(reply(66, 1, 0, new Bytes().u32(1).u32(0))).body)).toEqual([0]);
  });

  it('answers a keepalive PING with a PONG and nothing else', () => {
    const ping = new Bytes().u32(28).u32(0x6b656570).u32(1).u32(1).u32(2).u32(0).u32(0).bytes();
    expect([...(keepaliveReply(decodePacket(ping).header) ?? [])]).toEqual([...new Bytes().u32(28).u32(0x6b656570).u32(1).u32(2).u32(2).u32(0).u32(0).bytes()]);
    expect(keepaliveReply(decodePacket(reply(344, 1, 0, new Bytes())).header)).toBeNull();
  });

  it('refuses truncated, trailing, oversized and unknown-typed replies', () => {
    const full = statsBody().bytes();
    const cut = decodePacket(reply(344, 3, 0, new Bytes().raw([...full.subarray(0, full.length - 8)])));
    expect(() => decodeAllDomainStats(cut.body)).toThrow(/truncated/);
    const trailing = decodePacket(reply(344, 3, 0, new Bytes().raw([...full, 0, 0, 0, 0])));
    expect(() => decodeAllDomainStats(trailing.body)).toThrow(/trailing/);
    // a record count that cannot fit in the bytes left is refused before any allocation
    expect(() => decodeAllDomainStats(decodePacket(reply(344, 3, 0, new Bytes().u32(0x7fffffff))).body)).toThrow(/truncated/);
    const badType = new Bytes().u32(1).str('a').raw(UUID).u32(1).u32(1).str('k').u32(9).u32(0);
    expect(() => decodeAllDomainStats(decodePacket(reply(344, 3, 0, badType)).body)).toThrow(/unknown type 9/);
    expect(() => packetLength(new Bytes().u32(0xffffffff).bytes())).toThrow(/out of range/);
    expect(() => packetLength(new Bytes().u32(8).bytes())).toThrow(/out of range/);
  });
});
