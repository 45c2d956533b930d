// Owns libvirt's RPC wire format as far as the collector speaks it (facts from libvirt's
// remote_protocol.x and virnetprotocol.x): XDR encoding (big-endian 4-byte units, strings and
// variable arrays length-prefixed and padded to 4 bytes), the packet (a 4-byte total length, then
// program, version, procedure, type, serial, status), the calls it makes (AUTH_LIST, CONNECT_OPEN,
// CONNECT_GET_ALL_DOMAIN_STATS), their replies, an error reply's message, and the keepalive answer.
// Typed parameters keep their integers as numbers (exact decimal text past 2^53) and become what
// `virsh domstats --raw` prints otherwise, so one mapping (parse-virsh's domStatsFrom) serves both paths. Pure: bytes in, values out; any malformed reply
// throws (a short or overlong field never reads past its packet).

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_VERSION = 1;
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const PROC = { connectOpen: 1, authList: 66, getAllDomainStats: 344 } as const;
const KEEPALIVE_PING = 1;
const KEEPALIVE_PONG = 2;
export const MSG_CALL = 0;
export const MSG_REPLY = 1;
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;
/** libvirt refuses bigger packets too (VIR_NET_MESSAGE_MAX plus its header) */
export const MAX_PACKET = 32 * 1024 * 1024 + 4;

/** virDomainStatsTypes bits: state, cpu-total, balloon, vcpu, interface, block (the --state … --block of the virsh call) */
export const STATS_GROUPS = 1 | 2 | 4 | 8 | 16 | 32;
/** VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE (virsh's --list-active) */
export const STATS_ACTIVE = 1;

export interface RpcHeader { prog: number; vers: number; proc: number; type: number; serial: number; status: number }

class XdrWriter {
  private parts: number[] = [];
  private bytes: Uint8Array[] = [];
  uint(v: number): this { this.parts.push(v >>> 0); this.bytes.push(new Uint8Array(0)); return this; }
  string(s: string): this {
    const b = new TextEncoder().encode(s);
    this.uint(b.length);
    const padded = new Uint8Array((b.length + 3) & ~3);
    padded.set(b);
    this.bytes[this.bytes.length - 1] = padded;
    return this;
  }
  /** optional string (XDR pointer): a presence flag, then the string */
  optString(s: string | null): this { if (s === null) return this.uint(0); return this.uint(1).string(s); }
  /** the packet: length word + header (status OK) + this payload */
  packet(prog: number, vers: number, proc: number, type: number, serial: number): Uint8Array {
    const payloadLen = this.parts.length * 4 + this.bytes.reduce((n, b) => n + b.length, 0);
    const total = 4 + 24 + payloadLen;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    [total, prog, vers, proc, type, serial, STATUS_OK].forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
    let off = 28;
    for (let i = 0; i < this.parts.length; i++) {
      dv.setUint32(off, this.parts[i] as number);
      off += 4;
      const b = this.bytes[i] as Uint8Array;
      out.set(b, off);
      off += b.length;
    }
    return out;
  }
}

export class XdrReader {
  private off: number;
  private readonly dv: DataView;
  private static readonly dec = new TextDecoder('utf-8', { fatal: false });
  constructor(private readonly buf: Uint8Array, offset = 0) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.off = offset;
  }
  private need(n: number): void {
    if (n < 0 || this.off + n > this.buf.byteLength) throw new Error('libvirt RPC reply is truncated');
  }
  uint(): number { this.need(4); const v = this.dv.getUint32(this.off); this.off += 4; return v; }
  int(): number { this.need(4); const v = this.dv.getInt32(this.off); this.off += 4; return v; }
  /** 64-bit integer: a number while it is a safe integer, else its exact decimal text */
  hyper(signed: boolean): number | string {
    this.need(8);
    const hi = signed ? this.dv.getInt32(this.off) : this.dv.getUint32(this.off);
    const lo = this.dv.getUint32(this.off + 4);
    this.off += 8;
    if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + lo;
    return ((BigInt(hi) << 32n) + BigInt(lo)).toString();
  }
  double(): number { this.need(8); const v = this.dv.getFloat64(this.off); this.off += 8; return v; }
  string(max = MAX_PACKET): string {
    const n = this.uint();
    if (n > max) throw new Error('libvirt RPC reply carries an oversized string');
    const padded = (n + 3) & ~3;
    this.need(padded);
    const bytes = this.buf.subarray(this.off, this.off + n);
    this.off += padded;
    // field names and device names are ASCII: built straight from the bytes (TextDecoder costs more per short string)
    for (let i = 0; i < n; i++) if ((bytes[i] as number) >= 0x80) return XdrReader.dec.decode(bytes);
    return n <= 4096 ? String.fromCharCode.apply(null, bytes as unknown as number[]) : XdrReader.dec.decode(bytes);
  }
  optString(): string | null { return this.uint() === 0 ? null : this.string(); }
  fixed(n: number): Uint8Array { this.need(n); const b = this.buf.subarray(this.off, this.off + n); this.off += (n + 3) & ~3; return b; }
  /** an array length, refused when it could not fit in what is left (each element takes ≥ `minBytes`) */
  count(minBytes: number): number {
    const n = this.uint();
    if (n * minBytes > this.buf.byteLength - this.off) throw new Error('libvirt RPC reply is truncated');
    return n;
  }
  get done(): boolean { return this.off === this.buf.byteLength; }
}

