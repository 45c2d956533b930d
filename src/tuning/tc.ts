// Owns what tuning needs to know about tc on this host: which features the kernel has (sfq, the
// police action, ifb) — detected once by trying them on `lo` in a scratch network namespace that is
// always deleted — and the current tc state of one interface (qdiscs from `tc -j qdisc show`, HTB
// classes and ingress filters from tc's text output, which has no JSON for htb classes on this
// iproute2). Parsers are pure; readers are a few runner calls. Commands for a guest whose QEMU lives in
// another network namespace run through `nsenter --net=/proc/<pid>/ns/net`.

import { VirtuneError } from '../engine/model/errors.js';
import type { CommandRunner } from '../engine/ports/command-runner.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import { parseHtbClasses, parseQdiscJson, type HtbClass, type TcQdisc } from '../collector/tc/parse.js';
import { parseFdinfoIff } from '../collector/qmp/parse.js';

export type { HtbClass, TcQdisc };

export interface TcCaps {
  sfq: boolean; police: boolean; ifb: boolean;
  /** set when the capabilities are assumed, not known (a preview before the first probe) */
  assumed?: string;
}

const CAPS_FILE = 'tc-caps.json';
const MODULES: Record<keyof Omit<TcCaps, 'assumed'>, string> = { sfq: 'sch_sfq', police: 'act_police', ifb: 'ifb' };

function kernelRelease(fs: HostFs): string | null {
  try { return fs.readText('/proc/sys/kernel/osrelease').trim() || null; } catch { return null; }
}

/** Remember a probe's result for this kernel, so previews can use it without probing. */
export function saveTcCaps(stateFs: HostFs, stateDir: string, hostFs: HostFs, caps: TcCaps): void {
  const release = kernelRelease(hostFs);
  if (!release) return;
  const file = `${stateDir}/${CAPS_FILE}`;
  if (stateFs.exists(`${file}.tmp`)) stateFs.unlink(`${file}.tmp`);
  stateFs.appendDurable(`${file}.tmp`, JSON.stringify({ kernel: release, sfq: caps.sfq, police: caps.police, ifb: caps.ifb }) + '\n');
  stateFs.rename(`${file}.tmp`, file);
}

/**
 * tc capabilities without touching the host (previews): the probe result a write-enabled engine cached
 * for this kernel, else the kernel's module lists (/proc/modules, modules.builtin, modules.dep), else an
 * assumption (no sfq, no police, IFB) that the plan states as a warning.
 */
export function cachedTcCaps(stateFs: HostFs, stateDir: string, hostFs: HostFs): TcCaps {
  const release = kernelRelease(hostFs);
  try {
    const c = JSON.parse(stateFs.readText(`${stateDir}/${CAPS_FILE}`)) as Record<string, unknown>;
    if (release !== null && c.kernel === release && [c.sfq, c.police, c.ifb].every((v) => typeof v === 'boolean')) {
      return { sfq: c.sfq as boolean, police: c.police as boolean, ifb: c.ifb as boolean };
    }
  } catch { /* no cache yet */ }
  const lists: string[] = [];
  for (const f of ['/proc/modules', ...(release ? [`/lib/modules/${release}/modules.builtin`, `/lib/modules/${release}/modules.dep`] : [])]) {
    try { lists.push(hostFs.readText(f)); } catch { /* not there (a monolithic kernel has none) */ }
  }
  if (lists.length > 0) {
    const text = lists.join('\n');
    const has = (m: string): boolean => new RegExp(`(^|/)${m}(\\.ko\\S*)?(:|\\s|$)`, 'm').test(text);
    return { sfq: has(MODULES.sfq), police: has(MODULES.police), ifb: has(MODULES.ifb) };
  }
  return { sfq: false, police: false, ifb: true,
    assumed: 'this kernel\'s tc features are not known yet (no module list, not probed yet): the preview assumes no sfq and no act_police; applying probes them once in a scratch namespace and may plan differently' };
}

export interface TapState {
  ifname: string;
  qdiscs: TcQdisc[];
  classes: HtbClass[];
  /** text of `tc filter show dev IF ingress` */
  ingressFilters: string;
  ifb: { name: string; exists: boolean; classes: HtbClass[] };
}

/** The IFB device virtune uses for a tap (≤ 15 characters). Pure. */
export function ifbName(ifname: string): string {
  const n = `vtb${ifname}`;
  if (n.length <= 15) return n;
  let h = 5381;
  for (const ch of ifname) h = ((h * 33) ^ ch.charCodeAt(0)) >>> 0;
  return `vtb${h.toString(16).padStart(8, '0')}`;
}

