// Owns the pure classification of a QEMU's cgroup path into a guest layout: libvirt non-systemd
// (`…/qemu-1-vm.libvirt-qemu[/emulator|/vcpuN]`, partitions `*.partition`), libvirt under systemd
// (`…/machine-qemu\x2d1\x2dvm.scope[/libvirt][/emulator]`, custom `machine-*.slice` partitions),
// Proxmox (`/qemu.slice/<vmid>.scope`), plain `machine.slice` scopes (systemd-run), or unknown (a
// shell's session scope, a hand-made group). Also systemd unit-name unescaping (`\x2d` → `-`).

import type { Manager } from '../../engine/model/sample.js';

export interface CgroupClass {
  /** the guest's own group: thread-level children (emulator, vcpuN, iothreadN) and `libvirt/` stripped */
  guestPath: string;
  /** the nested `libvirt/` group of libvirt ≥ 7.1 under systemd, when the path shows it */
  nestedPath: string | null;
  /** a layout a manager makes for exactly one guest */
  known: boolean;
  manager: Manager | null;
  /** name found in the path (libvirt machine name without `qemu-<id>-`, a systemd-run unit name) */
  nameHint: string | null;
  vmid: string | null;
  /** libvirt domain id from the machine name */
  domainId: string | null;
}

/** systemd unit-name unescaping: `\xHH` → the character. */
export function unescapeSystemd(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** libvirt machine name `qemu-<id>-<name>` (also `qemu-embed-<hex>-<id>-<name>`) → id and name. */
export function splitMachineName(machine: string): { id: string | null; name: string } {
  const m = /^qemu-(?:embed-[0-9a-f]{8}-)?(\d+)-(.+)$/.exec(machine);
  if (m) return { id: m[1] as string, name: m[2] as string };
  const old = /^qemu-(.+)$/.exec(machine);
  return { id: null, name: old ? (old[1] as string) : machine };
}

const THREAD_LEVEL = /^(emulator|vcpu\d+|iothread\d+)$/;

export function classifyCgroupPath(path: string): CgroupClass {
  const segs = path.split('/').filter((s) => s !== '');
  const base = (i: number): string => `/${segs.slice(0, i + 1).join('/')}`;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i] as string;
    const next = segs[i + 1];
    if (s.endsWith('.libvirt-qemu')) {
      const { id, name } = splitMachineName(s.slice(0, -'.libvirt-qemu'.length));
      return { guestPath: base(i), nestedPath: null, known: true, manager: 'libvirt', nameHint: name, vmid: null, domainId: id };
    }
    const ms = /^machine-(.+)\.scope$/.exec(s);
    if (ms) {
      const machine = unescapeSystemd(ms[1] as string);
      const nested = next === 'libvirt' ? `${base(i)}/libvirt` : null;
      if (/^qemu-/.test(machine)) {
        const { id, name } = splitMachineName(machine);
        return { guestPath: base(i), nestedPath: nested, known: true, manager: 'libvirt', nameHint: name, vmid: null, domainId: id };
      }
      return { guestPath: base(i), nestedPath: nested, known: true, manager: null, nameHint: machine, vmid: null, domainId: null };
    }
    const pve = /^(\d+)\.scope$/.exec(s);
    if (pve && segs[i - 1] === 'qemu.slice') {
      return { guestPath: base(i), nestedPath: null, known: true, manager: 'proxmox', nameHint: null, vmid: pve[1] as string, domainId: null };
    }
    const scope = /^(.+)\.scope$/.exec(s);
    if (scope && (segs[i - 1] === 'machine.slice' || /^machine-.+\.slice$/.test(segs[i - 1] ?? ''))) {
      const unit = unescapeSystemd(scope[1] as string);
      const hint = /^run-[ur][0-9a-f]+$/.test(unit) ? null : unit;
      return { guestPath: base(i), nestedPath: null, known: true, manager: null, nameHint: hint, vmid: null, domainId: null };
    }
  }
  // unknown layout: drop a trailing thread-level component only when its parent looks per-guest
  let guestPath = path === '' ? '/' : path;
  const last = segs[segs.length - 1];
  if (last && THREAD_LEVEL.test(last) && segs.length > 1) guestPath = base(segs.length - 2);
  return { guestPath, nestedPath: null, known: false, manager: null, nameHint: null, vmid: null, domainId: null };
}
