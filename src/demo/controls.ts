// Owns the demo's control files: the values tuning may write into the tree (cpu.max, cpu.weight,
// cpuset.cpus/mems, io.max, memory.max/high), how the simulated "kernel" parses and normalises them,
// and the cheap poll (stat mtime/size, read only on change) that feeds them into the simulation.

import * as fs from 'node:fs';
import { formatCpuList, parseCpuList } from '../engine/model/cpulist.js';
import { PAGE } from './spec.js';

export interface IoLimit { rbps: number | null; wbps: number | null; riops: number | null; wiops: number | null }

export interface CgControls {
  quota: number | null;   // µs per period, null = max
  period: number;
  weight: number;
  cpus: number[] | null;  // null = empty file = inherit
  mems: number[] | null;
  ioMax: Map<string, IoLimit>;
  memMax: number | null;  // null = max
  memHigh: number | null;
}

export function defaultControls(): CgControls {
  return { quota: null, period: 100000, weight: 100, cpus: null, mems: null, ioMax: new Map(), memMax: null, memHigh: null };
}

export type ControlFile = 'cpu.max' | 'cpu.weight' | 'cpuset.cpus' | 'cpuset.mems' | 'io.max' | 'memory.max' | 'memory.high';
export const DOMAIN_CONTROLS: ControlFile[] = ['cpu.max', 'cpu.weight', 'cpuset.cpus', 'cpuset.mems', 'io.max', 'memory.max', 'memory.high'];
export const THREAD_CONTROLS: ControlFile[] = ['cpu.max', 'cpu.weight', 'cpuset.cpus', 'cpuset.mems'];
/**
 * Control files the kernel keeps per device (one device per write, the other devices' lines stay): the
 * demo's writers append to them (NodeHostFs appendedFiles) and the poller folds every appended line in,
 * so two writes between two polls both take effect.
 */
export const APPENDED_CONTROLS: readonly ControlFile[] = ['io.max'];

export function formatControl(c: CgControls, file: ControlFile): string {
  switch (file) {
    case 'cpu.max': return `${c.quota === null ? 'max' : c.quota} ${c.period}\n`;
    case 'cpu.weight': return `${c.weight}\n`;
    case 'cpuset.cpus': return `${c.cpus === null ? '' : formatCpuList(c.cpus)}\n`;
    case 'cpuset.mems': return `${c.mems === null ? '' : formatCpuList(c.mems)}\n`;
    case 'io.max': {
      const v = (x: number | null): string => (x === null ? 'max' : String(x));
      let s = '';
      for (const [dev, l] of c.ioMax) s += `${dev} rbps=${v(l.rbps)} wbps=${v(l.wbps)} riops=${v(l.riops)} wiops=${v(l.wiops)}\n`;
      return s;
    }
    case 'memory.max': return `${c.memMax === null ? 'max' : c.memMax}\n`;
    case 'memory.high': return `${c.memHigh === null ? 'max' : c.memHigh}\n`;
  }
}

const SUFFIX: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** memparse-like: `max`, bytes, or a number with K/M/G/T; rounded down to a page. */
export function parseBytesLimit(text: string): number | null | undefined {
  const t = text.trim();
  if (t === 'max') return null;
  const m = /^(\d+)([kKmMgGtT]?)$/.exec(t);
  if (!m) return undefined;
  const bytes = Number(m[1]) * (SUFFIX[(m[2] ?? '').toLowerCase()] ?? 1);
  return Math.floor(bytes / PAGE) * PAGE;
}

/**
 * Apply the text written to a control file as the kernel would. Returns false when the kernel would
 * have rejected it (the previous value stays). `devices` are the whole disks io.max accepts.
 */
