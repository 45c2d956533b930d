// Owns the demo's CommandRunner: every program a demo engine would run (tc, ip, nsenter) is answered by
// a simulated kernel network stack instead of this host — no process is ever spawned. It keeps the tc
// state of the demo's taps (root HTB + class, sfq leaf, ingress with a policer or a redirect to an IFB
// device), prints it in tc's own formats (`tc -j qdisc show`, `tc class show`, `tc filter show`), and
// writes the effective limits into the tree's shaping file, which the simulation reads to cap the
// guest's traffic. Scratch namespaces (`ip netns add`) get their own `lo`. Anything else it does not
// simulate (virsh, taskset, prlimit, numad) answers "not simulated" with exit 127 and has() is false
// (demo guests are pinned through their vcpuN/ and emulator/ cpuset groups, never by taskset).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandRunner, RunOptions, RunResult } from '../engine/ports/command-runner.js';
import { formatShaping, parseShaping, SHAPING_FILE, type TapShaping } from './net-shaping.js';

interface HtbClassState { rateKbit: number; ceilKbit: number; burst: string }
interface FilterState { policeKbit: number | null; burst: string; redirect: string | null }
interface DevState {
  kind: 'tap' | 'lo' | 'ifb';
  up: boolean;
  root: { kind: string; handle: string } | null;
  classes: Map<string, HtbClassState>;
  leaf: { kind: string; handle: string; parent: string } | null;
  ingress: boolean;
  filters: FilterState[];
}
type Net = Map<string, DevState>;

const PROGRAMS = new Set(['tc', 'ip', 'nsenter']);

class Fail extends Error {
  constructor(message: string, readonly code = 2) { super(message); }
}

function newDev(kind: DevState['kind']): DevState {
  return { kind, up: kind !== 'ifb', root: null, classes: new Map(), leaf: null, ingress: false, filters: [] };
}

const RATE_UNIT: Record<string, number> = { bit: 1e-3, kbit: 1, mbit: 1e3, gbit: 1e6, tbit: 1e9, bps: 8e-3, kbps: 8, mbps: 8e3, gbps: 8e6 };

/** tc's rate syntax (`10mbit`, `500kbit`, `1500bit`, `1mbps`) in kbit/s; a bare number is bit/s. */
export function parseRateKbit(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return null;
  const unit = m[2] === '' ? 1e-3 : RATE_UNIT[(m[2] as string).toLowerCase()];
  const v = unit === undefined ? NaN : Number(m[1]) * unit;
  return Number.isFinite(v) && v > 0 ? v : null;
}

/** A rate as tc prints it (SI prefixes, `Kbit`/`Mbit`/`Gbit`). */
export function formatRate(kbit: number): string {
  const bit = kbit * 1000;
  if (bit >= 1e9 && bit % 1e6 === 0) return `${bit / 1e9}Gbit`;
  if (bit >= 1e6 && bit % 1e3 === 0) return `${bit / 1e6}Mbit`;
  if (bit >= 1e3) return `${bit / 1e3}Kbit`;
  return `${bit}bit`;
}

function opt(args: readonly string[], key: string): string | undefined {
  const i = args.indexOf(key);
  return i >= 0 ? args[i + 1] : undefined;
}

export class SimulatedRunner implements CommandRunner {
  private readonly nets = new Map<string, Net>();
  /** every argv asked for, in order (what the demo "ran") */
  readonly log: string[][] = [];

  /** `root` is the demo tree; its /sys/class/net entries are the taps that exist. */
  constructor(private readonly root: string) {
    const host: Net = new Map([['lo', newDev('lo')]]);
    let names: string[] = [];
    try { names = fs.readdirSync(path.join(root, 'sys/class/net')); } catch { /* no NICs */ }
    for (const n of names) if (n !== 'lo') host.set(n, newDev('tap'));
    this.nets.set('', host);
    // the demo's own shaping (its scenarios, or what an earlier engine of this demo left): the qdiscs
    // `virtune tune --net` would have made for it, so tc shows them and a change or undo starts there
    let shaped = new Map<string, TapShaping>();
    try { shaped = parseShaping(fs.readFileSync(root + SHAPING_FILE, 'latin1')); } catch { /* none yet */ }
    for (const [name, lim] of shaped) {
      const d = host.get(name);
      if (!d || d.kind !== 'tap') continue;
      if (lim.inKbit !== null) {
        d.root = { kind: 'htb', handle: '1:' };
        d.classes.set('1:1', { rateKbit: lim.inKbit, ceilKbit: lim.inKbit, burst: '1600b' });
      }
      if (lim.outKbit !== null) {
        d.ingress = true;
        d.filters.push({ policeKbit: lim.outKbit, burst: '16Kb', redirect: null });
      }
    }
  }

