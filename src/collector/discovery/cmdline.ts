// Owns the pure parsing of a QEMU command line: is this QEMU, and what it says about the guest
// (-name guest=NAME / -name NAME, -uuid, -smbios type=1,uuid=, -id VMID, -qmp, -chardev socket + -mon
// mode=control, -pidfile, -smp, -cpu, -netdev tap with ifname=/fd=/fds=, -device …,netdev=,mac=,
// -nic/-net tap). Values may be QEMU keyval (`,,` escapes a comma) or JSON (libvirt ≥ 7 for -netdev
// and -device).

/** basename of argv[0] or the exe link that marks a QEMU system emulator. */
export function isQemuExecutable(path: string): boolean {
  const base = path.replace(/ \(deleted\)$/, '').split('/').pop() ?? '';
  return /^qemu-system-[A-Za-z0-9_]+$/.test(base) || base === 'qemu-kvm' || base === 'kvm';
}

export interface KeyVal { implied: string | null; kv: Map<string, string> }

/** Split a QEMU option value `a,b=c,d=e,,f` into an implied first value and key=value pairs. */
export function parseKeyval(s: string): KeyVal {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === ',') {
      if (s[i + 1] === ',') { cur += ','; i++; continue; }
      items.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  items.push(cur);
  const kv = new Map<string, string>();
  let implied: string | null = null;
  items.forEach((it, idx) => {
    const eq = it.indexOf('=');
    if (eq < 0) {
      if (idx === 0) implied = it;
      else kv.set(it, 'on');           // boolean shorthand (`server`, `nowait`)
    } else {
      kv.set(it.slice(0, eq), it.slice(eq + 1));
    }
  });
  return { implied, kv };
}

/** An option value as key→string, whether keyval or JSON (`{"type":"tap","fd":"29"}`). */
function optionMap(value: string, impliedKey: string): Map<string, string> {
  const t = value.trim();
  if (t.startsWith('{')) {
    try {
      const obj = JSON.parse(t) as Record<string, unknown>;
      const m = new Map<string, string>();
      for (const [k, v] of Object.entries(obj)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') m.set(k, String(v));
      }
      return m;
    } catch {
      return new Map();
    }
  }
  const { implied, kv } = parseKeyval(t);
  if (implied !== null && !kv.has(impliedKey)) kv.set(impliedKey, implied);
  return kv;
}

const truthy = (v: string | undefined): boolean => v === 'on' || v === 'true' || v === 'yes';

export interface QmpSocketRef {
  path: string;
  /** `-qmp` or a `-chardev` bound to a `-mon mode=control` */
  via: 'qmp' | 'chardev';
  chardevId: string | null;
}

export interface NetdevRef {
  id: string | null;
  type: string;
  ifname: string | null;
  fds: number[];
  mac: string | null;
}

export interface QemuCmdline {
  exe: string;
  name: string | null;
  uuid: string | null;
  vmid: string | null;
  pidfile: string | null;
  smp: number | null;
  cpuModel: string | null;
  /** control (QMP) server sockets in command-line order */
  qmpSockets: QmpSocketRef[];
  /** every chardev socket path (also client sockets such as Proxmox's qmeventd) */
  chardevPaths: string[];
  netdevs: NetdevRef[];
  /** signs of a libvirt-started QEMU: the `charmonitor` chardev or paths under libvirt's runtime dirs */
  libvirtHint: boolean;
}

function parseSmp(v: string): number | null {
  const m = optionMap(v, 'cpus');
  const cpus = m.get('cpus');
  if (cpus !== undefined && /^\d+$/.test(cpus)) return Number(cpus);
  const parts = ['sockets', 'dies', 'clusters', 'cores', 'threads'].map((k) => m.get(k));
  if (m.has('sockets') && m.has('cores') && m.has('threads')) {
    return parts.reduce((acc: number, p) => acc * (p && /^\d+$/.test(p) ? Number(p) : 1), 1);
  }
  return null;
}