export function applyControl(c: CgControls, file: ControlFile, text: string, devices: ReadonlySet<string>): boolean {
  const t = text.trim();
  try {
    switch (file) {
      case 'cpu.max': {
        const parts = t.split(/\s+/);
        if (parts.length < 1 || parts.length > 2 || parts[0] === '') return false;
        const q = parts[0] === 'max' ? null : Number(parts[0]);
        const p = parts[1] === undefined ? c.period : Number(parts[1]);
        if (q !== null && (!Number.isInteger(q) || q < 1000)) return false;
        if (!Number.isInteger(p) || p < 1000 || p > 1000000) return false;
        c.quota = q; c.period = p;
        return true;
      }
      case 'cpu.weight': {
        const w = Number(t);
        if (!/^\d+$/.test(t) || w < 1 || w > 10000) return false;
        c.weight = w;
        return true;
      }
      case 'cpuset.cpus': case 'cpuset.mems': {
        const list = parseCpuList(t);
        if (file === 'cpuset.cpus') c.cpus = list.length ? list : null; else c.mems = list.length ? list : null;
        return true;
      }
      case 'memory.max': case 'memory.high': {
        const v = parseBytesLimit(t);
        if (v === undefined) return false;
        if (file === 'memory.max') c.memMax = v; else c.memHigh = v;
        return true;
      }
      case 'io.max': {
        const next = new Map(c.ioMax);
        for (const line of t.split('\n')) {
          const toks = line.trim().split(/\s+/).filter(Boolean);
          if (toks.length === 0) continue;
          const dev = toks[0] as string;
          if (!devices.has(dev)) return false; // ENODEV
          const cur: IoLimit = { ...(next.get(dev) ?? { rbps: null, wbps: null, riops: null, wiops: null }) };
          for (const kv of toks.slice(1)) {
            const m = /^(rbps|wbps|riops|wiops)=(max|\d+)$/.exec(kv);
            if (!m) return false;
            const val = m[2] === 'max' ? null : Number(m[2]);
            if (val === 0) return false;
            cur[m[1] as keyof IoLimit] = val;
          }
          if (cur.rbps === null && cur.wbps === null && cur.riops === null && cur.wiops === null) next.delete(dev);
          else next.set(dev, cur);
        }
        c.ioMax = next;
        return true;
      }
    }
  } catch {
    return false;
  }
}

interface Watched {
  rel: string;
  abs: string;
  file: ControlFile;
  controls: CgControls;
  owner: number;           // guest index, -1 for none
  mtimeMs: number;
  size: number;
}

/** Polls control files by stat; reads and applies only those that changed. */
export class ControlPoller {
  private readonly watched: Watched[] = [];

  constructor(private readonly root: string) {}

  /** Watch a control file (real host path); it must exist already. */
  add(rel: string, file: ControlFile, controls: CgControls, owner: number): void {
    const abs = this.root + rel;
    const st = fs.statSync(abs);
    this.watched.push({ rel, abs, file, controls, owner, mtimeMs: st.mtimeMs, size: st.size });
  }

  /**
   * Returns the guest indexes whose controls changed. `rewrite(rel, text)` writes the normalised
   * value back (as the kernel shows it), after which the file's new stat is recorded.
   */
  poll(devicesOf: (owner: number) => ReadonlySet<string>, rewrite: (rel: string, text: string) => void): Set<number> {
    const changed = new Set<number>();
    for (const w of this.watched) {
      let st: fs.Stats;
      try { st = fs.statSync(w.abs); } catch { continue; }
      if (st.mtimeMs === w.mtimeMs && st.size === w.size) continue;
      let text = '';
      try { text = fs.readFileSync(w.abs, 'latin1'); } catch { continue; }
      if (APPENDED_CONTROLS.includes(w.file)) {
        // each appended line was one write(2): applied or rejected on its own, as the kernel does; lines
        // appended while this poll read are folded in before the file is rewritten
        let done = 0;
        for (;;) {
          for (const line of text.slice(done).split('\n')) {
            if (line.trim() && applyControl(w.controls, w.file, line, devicesOf(w.owner))) changed.add(w.owner);
          }
          done = text.length;
          let more = '';
          try { more = fs.readFileSync(w.abs, 'latin1'); } catch { break; }
          if (more.length <= done || !more.startsWith(text)) break;
          text = more;
        }
      } else if (applyControl(w.controls, w.file, text, devicesOf(w.owner))) changed.add(w.owner);
      rewrite(w.rel, formatControl(w.controls, w.file));
      const after = fs.statSync(w.abs);
      w.mtimeMs = after.mtimeMs; w.size = after.size;
    }
    return changed;
  }
}