  has(program: string): boolean {
    return PROGRAMS.has(program);
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const t0 = performance.now();
    this.log.push([...argv]);
    let stdout = '';
    let stderr = '';
    let code = 0;
    try {
      stdout = this.exec([...argv], opts.netns ?? '');
    } catch (e) {
      code = e instanceof Fail ? e.code : 1;
      stderr = (e instanceof Error ? e.message : String(e)) + '\n';
    }
    return { argv: [...argv], code, signal: null, stdout, stderr, timedOut: false, truncated: false, durationMs: performance.now() - t0 };
  }

  private exec(argv: string[], ns: string): string {
    const [prog, ...rest] = argv;
    if (prog === 'nsenter') {
      // the demo's guests share the host's namespace: run the command after the options
      const i = rest.findIndex((a) => !a.startsWith('-'));
      return this.exec(i < 0 ? [] : rest.slice(i), ns);
    }
    if (prog === 'ip' && rest[0] === 'netns') return this.netns(rest.slice(1), ns);
    const net = this.nets.get(ns);
    if (!net) throw new Fail(`Cannot open network namespace "${ns}": No such file or directory`, 1);
    if (prog === 'ip' && rest[0] === 'link') return this.link(net, rest.slice(1), ns);
    if (prog === 'tc') {
      const json = rest[0] === '-j';
      const out = this.tc(net, json ? rest.slice(1) : rest, json);
      if (ns === '') this.publish(net);
      return out;
    }
    throw new Fail(`demo host: '${prog ?? ''}' is not simulated (nothing was run on this machine)`, 127);
  }

  private netns(args: string[], ns: string): string {
    const [verb, name, ...rest] = args;
    if (!name) throw new Fail('Usage: ip netns add|del|exec NAME');
    if (verb === 'add') {
      if (this.nets.has(name)) throw new Fail(`Cannot create namespace file "/run/netns/${name}": File exists`, 1);
      this.nets.set(name, new Map([['lo', { ...newDev('lo'), up: false }]]));
      return '';
    }
    if (verb === 'del' || verb === 'delete') {
      if (!this.nets.delete(name)) throw new Fail(`Cannot remove namespace file "/run/netns/${name}": No such file or directory`, 1);
      return '';
    }
    if (verb === 'exec') return this.exec(rest, name);
    void ns;
    throw new Fail(`Command "${verb ?? ''}" is unknown, try "ip netns help".`, 1);
  }

  private dev(net: Net, name: string | undefined): DevState {
    const d = name === undefined ? undefined : net.get(name);
    if (!d) throw new Fail(`Cannot find device "${name ?? ''}"`, 1);
    return d;
  }

  private link(net: Net, args: string[], ns: string): string {
    const [verb, ...rest] = args;
    if (verb === 'show') {
      const name = rest[0] === 'dev' ? rest[1] : rest[0];
      const d = net.get(name ?? '');
      if (!d) throw new Fail(`Device "${name ?? ''}" does not exist.`, 1);
      return `1: ${name}: <BROADCAST,NOARP${d.up ? ',UP,LOWER_UP' : ''}> mtu 1500 qdisc ${d.root?.kind ?? 'noop'} state ${d.up ? 'UNKNOWN' : 'DOWN'} mode DEFAULT group default qlen 32\n`;
    }
    if (verb === 'add') {
      const name = rest[0] === 'name' ? rest[1] : rest[0];
      const type = opt(rest, 'type');
      if (!name || type !== 'ifb') throw new Fail(`demo host: only 'ip link add NAME type ifb' is simulated`, 2);
      if (net.has(name)) throw new Fail('RTNETLINK answers: File exists', 2);
      if (name.length > 15) throw new Fail(`"${name}" not a valid ifname`, 1);
      net.set(name, newDev('ifb'));
      return '';
    }
    if (verb === 'set') {
      const name = rest[0] === 'dev' ? rest[1] : rest[0];
      const d = this.dev(net, name);
      if (rest.includes('up')) d.up = true;
      if (rest.includes('down')) d.up = false;
      return '';
    }
    if (verb === 'del' || verb === 'delete') {
      const name = rest[0] === 'dev' ? rest[1] : rest[0];
      const d = this.dev(net, name);
      if (d.kind !== 'ifb') throw new Fail('RTNETLINK answers: Operation not supported', 2);
      net.delete(name as string);
      // a redirect to a device that is gone drops nothing in the simulation: forget it
      for (const other of net.values()) other.filters = other.filters.filter((f) => f.redirect !== name);
      if (ns === '') this.publish(net);
      return '';
    }
    throw new Fail(`demo host: 'ip link ${verb ?? ''}' is not simulated`, 2);
  }

