// Owns the kernel list syntax (`0-3,8,10-11`) used by cpuset.*, cpulist, Cpus_allowed_list, node
// lists: parse to a sorted set and format back. Pure. libvirt's `^N` syntax is handled by
// parseLibvirtList, which expands it before anything is written to the kernel.

/**
 * The largest element any list may hold: above every kernel's NR_CPUS (8192) and MAX_NUMNODES (1024),
 * so a corrupt or hostile list (`9007199254740993`, where `i++` no longer changes `i`) is refused
 * instead of looping or allocating without end.
 */
export const LIST_ELEMENT_MAX = 65535;

/**
 * Parse kernel list syntax. Empty (or whitespace-only) text is the empty set. Throws on garbage and on
 * any element above `max` (default LIST_ELEMENT_MAX; callers that know the host's CPU or node count
 * pass it).
 */
export function parseCpuList(text: string, max: number = LIST_ELEMENT_MAX): number[] {
  const t = text.trim();
  if (t === '') return [];
  const out = new Set<number>();
  for (const tok of t.split(',')) {
    const part = tok.trim();
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid list element '${part}' in '${t}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (m[1]!.length > 6 || (m[2] ?? '').length > 6 || b > max) {
      throw new Error(`list element '${part}' is above ${max}`);
    }
    if (b < a) throw new Error(`invalid range '${part}' in '${t}'`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

/** Format numbers as kernel list syntax with ranges (`0-3,8`). */
export function formatCpuList(items: Iterable<number>): string {
  const xs = [...new Set(items)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < xs.length) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === (xs[j] as number) + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** libvirt list syntax: tokens `N`, `N-M`, `^N` applied left to right. Empty is an error. */
export function parseLibvirtList(text: string): number[] {
  const t = text.trim();
  if (t === '') throw new Error('empty list');
  const set = new Set<number>();
  for (const raw of t.split(',')) {
    const tok = raw.trim();
    if (tok.startsWith('^')) {
      if (!/^\^\d+$/.test(tok)) throw new Error(`invalid exclusion '${tok}'`);
      const n = Number(tok.slice(1));
      if (n > LIST_ELEMENT_MAX) throw new Error(`list element '${tok}' is above ${LIST_ELEMENT_MAX}`);
      set.delete(n);
    } else {
      for (const n of parseCpuList(tok)) set.add(n);
    }
  }
  return [...set].sort((a, b) => a - b);
}

/** True when every element of `sub` is in `sup`. */
export function isSubset(sub: readonly number[], sup: readonly number[]): boolean {
  const s = new Set(sup);
  return sub.every((x) => s.has(x));
}