export function encodeCall(proc: number, serial: number, args: (w: XdrWriter) => void = () => undefined): Uint8Array {
  const w = new XdrWriter();
  args(w);
  return w.packet(REMOTE_PROGRAM, REMOTE_VERSION, proc, MSG_CALL, serial);
}

export const encodeAuthList = (serial: number): Uint8Array => encodeCall(PROC.authList, serial);
export const encodeConnectOpen = (serial: number, uri: string): Uint8Array =>
  encodeCall(PROC.connectOpen, serial, (w) => { w.optString(uri).uint(0); });
/** no domain list (all of them), the stats groups, active domains only */
export const encodeGetAllDomainStats = (serial: number): Uint8Array =>
  encodeCall(PROC.getAllDomainStats, serial, (w) => { w.uint(0).uint(STATS_GROUPS).uint(STATS_ACTIVE); });

/** The answer to a keepalive PING (libvirtd sends one only to clients that asked for keepalive), else null. */
export function keepaliveReply(h: RpcHeader): Uint8Array | null {
  if (h.prog !== KEEPALIVE_PROGRAM || h.proc !== KEEPALIVE_PING) return null;
  return new XdrWriter().packet(KEEPALIVE_PROGRAM, 1, KEEPALIVE_PONG, 2, 0);
}

/** The length of the next whole packet at the start of `buf`, 0 when more bytes are needed; throws on a bad length. */
export function packetLength(buf: Uint8Array): number {
  if (buf.byteLength < 4) return 0;
  const n = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
  if (n < 28 || n > MAX_PACKET) throw new Error(`libvirt RPC packet length ${n} is out of range`);
  return buf.byteLength >= n ? n : 0;
}

/** A whole packet → its header and a reader positioned at its payload. */
export function decodePacket(packet: Uint8Array): { header: RpcHeader; body: XdrReader } {
  const r = new XdrReader(packet, 4);
  const header = { prog: r.uint(), vers: r.uint(), proc: r.int(), type: r.int(), serial: r.uint(), status: r.int() };
  return { header, body: r };
}

/** An error reply's payload (remote_error: code, domain, message, …) → its message. */
export function decodeError(body: XdrReader): string {
  try {
    const code = body.int();
    body.int();
    const msg = body.optString();
    return msg ?? `libvirt error ${code}`;
  } catch {
    return 'libvirt error (unreadable error reply)';
  }
}

/** AUTH_LIST's reply: the auth types the server still wants (0 = none). */
export function decodeAuthList(body: XdrReader): number[] {
  const n = body.count(4);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(body.int());
  return out;
}

/** a typed parameter's value: integers as numbers (64-bit ones past 2^53 as exact decimal text), the rest as virsh --raw prints them */
export type RpcParamValue = number | string;

export interface RpcDomainStats { name: string; uuid: string; id: number; params: Map<string, RpcParamValue> }

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function uuidText(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[i] as number] as string;
  }
  return s;
}

/**
 * CONNECT_GET_ALL_DOMAIN_STATS's reply: per domain its name, uuid, id and typed parameters — integers
 * as numbers (exact decimal text past 2^53), and what virsh --raw prints for the rest (booleans yes/no,
 * doubles with six decimals, strings as is).
 */
export function decodeAllDomainStats(body: XdrReader): RpcDomainStats[] {
  const n = body.count(28);
  const out: RpcDomainStats[] = [];
  for (let i = 0; i < n; i++) {
    const name = body.string();
    const uuid = uuidText(body.fixed(16));
    const id = body.int();
    const np = body.count(12);
    const params = new Map<string, RpcParamValue>();
    for (let j = 0; j < np; j++) {
      const field = body.string();
      const type = body.int();
      let v: RpcParamValue;
      switch (type) {
        case 1: v = body.int(); break;
        case 2: v = body.uint(); break;
        case 3: v = body.hyper(true); break;
        case 4: v = body.hyper(false); break;
        case 5: v = body.double().toFixed(6); break;
        case 6: v = body.int() !== 0 ? 'yes' : 'no'; break;
        case 7: v = body.string(); break;
        default: throw new Error(`libvirt RPC reply has a typed parameter of unknown type ${type}`);
      }
      params.set(field, v);
    }
    out.push({ name, uuid, id, params });
  }
  if (!body.done) throw new Error('libvirt RPC reply has trailing bytes');
  return out;
}
