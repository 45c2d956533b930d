// Owns virtune's one long-lived virsh connection to libvirt (the per-tick stats go over libvirtd's RPC
// socket where that is reachable: collector/libvirt/rpc-client.ts): a persistent interactive `virsh`
// session fed on stdin (VirshSession), with reliable reply framing, and the QmpChannel for libvirt guests that
// passes QMP through it (`qemu-monitor-command`, opt-in only: it costs libvirtd a monitor round trip
// and marks the domain "tainted: custom-monitor").
//
// Framing: after each command we send `echo --split @@VT,,N@@` and `echo --err --split @@VT,,N@@`.
// virsh prints `@@VT,N@@` (the ',,' escape collapses), a string that never appears in the echo of our
// own input lines, so stdout up to it is the command's output and stderr up to `error: @@VT,N@@` its
// errors. The prompt and echoed input lines (virsh's readline echoes them on a pipe) are removed.
// Requests are queued (one in flight); a timeout or a dead process ends the session and the next
// request starts a new one (counted in `spawns`). Replies to QMP are parsed with the lossless number
// rule of the socket connector (decimal strings past 2^53).

import { HostError } from '../../engine/model/errors.js';
import type { LongProcess, ProcessStarter } from '../../engine/ports/process.js';
import { QmpCommandError, type QmpChannel, type QmpEvent } from '../../engine/ports/qmp.js';
import { parseQmpJson } from './json.js';

/** Runs one virsh command (argv after `virsh [-c URI]`) and resolves to its stdout. */
export type VirshExec = (args: readonly string[], timeoutMs?: number) => Promise<string>;

export interface VirshSessionOptions {
  starter: ProcessStarter;
  uri: string | null;
  /** default per-request timeout (ms) */
  timeoutMs?: number;
  /** the virsh program (tests may name another path) */
  program?: string;
}

interface Pending {
  n: number;
  line: string;
  timeoutMs: number;
  resolve: (s: string) => void;
  reject: (e: Error) => void;
}

const SAFE_ARG = /^[A-Za-z0-9_.:,/=+@%-]+$/;