  private tc(net: Net, args: string[], json: boolean): string {
    const [object, verb, ...rest] = args;
    const d = this.dev(net, opt(rest, 'dev'));
    if (object === 'qdisc') return this.qdisc(d, verb ?? '', rest, json);
    if (object === 'class') return this.cls(d, verb ?? '', rest);
    if (object === 'filter') return this.filter(net, d, verb ?? '', rest);
    throw new Fail(`Object "${object ?? ''}" is unknown, try "tc help".`, 1);
  }

  private qdisc(d: DevState, verb: string, a: string[], json: boolean): string {
    if (verb === 'show' || verb === 'list' || verb === 'ls') {
      const rows: Array<Record<string, unknown>> = [];
      rows.push(d.root ? { kind: d.root.kind, handle: d.root.handle, root: true } : { kind: d.kind === 'lo' ? 'noqueue' : 'fq_codel', handle: '0:', root: true });
      if (d.leaf) rows.push({ kind: d.leaf.kind, handle: d.leaf.handle, parent: d.leaf.parent });
      if (d.ingress) rows.push({ kind: 'ingress', handle: 'ffff:', parent: 'ffff:fff1' });
      if (json) return JSON.stringify(rows) + '\n';
      return rows.map((r) => `qdisc ${String(r.kind)} ${String(r.handle)} ${r.root ? 'root' : `parent ${String(r.parent)}`}\n`).join('');
    }
    const handle = opt(a, 'handle');
    if (verb === 'del' || verb === 'delete') {
      if (a.includes('root')) {
        if (!d.root) throw new Fail('Error: Cannot delete qdisc with handle of zero.', 2);
        d.root = null; d.classes.clear(); d.leaf = null;
      } else if (a.includes('ingress')) {
        if (!d.ingress) throw new Fail('Error: Cannot find specified qdisc on specified device.', 2);
        d.ingress = false; d.filters = [];
      } else {
        throw new Fail('demo host: only root and ingress qdiscs can be deleted', 2);
      }
      return '';
    }
    if (verb !== 'add' && verb !== 'replace' && verb !== 'change') throw new Fail(`Command "${verb}" is unknown, try "tc qdisc help".`, 1);
    if (a.includes('ingress')) {
      if (d.ingress && verb === 'add') throw new Fail('Error: Exclusivity flag on, cannot modify.', 2);
      d.ingress = true;
      return '';
    }
    if (a.includes('root')) {
      const kind = a[a.indexOf('root') + (handle !== undefined ? 3 : 1)];
      if (!kind) throw new Fail('Error: qdisc kind is required.', 1);
      if (d.root && verb === 'add') throw new Fail('Error: Exclusivity flag on, cannot modify.', 2);
      if (!d.root || d.root.kind !== kind || d.root.handle !== (handle ?? '0:')) { d.classes.clear(); d.leaf = null; }
      d.root = { kind, handle: handle ?? '0:' };
      return '';
    }
    const parent = opt(a, 'parent');
    if (parent !== undefined) {
      if (!d.classes.has(parent)) throw new Fail('Error: Failed to find specified class.', 2);
      const kind = a[a.indexOf(handle ?? parent) + 1];
      d.leaf = { kind: kind ?? 'pfifo', handle: handle ?? '0:', parent };
      return '';
    }
    throw new Fail('demo host: qdisc needs root, ingress or parent', 2);
  }

