// Owns the parsing of virsh's text outputs the collector reads: `list --uuid --name`, `dominfo`,
// `domiflist`, `domblklist`, `domstats --raw`, and turning virsh's error text into one clean line. Pure.

import type { RawLibvirt } from '../../engine/model/sample.js';

const int = (s: string | number | undefined): number | null => {
  if (s === undefined) return null;
  if (typeof s === 'number') return Number.isInteger(s) ? s : null;
  const t = s.trim();
  return /^-?\d+$/.test(t) ? Number(t) : null;
};

/** ns as decimal text → µs, lossless past 2^53 ns */
const nsToUsec = (s: string | number | undefined): number | null => {
  if (typeof s === 'number') return Number.isSafeInteger(s) && s >= 0 ? (s - (s % 1000)) / 1000 : null;
  if (s === undefined || !/^\d+$/.test(s.trim())) return null;
  return Number(BigInt(s.trim()) / 1000n);
};

/** `virsh list [--all] --uuid --name`: lines `UUID NAME` (names may contain spaces). */
export function parseListUuidName(text: string): Array<{ uuid: string; name: string }> {
  const out: Array<{ uuid: string; name: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ uuid: (m[1] as string).toLowerCase(), name: m[2] as string });
  }
  return out;
}

/** `virsh list --name` / `--uuid`: one item per non-empty line. */
export function parseListLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** `Key:   value` lines (dominfo, and virsh getters that use `key : value`). Continuation lines are dropped. */
export function parseColonLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S[^:]*?)\s*:\s?(.*)$/.exec(line);
    if (m) out.set((m[1] as string).trim(), (m[2] as string).trim());
  }
  return out;
}

export interface DomInfo {
  id: number | null;
  name: string | null;
  uuid: string | null;
  state: string | null;
  vcpus: number | null;
  maxMemoryKiB: number | null;
  usedMemoryKiB: number | null;
  persistent: boolean | null;
  autostart: boolean | null;
}

const yesNo = (s: string | undefined): boolean | null => {
  if (s === undefined) return null;
  if (/^(yes|enable)$/i.test(s)) return true;
  if (/^(no|disable)$/i.test(s)) return false;
  return null;
};

const kib = (s: string | undefined): number | null => {
  const m = s === undefined ? null : /^(\d+)\s*KiB$/i.exec(s.trim());
  return m ? Number(m[1]) : null;
};

/** `virsh dominfo DOM`. */
export function parseDominfo(text: string): DomInfo {
  const kv = parseColonLines(text);
  return {
    id: int(kv.get('Id')),
    name: kv.get('Name') ?? null,
    uuid: kv.get('UUID')?.toLowerCase() ?? null,
    state: kv.get('State') ?? null,
    vcpus: int(kv.get('CPU(s)')),
    maxMemoryKiB: kib(kv.get('Max memory')),
    usedMemoryKiB: kib(kv.get('Used memory')),
    persistent: yesNo(kv.get('Persistent')),
    autostart: yesNo(kv.get('Autostart')),
  };
}

/** Rows of a virsh table (a header line, a dashed rule, then rows split on runs of spaces). */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => /^-{3,}\s*$/.test(l.trim()));
  if (rule < 0) return [];
  return lines.slice(rule + 1).map((l) => l.trim()).filter((l) => l !== '').map((l) => l.split(/\s{2,}|\s+(?=\S)/));
}

/** `virsh domiflist DOM`: Interface Type Source Model MAC (`-` = none). */
export function parseDomiflist(text: string): Array<{ ifname: string | null; type: string; source: string | null; model: string | null; mac: string | null }> {
  return tableRows(text).filter((r) => r.length >= 5).map((r) => {
    const dash = (s: string | undefined): string | null => (s === undefined || s === '-' ? null : s);
    return { ifname: dash(r[0]), type: r[1] as string, source: dash(r[2]), model: dash(r[3]), mac: dash(r[4]) };
  });
}

/** `virsh domblklist DOM`: Target Source (source may contain spaces; `-` = empty drive). */
export function parseDomblklist(text: string): Array<{ target: string; source: string | null }> {
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => /^-{3,}\s*$/.test(l.trim()));
  if (rule < 0) return [];
  return lines.slice(rule + 1).flatMap((l) => {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(l);
    if (!m) return [];
    const source = m[2] as string;
    return [{ target: m[1] as string, source: source === '-' || source === '' ? null : source }];
  });
}

export interface DomStats {
  name: string;
  stateCode: number | null;
  vcpuStats: RawLibvirt['vcpuStats'];
  balloon: RawLibvirt['balloon'];
  cpuTimeUsec: number | null; cpuUserUsec: number | null; cpuSystemUsec: number | null;
  nets: Array<{ ifname: string; rxBytes: number | null; rxPackets: number | null; rxDropped: number | null;
    txBytes: number | null; txPackets: number | null; txDropped: number | null }>;
  blocks: Array<{ name: string; path: string | null; readOps: number | null; readBytes: number | null; readTimeUsec: number | null;
    writeOps: number | null; writeBytes: number | null; writeTimeUsec: number | null; flushOps: number | null; flushTimeUsec: number | null }>;
}

