// Owns the QmpChannel for libvirt guests: libvirt holds the guest's only monitor connection, so we
// never touch its socket and pass commands through `virsh qemu-monitor-command DOMAIN '{json}'`
// (HMP through `--hmp`). One virsh process per command, argv only, with a timeout. Replies are parsed
// with the same lossless number rule as the socket connector (decimal strings past 2^53).

import { HostError } from '../../engine/model/errors.js';
import type { CommandRunner } from '../../engine/ports/command-runner.js';
import { QmpCommandError, type QmpChannel, type QmpEvent } from '../../engine/ports/qmp.js';
import { parseQmpJson } from './json.js';

export interface VirshChannelOptions {
  runner: CommandRunner;
  domain: string;
  uri?: string | null;
  timeoutMs?: number;
}

export function virshArgv(uri: string | null | undefined, domain: string, command: string, args?: Record<string, unknown>): string[] {
  const base = ['virsh', ...(uri ? ['--connect', uri] : []), 'qemu-monitor-command', domain];
  if (command === 'human-monitor-command' && typeof args?.['command-line'] === 'string') {
    return [...base, '--hmp', args['command-line']];
  }
  const msg: Record<string, unknown> = { execute: command };
  if (args !== undefined) msg.arguments = args;
  return [...base, JSON.stringify(msg)];
}

export class VirshQmpChannel implements QmpChannel {
  readonly greeting: unknown = null;
  private isClosed = false;

  constructor(private readonly o: VirshChannelOptions) {}

  get closed(): boolean { return this.isClosed; }

  async execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T> {
    if (this.isClosed) throw new HostError('io', `virsh channel for ${this.o.domain} is closed`);
    const argv = virshArgv(this.o.uri, this.o.domain, command, args);
    const timeoutMs = opts?.timeoutMs ?? this.o.timeoutMs ?? 3000;
    const r = await this.o.runner.run(argv, { timeoutMs, maxOutputBytes: 4 << 20 });
    if (r.timedOut) throw new HostError('timeout', `virsh qemu-monitor-command ${this.o.domain} ${command}: no answer within ${timeoutMs} ms`);
    if (r.code !== 0) {
      const why = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
      throw new HostError('io', `virsh qemu-monitor-command ${this.o.domain} ${command} failed (exit ${r.code ?? r.signal}): ${why}`);
    }
    if (argv.includes('--hmp')) return r.stdout as T;
    const msg = parseQmpJson(r.stdout.trim());
    if (msg.error !== undefined) {
      const e = (msg.error ?? {}) as Record<string, unknown>;
      throw new QmpCommandError(command, { class: String(e.class ?? 'GenericError'), desc: String(e.desc ?? '') });
    }
    if (!('return' in msg)) throw new HostError('parse', `virsh qemu-monitor-command ${command}: reply has no "return"`);
    return msg.return as T;
  }

  takeEvents(): QmpEvent[] { return []; }
  onEvent(): () => void { return () => undefined; }
  async close(): Promise<void> { this.isClosed = true; }
}
