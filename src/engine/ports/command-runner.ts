// Owns the CommandRunner port: running an external program (tc, ip, virsh, numad) from an argv
// array — never a shell string — with a timeout and a cap on captured output.

export interface RunOptions {
  timeoutMs?: number;          // default 10 000
  maxOutputBytes?: number;     // per stream, default 1 MiB
  input?: string;
  env?: Record<string, string>;
  /** run inside this network namespace (ip netns exec NAME ...) */
  netns?: string | null;
}

export interface RunResult {
  argv: string[];
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** true when stdout or stderr went over the cap and was cut */
  truncated: boolean;
  durationMs: number;
}

export interface CommandRunner {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** true when the program can be found on PATH */
  has(program: string): boolean;
}