/** virDomainState numbers → the words virsh prints */
export const DOMAIN_STATES = ['no state', 'running', 'blocked', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];

/** `virsh domstats --raw [DOM...]`: one block per domain (`Domain: 'name'` then `  key=value`). */
export function parseDomstats(text: string): DomStats[] {
  const blocks: Array<{ name: string; kv: Map<string, string> }> = [];
  for (const line of text.split('\n')) {
    const head = /^Domain:\s*'(.*)'\s*$/.exec(line);
    if (head) { blocks.push({ name: head[1] as string, kv: new Map() }); continue; }
    const m = /^\s+([A-Za-z0-9_.-]+)=(.*)$/.exec(line);
    const cur = blocks[blocks.length - 1];
    if (m && cur) cur.kv.set(m[1] as string, (m[2] as string).trim());
  }
  return blocks.map(({ name, kv }) => domStatsFrom(name, kv));
}

/**
 * One domain's stats from its `key → value` pairs: as virsh prints them with --raw (decimal text), or
 * as libvirt's typed parameters read over its RPC socket (parse-rpc.ts: integers as numbers) — the
 * same values give the same stats.
 */
export function domStatsFrom(name: string, kv: ReadonlyMap<string, string | number>): DomStats {
  const g = (k: string): string | number | undefined => kv.get(k);
  const str = (k: string): string | undefined => { const v = kv.get(k); return v === undefined ? undefined : String(v); };
  const vcpuMax = int(g('vcpu.maximum')) ?? int(g('vcpu.current')) ?? 0;
  const vcpuStats: RawLibvirt['vcpuStats'] = [];
  for (let i = 0; i < vcpuMax; i++) {
    if (!kv.has(`vcpu.${i}.state`) && !kv.has(`vcpu.${i}.time`)) continue;
    vcpuStats.push({ index: i, state: int(g(`vcpu.${i}.state`)), timeUsec: nsToUsec(g(`vcpu.${i}.time`)),
      waitUsec: nsToUsec(g(`vcpu.${i}.wait`)), delayUsec: nsToUsec(g(`vcpu.${i}.delay`)) });
  }
  const hasBalloon = [...kv.keys()].some((k) => k.startsWith('balloon.'));
  const nets: DomStats['nets'] = [];
  for (let i = 0; i < (int(g('net.count')) ?? 0); i++) {
    const ifname = str(`net.${i}.name`);
    if (ifname === undefined) continue;
    nets.push({ ifname, rxBytes: int(g(`net.${i}.rx.bytes`)), rxPackets: int(g(`net.${i}.rx.pkts`)), rxDropped: int(g(`net.${i}.rx.drop`)),
      txBytes: int(g(`net.${i}.tx.bytes`)), txPackets: int(g(`net.${i}.tx.pkts`)), txDropped: int(g(`net.${i}.tx.drop`)) });
  }
  const blocksOut: DomStats['blocks'] = [];
  for (let i = 0; i < (int(g('block.count')) ?? 0); i++) {
    const bname = str(`block.${i}.name`);
    if (bname === undefined) continue;
    blocksOut.push({
      name: bname, path: str(`block.${i}.path`) ?? null,
      readOps: int(g(`block.${i}.rd.reqs`)), readBytes: int(g(`block.${i}.rd.bytes`)), readTimeUsec: nsToUsec(g(`block.${i}.rd.times`)),
      writeOps: int(g(`block.${i}.wr.reqs`)), writeBytes: int(g(`block.${i}.wr.bytes`)), writeTimeUsec: nsToUsec(g(`block.${i}.wr.times`)),
      flushOps: int(g(`block.${i}.fl.reqs`)), flushTimeUsec: nsToUsec(g(`block.${i}.fl.times`)),
    });
  }
  return {
    name,
    stateCode: int(g('state.state')),
    vcpuStats,
    balloon: hasBalloon
      ? { currentKiB: int(g('balloon.current')), maximumKiB: int(g('balloon.maximum')), rssKiB: int(g('balloon.rss')),
        usableKiB: int(g('balloon.usable')), unusedKiB: int(g('balloon.unused')), availableKiB: int(g('balloon.available')) }
      : null,
    cpuTimeUsec: nsToUsec(g('cpu.time')), cpuUserUsec: nsToUsec(g('cpu.user')), cpuSystemUsec: nsToUsec(g('cpu.system')),
    nets,
    blocks: blocksOut,
  };
}

/**
 * virsh's stderr (`error: Unable to …\nerror: internal error: Child process (…) … \nWe have …`) → one
 * line: the generic "Unable to …" preface is dropped, the rest joined with '; '.
 */
export function virshErrorLine(stderr: string, stdout = ''): string {
  const lines = (stderr.trim() || stdout.trim()).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const parts = lines.map((l) => l.replace(/^error:\s*/, '').replace(/^internal error:\s*/, ''));
  const specific = parts.length > 1 ? parts.filter((p, i) => !(i === 0 && /^(Unable to|Failed to|failed to get)\b/.test(p) && parts.length > 1)) : parts;
  return specific.join('; ') || 'virsh failed without a message';
}