  private cls(d: DevState, verb: string, a: string[]): string {
    if (verb === 'show' || verb === 'list' || verb === 'ls') {
      let s = '';
      for (const [id, c] of d.classes) {
        s += `class htb ${id} root ${d.leaf?.parent === id ? `leaf ${d.leaf.handle} ` : ''}prio 0 rate ${formatRate(c.rateKbit)} ceil ${formatRate(c.ceilKbit)} burst ${c.burst} cburst 1600b\n`;
      }
      return s;
    }
    if (verb !== 'add' && verb !== 'change' && verb !== 'replace') throw new Fail(`Command "${verb}" is unknown, try "tc class help".`, 1);
    if (d.root?.kind !== 'htb') throw new Fail('Error: Specified class not found.', 2);
    const id = opt(a, 'classid');
    if (!id) throw new Fail('Error: classid is required.', 1);
    if (verb === 'add' && d.classes.has(id)) throw new Fail('RTNETLINK answers: File exists', 2);
    if (verb === 'change' && !d.classes.has(id)) throw new Fail('RTNETLINK answers: No such file or directory', 2);
    const rate = parseRateKbit(opt(a, 'rate') ?? '');
    if (rate === null) throw new Fail(`Illegal "rate"`, 1);
    const ceilText = opt(a, 'ceil');
    const ceil = ceilText === undefined ? rate : parseRateKbit(ceilText);
    if (ceil === null) throw new Fail(`Illegal "ceil"`, 1);
    d.classes.set(id, { rateKbit: rate, ceilKbit: Math.max(rate, ceil), burst: opt(a, 'burst') ?? '1600b' });
    return '';
  }

  private filter(net: Net, d: DevState, verb: string, a: string[]): string {
    if (verb === 'show' || verb === 'list' || verb === 'ls') {
      if (!a.includes('ingress') || !d.ingress) return '';
      let s = '';
      d.filters.forEach((f, i) => {
        s += `filter parent ffff: protocol all pref 49152 u32 chain 0 fh 800::${800 + i} order 2048 key ht 800 bkt 0 flowid ???\n  match 00000000/00000000 at 0\n`;
        if (f.policeKbit !== null) s += `\tpolice 0x${i + 1} rate ${formatRate(f.policeKbit)} burst ${f.burst} mtu 64Kb action drop overhead 0b\n`;
        if (f.redirect !== null) s += `\taction order 1: mirred (Egress Redirect to device ${f.redirect}) stolen\n`;
      });
      return s;
    }
    if (verb !== 'add' && verb !== 'replace') throw new Fail(`Command "${verb}" is unknown, try "tc filter help".`, 1);
    if (opt(a, 'parent') !== 'ffff:' || !d.ingress) throw new Fail('Error: Parent Qdisc doesn\'t exists.', 2);
    const police = a.includes('police') ? parseRateKbit(opt(a, 'rate') ?? '') : null;
    if (a.includes('police') && police === null) throw new Fail('Illegal "rate"', 1);
    const redirect = a.includes('mirred') ? (opt(a, 'dev') === undefined ? null : a[a.lastIndexOf('dev') + 1] ?? null) : null;
    if (redirect !== null && !net.has(redirect)) throw new Fail(`Cannot find device "${redirect}"`, 1);
    if (police === null && redirect === null) throw new Fail('demo host: only police and mirred redirect filters are simulated', 2);
    d.filters.push({ policeKbit: police, burst: opt(a, 'burst') ?? '16Kb', redirect });
    return '';
  }

  /** Effective limits of the host namespace's taps → the shaping file the simulation reads. */
  private publish(net: Net): void {
    const m = new Map<string, TapShaping>();
    const capOf = (d: DevState | undefined): number | null => {
      if (!d || d.root?.kind !== 'htb') return null;
      const c = d.classes.get(`${d.root.handle.replace(/:.*$/, '')}:1`);
      return c ? c.ceilKbit : null;
    };
    for (const [name, d] of net) {
      if (d.kind !== 'tap') continue;
      let out: number | null = null;
      for (const f of d.ingress ? d.filters : []) {
        const lim = f.policeKbit ?? (f.redirect !== null ? capOf(net.get(f.redirect)) : null);
        if (lim !== null) out = out === null ? lim : Math.min(out, lim);
      }
      m.set(name, { inKbit: capOf(d), outKbit: out });
    }
    const file = this.root + SHAPING_FILE;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, formatShaping(m));
    fs.renameSync(`${file}.tmp`, file);
  }
}
