// Owns the CLI runtime shared by every command: the global options as typed values, output helpers
// (JSON to stdout, human text to stderr under --json), and turning errors into the contract's one
// line + exit code.

import type { Command } from 'commander';
import { HostError, VirtuneError, exitCodeForHostError, plainMessage, type ExitCode } from '../engine/model/errors.js';

export interface GlobalOptions {
  root: string;
  demo: number | null;
  connect: string | null;
  /** --token-file: the websocket token for --connect ws:// */
  tokenFile: string | null;
  qmp: string[];
  intervalSec: number;
  write: boolean;
  json: boolean;
  libvirtUri: string | null;
  stateDir: string | null;
  auditLog: string | null;
  /** block latency histograms for libvirt guests too (--latency-histograms) */
  latencyHistograms?: boolean;
  /** --qmp-timeout: a guest's QMP deadline per tick through its own socket, ms (null: the default, 500) */
  qmpTimeoutMs?: number | null;
}

export function parseGlobals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  const interval = o.interval === undefined ? 1 : Number(o.interval);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > MAX_INTERVAL_SEC) {
    throw new VirtuneError(2, `--interval: '${String(o.interval)}' is not a number of seconds from 0.1 to ${MAX_INTERVAL_SEC}`);
  }
  refuseWithConnect(cmd, o);
  let demo: number | null = null;
  if (o.demo !== undefined && o.demo !== false) {
    demo = o.demo === true ? 8 : Number(o.demo);
    if (!Number.isInteger(demo) || demo < 0 || demo > 5000) {
      throw new VirtuneError(2, `--demo: '${String(o.demo)}' is not a guest count from 0 to 5000`);
    }
  }
  let qmpTimeoutMs: number | null = null;
  if (o.qmpTimeout !== undefined) {
    qmpTimeoutMs = Number(o.qmpTimeout);
    if (!Number.isInteger(qmpTimeoutMs) || qmpTimeoutMs < MIN_QMP_TIMEOUT_MS || qmpTimeoutMs > MAX_QMP_TIMEOUT_MS) {
      throw new VirtuneError(2, `--qmp-timeout: '${String(o.qmpTimeout)}' is not a whole number of milliseconds from ${MIN_QMP_TIMEOUT_MS} to ${MAX_QMP_TIMEOUT_MS}`);
    }
  }
  return {
    root: typeof o.root === 'string' ? o.root : '/',
    demo,
    connect: typeof o.connect === 'string' ? o.connect : null,
    tokenFile: typeof o.tokenFile === 'string' ? o.tokenFile : null,
    qmp: Array.isArray(o.qmp) ? (o.qmp as string[]) : [],
    intervalSec: interval,
    write: o.write === true,
    json: o.json === true,
    libvirtUri: typeof o.libvirtUri === 'string' ? o.libvirtUri : null,
    stateDir: typeof o.stateDir === 'string' ? o.stateDir : null,
    auditLog: typeof o.auditLog === 'string' ? o.auditLog : null,
    latencyHistograms: o.latencyHistograms === true,
    qmpTimeoutMs,
  };
}

/** --qmp-timeout's range: below 50 ms a healthy monitor misses it; above a minute a hung one stalls every tick */
export const MIN_QMP_TIMEOUT_MS = 50;
export const MAX_QMP_TIMEOUT_MS = 60_000;

/** The longest sampling interval (an hour): a longer one is a typo, and overflows Node's timers. */
export const MAX_INTERVAL_SEC = 3600;

/** Options given on the command line (not defaults), on the command or any parent. */
function givenOnCommandLine(cmd: Command, name: string): boolean {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const src = c.getOptionValueSource(name);
    if (src === 'cli' || src === 'env') return true;
  }
  return false;
}

/** --connect talks to a daemon that has its own host and interval: the local-engine options conflict. */
function refuseWithConnect(cmd: Command, o: Record<string, unknown>): void {
  if (typeof o.connect !== 'string') return;
  const clash = [['demo', '--demo'], ['root', '--root'], ['interval', '--interval'], ['qmpTimeout', '--qmp-timeout']]
    .filter(([k]) => givenOnCommandLine(cmd, k as string)).map(([, flag]) => flag as string);
  if (clash.length > 0) {
    throw new VirtuneError(2, `--connect: ${clash.join(' and ')} cannot be used with --connect (the daemon has its own host and interval; give them to 'virtune serve')`);
  }
}

/** Collect a repeatable option into an array. */
export function collect(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), value];
}

export interface Out {
  json: boolean;
  /** machine output (stdout) */
  data(obj: unknown): void;
  /** human text: stdout normally, stderr under --json */
  text(line: string): void;
  /** diagnostics, always stderr */
  warn(line: string): void;
}

export function makeOut(json: boolean): Out {
  return {
    json,
    data: (obj) => { process.stdout.write(JSON.stringify(obj) + '\n'); },
    text: (line) => { (json ? process.stderr : process.stdout).write(line + '\n'); },
    warn: (line) => { process.stderr.write(line + '\n'); },
  };
}

/** The command a protocol method serves, for messages that come back from the engine's validation. */
const COMMAND_OF: Record<string, string> = {
  previewTuning: 'tune', applyTuning: 'tune', undo: 'undo', keep: 'keep', advise: 'advise', adviseHost: 'advise --host',
  lint: 'advise --lint', auditLog: 'audit', changes: 'changes', history: 'watch', snapshot: 'snapshot', subscribe: 'watch',
};

/** `invalid params for previewTuning: req.changes.0.count: …` → `tune: invalid input (changes.0.count: …)`. */
export function inCommandWords(message: string): string {
  const m = /^invalid params for (\w+): (.*)$/s.exec(message);
  if (!m) return message;
  const cmd = COMMAND_OF[m[1] as string] ?? 'virtune';
  return `${cmd}: invalid input (${(m[2] as string).replace(/\breq\./g, '')})`;
}

/** Map anything thrown to (exit code, one-line message). */
export function classifyError(e: unknown): { code: ExitCode; message: string } {
  if (e instanceof VirtuneError) return { code: e.exitCode, message: inCommandWords(e.message) };
  if (e instanceof HostError) return { code: exitCodeForHostError(e), message: e.message };
  return { code: 1, message: plainMessage(e) };
}

/** Print the error the contract's way and return the exit code. */
export function reportError(e: unknown, json: boolean): ExitCode {
  const { code, message } = classifyError(e);
  process.stderr.write(`virtune: ${message}\n`);
  if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
  return code;
}

/** The only placeholder allowed: a command a later issue fills in. */
export function notAvailable(what: string): never {
  throw new VirtuneError(2, `${what} is not available yet`);
}