/** argv prefix that runs a command in the guest's network namespace (empty when it is ours). */
export function netnsPrefix(fs: HostFs, pid: number): string[] {
  try {
    const theirs = fs.readLink(`/proc/${pid}/ns/net`);
    const ours = fs.readLink('/proc/self/ns/net');
    return theirs === ours ? [] : ['nsenter', `--net=${fs.resolve(`/proc/${pid}/ns/net`)}`];
  } catch {
    return [];
  }
}

async function ok(runner: CommandRunner, argv: string[]): Promise<boolean> {
  const r = await runner.run(argv, { timeoutMs: 10_000 });
  return r.code === 0;
}

/** Try sfq, police and ifb once on `lo` in a scratch namespace (deleted afterwards, also on failure). */
export async function detectTcCaps(runner: CommandRunner): Promise<TcCaps> {
  if (!runner.has('tc') || !runner.has('ip')) throw new VirtuneError(1, 'network shaping needs the tc and ip programs (iproute2)');
  const ns = `vtprobe${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 30);
  const add = await runner.run(['ip', 'netns', 'add', ns]);
  if (add.code !== 0) throw new VirtuneError(1, `cannot create a scratch network namespace to probe tc: ${add.stderr.trim()}`);
  const inNs = (a: string[]): string[] => ['ip', 'netns', 'exec', ns, ...a];
  try {
    await runner.run(inNs(['ip', 'link', 'set', 'lo', 'up']));
    await runner.run(inNs(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '1']));
    await runner.run(inNs(['tc', 'class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '1mbit']));
    const sfq = await ok(runner, inNs(['tc', 'qdisc', 'add', 'dev', 'lo', 'parent', '1:1', 'handle', '2:', 'sfq', 'perturb', '10']));
    await runner.run(inNs(['tc', 'qdisc', 'add', 'dev', 'lo', 'handle', 'ffff:', 'ingress']));
    const police = await ok(runner, inNs(['tc', 'filter', 'add', 'dev', 'lo', 'parent', 'ffff:', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
      'police', 'rate', '1mbit', 'burst', '16k', 'drop', 'flowid', ':1']));
    const ifb = await ok(runner, inNs(['ip', 'link', 'add', 'vtprobeifb', 'type', 'ifb']));
    return { sfq, police, ifb };
  } finally {
    await runner.run(['ip', 'netns', 'del', ns]);
  }
}

/** Current tc state of a tap (null when the interface does not exist in the guest's namespace). */
export async function readTapState(runner: CommandRunner, prefix: string[], ifname: string): Promise<TapState | null> {
  const q = await runner.run([...prefix, 'tc', '-j', 'qdisc', 'show', 'dev', ifname]);
  if (q.code !== 0) {
    if (/cannot find device|does not exist/i.test(q.stderr)) return null;
    throw new VirtuneError(1, `tc qdisc show dev ${ifname} failed: ${q.stderr.trim()}`);
  }
  const c = await runner.run([...prefix, 'tc', 'class', 'show', 'dev', ifname]);
  const f = await runner.run([...prefix, 'tc', 'filter', 'show', 'dev', ifname, 'ingress']);
  const name = ifbName(ifname);
  const l = await runner.run([...prefix, 'ip', 'link', 'show', 'dev', name]);
  const ic = l.code === 0 ? await runner.run([...prefix, 'tc', 'class', 'show', 'dev', name]) : null;
  return {
    ifname,
    qdiscs: parseQdiscJson(q.stdout),
    classes: parseHtbClasses(c.stdout),
    ingressFilters: f.code === 0 ? f.stdout : '',
    ifb: { name, exists: l.code === 0, classes: ic ? parseHtbClasses(ic.stdout) : [] },
  };
}

/** Tap names a QEMU process holds open (/proc/<pid>/fdinfo `iff:` of /dev/net/tun descriptors). */
export function tapsOfPid(fs: HostFs, pid: number): string[] {
  const out: string[] = [];
  let fds: string[];
  try { fds = fs.readDir(`/proc/${pid}/fd`); } catch { return out; }
  for (const fd of fds) {
    let target: string;
    try { target = fs.readLink(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    if (target !== '/dev/net/tun') continue;
    try {
      const name = parseFdinfoIff(fs.readText(`/proc/${pid}/fdinfo/${fd}`)); // the collector's parser
      if (name) out.push(name);
    } catch { /* closed meanwhile */ }
  }
  return out;
}
