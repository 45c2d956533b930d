// Owns the parsing of libvirt's domain XML (`virsh dumpxml`, live or --inactive) and of the status
// XML in /run/libvirt/qemu/<name>.xml (QEMU pid, vCPU thread ids) into the RawLibvirt shapes. Pure.

import { HostError } from '../../engine/model/errors.js';
import type { RawLibvirt, RawLibvirtBandwidth, RawLibvirtCputune } from '../../engine/model/sample.js';
import { child, childText, children, parseXml, type XmlElement } from './parse-xml.js';

/** What one domain XML tells (no runtime counters). */
export type DomainXmlInfo = Pick<RawLibvirt,
  'domId' | 'uuid' | 'vcpuCount' | 'maxMemoryKiB' | 'currentMemoryKiB' | 'partition' | 'cputune' | 'numatune' |
  'blkiotune' | 'memtune' | 'memoryBacking' | 'disks' | 'interfaces'> & { name: string | null; type: string | null };

const int = (s: string | null | undefined): number | null => {
  if (s === null || s === undefined) return null;
  const t = s.trim();
  return /^-?\d+$/.test(t) ? Number(t) : null;
};

const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024,
  g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024, t: 1024 ** 3, tib: 1024 ** 3, tb: 1e12 / 1024,
};

/** A `<memory unit='MiB'>64</memory>`-style value in KiB (libvirt's default unit is KiB). */
export function sizeKiB(el: XmlElement | null): number | null {
  if (!el) return null;
  const v = int(el.text);
  if (v === null) return null;
  const factor = UNIT_KIB[(el.attrs.unit ?? 'KiB').toLowerCase()];
  return factor === undefined ? null : Math.round(v * factor);
}

function parseCputune(el: XmlElement | null): RawLibvirtCputune | null {
  if (!el) return null;
  return {
    shares: int(childText(el, 'shares')),
    period: int(childText(el, 'period')), quota: int(childText(el, 'quota')),
    globalPeriod: int(childText(el, 'global_period')), globalQuota: int(childText(el, 'global_quota')),
    emulatorPeriod: int(childText(el, 'emulator_period')), emulatorQuota: int(childText(el, 'emulator_quota')),
    iothreadPeriod: int(childText(el, 'iothread_period')), iothreadQuota: int(childText(el, 'iothread_quota')),
    vcpupin: children(el, 'vcpupin').flatMap((p) => {
      const vcpu = int(p.attrs.vcpu);
      return vcpu === null || p.attrs.cpuset === undefined ? [] : [{ vcpu, cpuset: p.attrs.cpuset }];
    }),
    emulatorpin: child(el, 'emulatorpin')?.attrs.cpuset ?? null,
    iothreadpin: children(el, 'iothreadpin').flatMap((p) => {
      const iothread = int(p.attrs.iothread);
      return iothread === null || p.attrs.cpuset === undefined ? [] : [{ iothread, cpuset: p.attrs.cpuset }];
    }),
  };
}

function parseBandwidth(el: XmlElement | null): RawLibvirtBandwidth | null {
  if (!el) return null;
  return { average: int(el.attrs.average), peak: int(el.attrs.peak), burst: int(el.attrs.burst), floor: int(el.attrs.floor) };
}

function parseDisk(d: XmlElement): RawLibvirt['disks'][number] | null {
  const target = child(d, 'target')?.attrs.dev;
  if (!target) return null;
  const src = child(d, 'source');
  const iotune: Record<string, number | string> = {};
  for (const c of child(d, 'iotune')?.children ?? []) {
    const v = int(c.text);
    iotune[c.name] = v === null ? c.text : v;
  }
  return {
    target,
    alias: child(d, 'alias')?.attrs.name ?? null,
    source: src ? (src.attrs.file ?? src.attrs.dev ?? src.attrs.name ?? src.attrs.volume ?? null) : null,
    type: d.attrs.type ?? null,
    device: d.attrs.device ?? null,
    bus: child(d, 'target')?.attrs.bus ?? null,
    cache: child(d, 'driver')?.attrs.cache ?? null,
    qomPath: child(d, 'privateData/qom')?.attrs.name ?? null,
    iotune,
  };
}

function parseInterface(n: XmlElement): RawLibvirt['interfaces'][number] {
  const bw = child(n, 'bandwidth');
  return {
    ifname: child(n, 'target')?.attrs.dev ?? null,
    mac: child(n, 'mac')?.attrs.address ?? null,
    type: n.attrs.type ?? null,
    model: child(n, 'model')?.attrs.type ?? null,
    alias: child(n, 'alias')?.attrs.name ?? null,
    inbound: parseBandwidth(child(bw, 'inbound')),
    outbound: parseBandwidth(child(bw, 'outbound')),
  };
}

