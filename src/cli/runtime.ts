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
}

export function parseGlobals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  const interval = o.interval === undefined ? 1 : Number(o.interval);
  if (!Number.isFinite(interval) || interval < 0.1) {
    throw new VirtuneError(2, `--interval: '${String(o.interval)}' is not a number of seconds ≥ 0.1`);
  }
  let demo: number | null = null;
  if (o.demo !== undefined && o.demo !== false) {
    demo = o.demo === true ? 8 : Number(o.demo);
    if (!Number.isInteger(demo) || demo < 0 || demo > 5000) {
      throw new VirtuneError(2, `--demo: '${String(o.demo)}' is not a guest count from 0 to 5000`);
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
  };
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

/** Map anything thrown to (exit code, one-line message). */
export function classifyError(e: unknown): { code: ExitCode; message: string } {
  if (e instanceof VirtuneError) return { code: e.exitCode, message: e.message };
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
