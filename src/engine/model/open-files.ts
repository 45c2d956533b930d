// Owns reading the open-file limit (RLIMIT_NOFILE) out of /proc/self/limits text: pure, for every
// process that sizes a descriptor pool or checks that its sockets fit (engine, daemon, demo simulator).

export interface OpenFileLimits {
  /** the soft limit: what this process may open now; null when unlimited */
  soft: number | null;
  /** the hard limit: what the soft one can be raised to; null when unlimited */
  hard: number | null;
}

const LINE = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m;

/** The "Max open files" line of /proc/PID/limits; null when the text has none. */
export function parseOpenFileLimits(text: string): OpenFileLimits | null {
  const m = LINE.exec(text);
  if (!m) return null;
  const n = (v: string): number | null => (v === 'unlimited' ? null : Number(v));
  return { soft: n(m[1] as string), hard: n(m[2] as string) };
}