/** Parse argv of a QEMU process. Returns null when argv is not QEMU. */
export function parseQemuCmdline(argv: readonly string[]): QemuCmdline | null {
  const exe = argv[0];
  if (exe === undefined || !isQemuExecutable(exe)) return null;
  const out: QemuCmdline = {
    exe, name: null, uuid: null, vmid: null, pidfile: null, smp: null, cpuModel: null,
    qmpSockets: [], chardevPaths: [], netdevs: [],
    libvirtHint: argv.some((a) => a.includes('/libvirt/qemu/domain-') || a.includes('id=charmonitor') || a.includes('"id":"charmonitor"')),
  };
  const chardevs = new Map<string, { path: string; server: boolean }>();
  const controlMons: string[] = [];
  const netdevById = new Map<string, NetdevRef>();
  const macByNetdev = new Map<string, string>();
  let smbiosUuid: string | null = null;
  for (let i = 1; i < argv.length; i++) {
    const raw = argv[i] as string;
    if (!raw.startsWith('-')) continue;
    const opt = raw.replace(/^--?/, '');
    const val = argv[i + 1];
    const take = (): string | null => { if (val === undefined) return null; i++; return val; };
    switch (opt) {
      case 'name': {
        const v = take(); if (v === null) break;
        const m = optionMap(v, 'guest');
        out.name = m.get('guest') ?? null;
        break;
      }
      case 'uuid': { const v = take(); if (v !== null) out.uuid = v.trim().toLowerCase(); break; }
      case 'smbios': {
        const v = take(); if (v === null) break;
        const m = optionMap(v, 'file');
        if (m.get('type') === '1' && m.get('uuid')) smbiosUuid = (m.get('uuid') as string).toLowerCase();
        break;
      }
      case 'id': { const v = take(); if (v !== null && /^\d+$/.test(v.trim())) out.vmid = v.trim(); break; }
      case 'pidfile': { const v = take(); if (v !== null) out.pidfile = v; break; }
      case 'smp': { const v = take(); if (v !== null) out.smp = parseSmp(v); break; }
      case 'cpu': { const v = take(); if (v !== null) out.cpuModel = optionMap(v, 'model').get('model') ?? null; break; }
      case 'qmp': case 'qmp-pretty': {
        const v = take(); if (v === null) break;
        const { implied, kv } = parseKeyval(v);
        const server = kv.has('server') ? truthy(kv.get('server')) : true;
        if (implied?.startsWith('unix:') && server) {
          out.qmpSockets.push({ path: implied.slice(5), via: 'qmp', chardevId: null });
        }
        break;
      }
      case 'chardev': {
        const v = take(); if (v === null) break;
        const m = optionMap(v, 'backend');
        if ((m.get('backend') ?? m.get('type')) !== 'socket') break;
        const p = m.get('path');
        if (p) {
          out.chardevPaths.push(p);
          const id = m.get('id');
          if (id) chardevs.set(id, { path: p, server: truthy(m.get('server')) });
        }
        break;
      }
      case 'mon': {
        const v = take(); if (v === null) break;
        const m = optionMap(v, 'chardev');
        if (m.get('mode') === 'control' && m.get('chardev')) controlMons.push(m.get('chardev') as string);
        break;
      }
      case 'netdev': case 'nic': case 'net': {
        const v = take(); if (v === null) break;
        const m = optionMap(v, 'type');
        const type = m.get('type') ?? '';
        if (opt === 'net' && type === 'nic') {
          break;
        }
        if (type !== 'tap' && type !== 'bridge') break;
        const fdText = m.get('fds') ?? m.get('fd');
        const fds = fdText ? fdText.split(':').filter((s) => /^\d+$/.test(s)).map(Number) : [];
        const nd: NetdevRef = { id: m.get('id') ?? null, type, ifname: m.get('ifname') ?? null, fds, mac: opt === 'nic' ? m.get('mac') ?? null : null };
        out.netdevs.push(nd);
        if (nd.id) netdevById.set(nd.id, nd);
        break;
      }
      case 'device': {
        const v = take(); if (v === null) break;
        const m = optionMap(v, 'driver');
        const nd = m.get('netdev');
        const mac = m.get('mac');
        if (nd && mac) macByNetdev.set(nd, mac.toLowerCase());
        break;
      }
      default:
        break;
    }
  }
  for (const id of controlMons) {
    const c = chardevs.get(id);
    if (c && c.server) out.qmpSockets.push({ path: c.path, via: 'chardev', chardevId: id });
  }
  for (const [id, mac] of macByNetdev) {
    const nd = netdevById.get(id);
    if (nd) nd.mac = mac;
  }
  if (out.uuid === null) out.uuid = smbiosUuid;
  return out;
}