/** One argument in virsh's own command-line syntax; refuses what cannot be passed on one line. */
export function quoteVirshArg(a: string): string {
  if (a !== '' && SAFE_ARG.test(a)) return a;
  if (/[\n\r\0]/.test(a)) throw new HostError('invalid', `virsh argument contains a line break: ${JSON.stringify(a)}`);
  if (!a.includes("'")) return `'${a}'`;
  if (!/["\\]/.test(a)) return `"${a}"`;
  throw new HostError('invalid', `virsh argument cannot be quoted for the session: ${JSON.stringify(a)}`);
}

const PROMPT = /virsh[^\n#]{0,60}# /g;
/** our framing commands as virsh's readline echoes them (they may land in the next reply's text) */
const FRAMING_ECHO = /(?:virsh[^\n#]{0,60}# )?echo (?:--err )?--split @@VT,,\d+@@\n?/g;

/**
 * Strip the prompts and echoed input lines around one command's output. Pure; exported for tests.
 * readline echoes our command line after the prompt at the start of the chunk, up to its newline (long
 * lines may come back redrawn with carriage returns, so the echo is dropped by position, not by text).
 */
export function cleanVirshOutput(raw: string): string {
  let s = raw.replace(FRAMING_ECHO, '').replace(/^\n+/, '');
  if (/^virsh[^\n#]{0,60}# /.test(s)) {
    const nl = s.indexOf('\n');
    s = nl < 0 ? '' : s.slice(nl + 1);
  }
  return s.replace(PROMPT, '').replace(/^\n+/, '');
}

export class VirshSession {
  private proc: LongProcess | null = null;
  private out = '';
  private err = '';
  private seq = 0;
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private isClosed = false;
  /** processes started so far (1 in steady state) */
  spawns = 0;
  /** commands answered so far */
  requests = 0;

  constructor(private readonly o: VirshSessionOptions) {}

  get pid(): number | null { return this.proc?.pid ?? null; }

  readonly exec: VirshExec = (args, timeoutMs) => this.run(args, timeoutMs);

  run(args: readonly string[], timeoutMs?: number): Promise<string> {
    if (this.isClosed) return Promise.reject(new HostError('io', 'the virsh session is closed'));
    let line: string;
    try { line = args.map(quoteVirshArg).join(' '); } catch (e) { return Promise.reject(e as Error); }
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ n: 0, line, timeoutMs: timeoutMs ?? this.o.timeoutMs ?? 5000, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.end(new HostError('io', 'the virsh session is closed'));
  }

  private ensure(): LongProcess {
    if (this.proc) return this.proc;
    const argv = [this.o.program ?? 'virsh', '-q', ...(this.o.uri ? ['-c', this.o.uri] : [])];
    const p = this.o.starter.start(argv, { env: { LC_ALL: 'C', VIRSH_HISTSIZE: '0', COLUMNS: '100000' } });
    this.spawns++;
    this.proc = p;
    this.out = '';
    this.err = '';
    p.onStdout((c) => { if (this.proc === p) { this.out += c; this.check(); } });
    p.onStderr((c) => { if (this.proc === p) { this.err += c; this.check(); } });
    p.onExit((code, signal) => {
      if (this.proc !== p) return;
      this.proc = null;
      const why = this.err.trim().split('\n').find((l) => l.trim() !== '') ?? '';
      this.fail(new HostError('io', `virsh session ended (${signal ?? `exit ${code}`})${why ? `: ${why.replace(/^error:\s*/, '')}` : ''}`));
    });
    return p;
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) return;
    const req = this.queue.shift() as Pending;
    let p: LongProcess;
    try { p = this.ensure(); } catch (e) {
      req.reject(new HostError('io', `virsh could not be started: ${e instanceof Error ? e.message : String(e)}`));
      this.pump();
      return;
    }
    req.n = ++this.seq;
    this.current = req;
    this.timer = setTimeout(() => {
      this.kill(new HostError('timeout', `virsh ${req.line.split(' ')[0] ?? ''} timed out after ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    p.write(`${req.line}\necho --split @@VT,,${req.n}@@\necho --err --split @@VT,,${req.n}@@\n`);
  }

  private check(): void {
    const req = this.current;
    if (!req) return;
    const mark = `@@VT,${req.n}@@`;
    const oi = this.out.indexOf(mark);
    const ei = this.err.indexOf(`error: ${mark}`);
    if (oi < 0 || ei < 0) return;
    const rawOut = this.out.slice(0, oi);
    const rawErr = this.err.slice(0, ei);
    this.out = this.out.slice(oi + mark.length);
    this.err = this.err.slice(ei + mark.length + 7);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = null;
    this.requests++;
    const stdout = cleanVirshOutput(rawOut);
    const errLine = rawErr.split('\n').map((l) => l.trim()).find((l) => l !== '');
    if (errLine !== undefined) {
      const msg = errLine.replace(/^error:\s*/, '');
      const kind = /failed to get domain|Domain not found|no domain with matching/i.test(rawErr) ? 'missing' : 'io';
      req.reject(new HostError(kind, `virsh ${req.line.split(' ')[0] ?? ''}: ${msg}`));
    } else {
      req.resolve(stdout);
    }
    this.pump();
  }

  private fail(e: Error): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const cur = this.current;
    this.current = null;
    cur?.reject(e);
    if (this.isClosed) {
      for (const q of this.queue.splice(0)) q.reject(e);
    } else {
      this.pump();
    }
  }

  private kill(e: Error): void {
    const p = this.proc;
    this.proc = null;
    p?.kill();
    this.fail(e);
  }

  private end(e: Error): void {
    this.kill(e);
    for (const q of this.queue.splice(0)) q.reject(e);
  }
}

export function virshArgv(uri: string | null | undefined, domain: string, command: string, args?: Record<string, unknown>): string[] {
  return ['virsh', ...(uri ? ['--connect', uri] : []), ...monitorArgs(domain, command, args)];
}

/** `qemu-monitor-command DOMAIN '{json}'` (HMP through `--hmp`). */
export function monitorArgs(domain: string, command: string, args?: Record<string, unknown>): string[] {
  const base = ['qemu-monitor-command', domain];
  if (command === 'human-monitor-command' && typeof args?.['command-line'] === 'string') {
    return [...base, '--hmp', args['command-line']];
  }
  const msg: Record<string, unknown> = { execute: command };
  if (args !== undefined) msg.arguments = args;
  return [...base, JSON.stringify(msg)];
}

export interface VirshChannelOptions {
  exec: VirshExec;
  domain: string;
  timeoutMs?: number;
}

/** QMP for a libvirt guest through the session's `qemu-monitor-command` (opt-in: taints the domain). */
export class VirshQmpChannel implements QmpChannel {
  readonly greeting: unknown = null;
  private isClosed = false;

  constructor(private readonly o: VirshChannelOptions) {}

  get closed(): boolean { return this.isClosed; }

  async execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T> {
    if (this.isClosed) throw new HostError('io', `virsh channel for ${this.o.domain} is closed`);
    const argv = monitorArgs(this.o.domain, command, args);
    const timeoutMs = opts?.timeoutMs ?? this.o.timeoutMs ?? 3000;
    let text: string;
    try {
      text = await this.o.exec(argv, timeoutMs);
    } catch (e) {
      if (e instanceof HostError && e.kind === 'timeout') throw new HostError('timeout', `virsh qemu-monitor-command ${this.o.domain} ${command}: no answer within ${timeoutMs} ms`);
      throw new HostError(e instanceof HostError ? e.kind : 'io', `virsh qemu-monitor-command ${this.o.domain} ${command} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (argv.includes('--hmp')) return text as T;
    const msg = parseQmpJson(text.trim());
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
