// Owns the error vocabulary shared by every layer: host-access error kinds and the user-facing
// error that carries a contract exit code (1 runtime, 2 usage, 3 not found, 4 not permitted).

export type ExitCode = 0 | 1 | 2 | 3 | 4;

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, denied: 4 } as const;

/** What went wrong when touching the host, independent of errno spelling. */
export type HostErrorKind =
  | 'missing'      // ENOENT, ENOTDIR
  | 'vanished'     // ESRCH, ENODEV on a cgroup/process that went away mid-read
  | 'permission'   // EACCES, EPERM, EROFS
  | 'invalid'      // EINVAL: the kernel rejected the value
  | 'range'        // ERANGE
  | 'busy'         // EBUSY
  | 'nospace'      // ENOSPC (v1 cpuset without cpus/mems)
  | 'nodev'        // ENODEV on a write (io.max for a partition)
  | 'unsupported'  // EOPNOTSUPP
  | 'escape'       // a path that would leave the configured root
  | 'timeout'
  | 'parse'
  | 'io';

/** An error from a host port (filesystem, QMP, command). Carries the real (unrooted) path. */
export class HostError extends Error {
  readonly kind: HostErrorKind;
  readonly path: string | null;
  readonly errno: string | null;
  constructor(kind: HostErrorKind, message: string, path: string | null = null, errno: string | null = null) {
    super(message);
    this.name = 'HostError';
    this.kind = kind;
    this.path = path;
    this.errno = errno;
  }
}

/** An error meant for the operator: one clear line and the contract's exit code. */
export class VirtuneError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = 'VirtuneError';
    this.exitCode = exitCode;
  }
}

export const usageError = (msg: string): VirtuneError => new VirtuneError(2, msg);
export const notFoundError = (msg: string): VirtuneError => new VirtuneError(3, msg);
export const deniedError = (msg: string): VirtuneError => new VirtuneError(4, msg);
export const failedError = (msg: string): VirtuneError => new VirtuneError(1, msg);

/** Exit code for a HostError surfaced to the operator. */
export function exitCodeForHostError(e: HostError): ExitCode {
  if (e.kind === 'permission') return 4;
  if (e.kind === 'missing' || e.kind === 'vanished') return 3;
  if (e.kind === 'escape') return 2;
  return 1;
}

const PROGRAMMING = new Set(['TypeError', 'ReferenceError', 'RangeError', 'SyntaxError']);

/**
 * The one line an operator sees for an error that is neither a VirtuneError nor a HostError: a
 * programming error's text (`Cannot read properties of null`) says nothing to them, so it is named by
 * its type only; any other error keeps its first line.
 */
export function plainMessage(e: unknown): string {
  if (e instanceof Error && PROGRAMMING.has(e.name)) return `internal error (${e.name}); please report it with the command that caused it`;
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}
