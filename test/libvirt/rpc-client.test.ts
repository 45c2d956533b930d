// LibvirtRpcClient's connection handling against a scripted peer (a test double of libvirtd's socket:
// the failures below cannot be had on demand from the real daemon, which rpc.real.test.ts uses for the
// rest): AUTH_LIST then CONNECT_OPEN then the call, replies split across chunks and matched by serial,
// an error reply's message, a daemon that wants authentication, the next socket tried when the first
// is missing, and a connection closed or silent mid-call failing that call and opened again for the next.
import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/engine/model/errors.js';
import type { ByteStream, ByteStreamConnector } from '../../src/engine/ports/byte-stream.js';
import { LibvirtRpcClient } from '../../src/collector/libvirt/rpc-client.js';
import { decodePacket } from '../../src/collector/libvirt/parse-rpc.js';

const u32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const str = (s: string): number[] => { const b = [...new TextEncoder().encode(s)]; const out = [...u32(b.length), ...b]; while (out.length % 4) out.push(0); return out; };
const reply = (proc: number, serial: number, status: number, body: number[]): Uint8Array =>
  Uint8Array.from([...u32(28 + body.length), ...u32(0x20008086), ...u32(1), ...u32(proc), ...u32(1), ...u32(serial), ...u32(status), ...body]);
const oneDomain = [...u32(1), ...str('d1'), ...new Array(16).fill(7), ...u32(3), ...u32(1), ...str('state.state'), ...u32(1), ...u32(1)];

type Answer = (proc: number, serial: number) => Uint8Array[] | 'close' | 'silent';

class Peer implements ByteStreamConnector {
  connects: string[] = [];
  calls: number[] = [];
  constructor(private readonly answer: Answer, private readonly missing: string[] = []) {}
  async connect(path: string): Promise<ByteStream> {
    this.connects.push(path);
    if (this.missing.includes(path)) throw new HostError('missing', `cannot connect to ${path}: ENOENT`);
    let onData: (c: Uint8Array) => void = () => undefined;
    let onClose: (e: Error | null) => void = () => undefined;
    return {
      write: (data) => {
        const { header } = decodePacket(data);
        this.calls.push(header.proc);
        const a = this.answer(header.proc, header.serial);
        queueMicrotask(() => {
          if (a === 'close') onClose(null);
          else if (a !== 'silent') for (const chunk of a) onData(chunk);
        });
      },
      onData: (cb) => { onData = cb; },
      onClose: (cb) => { onClose = cb; },
      close: () => undefined,
    };
  }
}

const normal: Answer = (proc, serial) => {
  if (proc === 66) return [reply(66, serial, 0, [...u32(1), ...u32(0)])];
  if (proc === 1) return [reply(1, serial, 0, [])];
  const p = reply(344, serial, 0, oneDomain);
  return [p.subarray(0, 5), p.subarray(5, 40), p.subarray(40)]; // split across chunks
};

describe('LibvirtRpcClient (scripted peer)', () => {
  it('opens once (AUTH_LIST, CONNECT_OPEN), then each call is one GET_ALL_DOMAIN_STATS', async () => {
    const peer = new Peer(normal);
    const c = new LibvirtRpcClient({ connector: peer, uri: 'qemu:///system', sockets: ['/a'] });
    const r1 = await c.allDomainStats(1000);
    const r2 = await c.allDomainStats(1000);
    expect(r1.map((d) => [d.name, d.id, d.params.get('state.state')])).toEqual([['d1', 3, 1]]);
    expect(r2).toHaveLength(1);
    expect(peer.calls).toEqual([66, 1, 344, 344]);
    expect(peer.connects).toEqual(['/a']);
  });

  it('tries the next socket when the first is missing', async () => {
    const peer = new Peer(normal, ['/a']);
    const c = new LibvirtRpcClient({ connector: peer, uri: 'qemu:///system', sockets: ['/a', '/b'] });
    expect(await c.allDomainStats(1000)).toHaveLength(1);
    expect(peer.connects).toEqual(['/a', '/b']);
  });

  it('an error reply rejects with libvirt\'s message; a daemon that wants authentication is refused', async () => {
    const failing = new Peer((proc, serial) => proc === 344
      ? [reply(344, serial, 1, [...u32(1), ...u32(10), ...u32(1), ...str('internal error: boom')])] : normal(proc, serial));
    await expect(new LibvirtRpcClient({ connector: failing, uri: 'qemu:///system', sockets: ['/a'] }).allDomainStats(1000))
      .rejects.toThrow('libvirt: internal error: boom');
    const sasl = new Peer((proc, serial) => proc === 66 ? [reply(66, serial, 0, [...u32(1), ...u32(1)])] : normal(proc, serial));
    const e = await new LibvirtRpcClient({ connector: sasl, uri: 'qemu:///system', sockets: ['/a'] }).allDomainStats(1000).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HostError);
    expect((e as HostError).kind).toBe('permission');
    expect(sasl.calls).toEqual([66]);
  });

  it('a connection closed or silent mid-call fails that call; the next call opens a new one', async () => {
    let mode: 'close' | 'silent' | 'ok' = 'close';
    const peer = new Peer((proc, serial) => (proc === 344 && mode !== 'ok' ? mode : normal(proc, serial)));
    const c = new LibvirtRpcClient({ connector: peer, uri: 'qemu:///system', sockets: ['/a'] });
    await expect(c.allDomainStats(1000)).rejects.toThrow(/connection closed/);
    mode = 'silent';
    await expect(c.allDomainStats(50)).rejects.toThrow(/timed out after 50 ms/);
    mode = 'ok';
    expect(await c.allDomainStats(1000)).toHaveLength(1);
    expect(peer.connects).toEqual(['/a', '/a', '/a']);
    expect(peer.calls).toEqual([66, 1, 344, 66, 1, 344, 66, 1, 344]);
  });
});
