// Owns small text formatters shared by the demo's file renderers (kernel list masks, kB lines).

/** Kernel hex mask in comma-separated 32-bit groups (`Cpus_allowed`, `cpumap`). */
export function formatMask(items: number[], width: number): string {
  const groups = Math.max(1, Math.ceil(width / 32));
  const words = new Array<number>(groups).fill(0);
  for (const i of items) {
    const w = Math.floor(i / 32);
    words[w] = ((words[w] as number) | (1 << (i % 32))) >>> 0;
  }
  const out: string[] = [];
  for (let w = groups - 1; w >= 0; w--) out.push((words[w] as number).toString(16).padStart(8, '0'));
  return out.join(',');
}

export const kB = (bytes: number): number => Math.floor(bytes / 1024);

/** `Key:        12345 kB` as /proc/meminfo prints it. */
export function meminfoLine(key: string, value: number, unit = true): string {
  return `${(key + ':').padEnd(16)}${String(Math.floor(value)).padStart(8)}${unit ? ' kB' : ''}\n`;
}

export const fl = Math.floor;
