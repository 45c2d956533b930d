// Owns how the collector calls virsh: `-c URI` on every call when a URI was given, a timeout on every
// call, and failures turned into a HostError with one clean line (kind 'timeout', 'missing' for an
// unknown domain, 'io' otherwise).

import { HostError } from '../../engine/model/errors.js';
import type { CommandRunner } from '../../engine/ports/command-runner.js';
import { virshErrorLine } from './parse-virsh.js';

export const VIRSH_TIMEOUT_MS = 5000;

/** The argv prefix for every virsh call. */
export function virshArgv(uri: string | null, args: readonly string[]): string[] {
  return ['virsh', ...(uri ? ['-c', uri] : []), ...args];
}

/** true for the URIs that name this host's system/session daemon (where pids and /run files are ours) */
export function isLocalUri(uri: string | null): boolean {
  return uri === null || /^qemu(\+unix)?:\/\/\/(system|session)(\?.*)?$/.test(uri);
}

export async function runVirsh(runner: CommandRunner, uri: string | null, args: readonly string[], timeoutMs = VIRSH_TIMEOUT_MS): Promise<string> {
  const r = await runner.run(virshArgv(uri, args), { timeoutMs, maxOutputBytes: 8 * 1024 * 1024 });
  if (r.timedOut) throw new HostError('timeout', `virsh ${args[0] ?? ''} timed out after ${timeoutMs} ms`);
  if (r.code !== 0) {
    const line = virshErrorLine(r.stderr, r.stdout);
    const kind = /failed to get domain|Domain not found|no domain with matching/i.test(line) ? 'missing' : 'io';
    throw new HostError(kind, `virsh ${args[0] ?? ''}: ${line}`);
  }
  return r.stdout;
}