/** The `<domain>` element (of dumpxml or nested in a status XML) → DomainXmlInfo. */
export function domainInfoFromElement(dom: XmlElement): DomainXmlInfo {
  const numa = child(dom, 'numatune/memory');
  const blk = child(dom, 'blkiotune');
  const mt = child(dom, 'memtune');
  const mb = child(dom, 'memoryBacking');
  const devices = child(dom, 'devices');
  return {
    name: childText(dom, 'name'),
    type: dom.attrs.type ?? null,
    domId: int(dom.attrs.id),
    uuid: childText(dom, 'uuid')?.toLowerCase() ?? null,
    vcpuCount: int(child(dom, 'vcpu')?.attrs.current) ?? int(childText(dom, 'vcpu')),
    maxMemoryKiB: sizeKiB(child(dom, 'memory')),
    currentMemoryKiB: sizeKiB(child(dom, 'currentMemory')),
    partition: childText(dom, 'resource/partition'),
    cputune: parseCputune(child(dom, 'cputune')),
    numatune: child(dom, 'numatune')
      ? { mode: numa?.attrs.mode ?? null, nodeset: numa?.attrs.nodeset ?? null, placement: numa?.attrs.placement ?? null }
      : null,
    blkiotune: blk
      ? {
        weight: int(childText(blk, 'weight')),
        devices: children(blk, 'device').map((d) => ({
          path: childText(d, 'path') ?? '',
          weight: int(childText(d, 'weight')),
          readIopsSec: int(childText(d, 'read_iops_sec')),
          writeIopsSec: int(childText(d, 'write_iops_sec')),
          readBytesSec: int(childText(d, 'read_bytes_sec')),
          writeBytesSec: int(childText(d, 'write_bytes_sec')),
        })),
      }
      : null,
    memtune: mt
      ? { hardLimitKiB: sizeKiB(child(mt, 'hard_limit')), softLimitKiB: sizeKiB(child(mt, 'soft_limit')),
        swapHardLimitKiB: sizeKiB(child(mt, 'swap_hard_limit')) }
      : null,
    memoryBacking: mb
      ? {
        hugepages: child(mb, 'hugepages') !== null,
        pageSizesKiB: children(child(mb, 'hugepages'), 'page').flatMap((p) => {
          const size = int(p.attrs.size);
          if (size === null) return [];
          const f = UNIT_KIB[(p.attrs.unit ?? 'KiB').toLowerCase()] ?? 1;
          return [Math.round(size * f)];
        }),
        locked: child(mb, 'locked') !== null,
        nosharepages: child(mb, 'nosharepages') !== null,
        source: child(mb, 'source')?.attrs.type ?? null,
        access: child(mb, 'access')?.attrs.mode ?? null,
        allocation: child(mb, 'allocation')?.attrs.mode ?? null,
      }
      : null,
    disks: children(devices, 'disk').flatMap((d) => { const x = parseDisk(d); return x ? [x] : []; }),
    interfaces: children(devices, 'interface').map(parseInterface),
  };
}

/** `virsh dumpxml DOM` (live or --inactive) → DomainXmlInfo. Throws HostError('parse'). */
export function parseDomainXml(text: string): DomainXmlInfo {
  const root = parseXml(text);
  if (root.name !== 'domain') throw new HostError('parse', `expected <domain>, got <${root.name}>`);
  return domainInfoFromElement(root);
}

export interface DomainStatus {
  state: string | null;
  pid: number | null;
  vcpus: Array<{ index: number; tid: number }>;
  iothreads: Array<{ id: number; tid: number }>;
  domain: DomainXmlInfo | null;
}

/** /run/libvirt/qemu/<name>.xml (`<domstatus>`): QEMU pid, vCPU thread ids and the live domain. */
export function parseStatusXml(text: string): DomainStatus {
  const root = parseXml(text);
  if (root.name !== 'domstatus') throw new HostError('parse', `expected <domstatus>, got <${root.name}>`);
  const dom = child(root, 'domain');
  return {
    state: root.attrs.state ?? null,
    pid: int(root.attrs.pid),
    vcpus: children(child(root, 'vcpus'), 'vcpu').flatMap((v) => {
      const index = int(v.attrs.id);
      const tid = int(v.attrs.pid);
      return index === null || tid === null ? [] : [{ index, tid }];
    }),
    iothreads: children(child(root, 'iothreads'), 'iothread').flatMap((v) => {
      const id = int(v.attrs.id);
      const tid = int(v.attrs.pid);
      return id === null || tid === null ? [] : [{ id, tid }];
    }),
    domain: dom ? domainInfoFromElement(dom) : null,
  };
}
