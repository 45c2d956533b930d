// Owns the semantic read-back of a written control file, pure: the kernel normalises what it stores
// (cpuset lists are reformatted, `cpu.max` keeps the period when one number is written, memory limits
// are rounded to pages, v1 unlimited memory reads as a huge number, blkio `MAJ:MIN 0` removes a rule,
// io.max prints only set keys). Returns null when the value read back means what was written, else why
// not.

import { parseCpuList } from '../engine/model/cpulist.js';
import { parseIoMaxLine, parseThrottleDevice } from './plan-io.js';
import { V1_UNLIMITED_MIN } from './plan-mem.js';

function sameList(a: string, b: string): boolean {
  try {
    const x = parseCpuList(a);
    const y = parseCpuList(b);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  } catch {
    return false;
  }
}

export function checkReadBack(path: string, written: string, readText: string): string | null {
  const file = path.split('/').pop() ?? path;
  const got = readText.trim();
  const want = written.trim();
  const mismatch = `read back '${got}' after writing '${want}' to ${path}`;
  if (file === 'cpu.max') {
    const [wq, wp] = want.split(/\s+/);
    const [gq, gp] = got.split(/\s+/);
    return wq === gq && (wp === undefined || wp === gp) ? null : mismatch;
  }
  if (/^cpuset\.(cpus|mems)$/.test(file) || file === 'cpuset.effective_cpus') return sameList(want, got) ? null : mismatch;
  if (file.startsWith('blkio.throttle.') && file.endsWith('_device')) {
    const [dev, val] = want.split(/\s+/);
    const cur = parseThrottleDevice(got, dev ?? '');
    if (Number(val) === 0) return cur === null ? null : mismatch;
    return cur === Number(val) ? null : mismatch;
  }
  if (file === 'io.max') {
    const [dev, ...kvs] = want.split(/\s+/);
    const cur = parseIoMaxLine(got, dev ?? '');
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      const g = cur[k ?? ''];
      if (v === 'max' ? !(g === undefined || g === 'max') : g !== v) return mismatch;
    }
    return null;
  }
  if (file === 'memory.max' || file === 'memory.limit_in_bytes') {
    const unl = (s: string): boolean => s === 'max' || s === '-1' || Number(s) >= V1_UNLIMITED_MIN;
    if (unl(want)) return unl(got) ? null : mismatch;
    const w = Number(want);
    const g = Number(got);
    return Number.isFinite(g) && g <= w && w - g < 65536 ? null : mismatch;
  }
  if (file === 'cgroup.subtree_control') {
    const have = new Set(got.split(/\s+/).map((t) => t.replace(/^\+/, '')));
    for (const tok of want.split(/\s+/)) {
      const on = !tok.startsWith('-');
      const name = tok.replace(/^[+-]/, '');
      if (have.has(name) !== on) return mismatch;
    }
    return null;
  }
  return got === want ? null : mismatch;
}
