// Shared helpers of the demo host tests: read files of the simulated tree, parse flat/nested keyed
// files, find a guest's scope directory, and a tiny QMP client over a real unix socket.

import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';

export function read(root: string, p: string): string {
  return readFileSync(root + p, 'utf8');
}

export function flat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.trim().split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** `MAJ:MIN k=v ...` lines (io.stat, io.max) to objects. */
export function nested(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const line of text.trim().split('\n').filter(Boolean)) {
    const [dev, ...kv] = line.trim().split(/\s+/);
    out[dev as string] = Object.fromEntries(kv.map((x) => x.split('=') as [string, string]));
  }
  return out;
}

export function scopeOf(root: string, name: string): string {
  const dirs = readdirSync(root + '/sys/fs/cgroup/machine.slice');
  const esc = name.replace(/-/g, '\\x2d');
  const d = dirs.find((x) => x.startsWith('machine-qemu\\x2d') && x.endsWith(`\\x2d${esc}.scope`));
  if (!d) throw new Error(`no scope for ${name} in ${dirs.join(' ')}`);
  return `/sys/fs/cgroup/machine.slice/${d}`;
}

export function usageUsec(root: string, cgdir: string): number {
  return flat(read(root, `${cgdir}/cpu.stat`)).usage_usec as number;
}

/** Minimal QMP client: line-framed JSON, waits for replies by id, collects events. */
export class TinyQmp {
  private buf = '';
  readonly messages: Array<Record<string, unknown>> = [];
  private waiters: Array<{ pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  private nextId = 1;

  private constructor(readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        const m = JSON.parse(line) as Record<string, unknown>;
        this.messages.push(m);
        const w = this.waiters.findIndex((x) => x.pred(m));
        if (w >= 0) this.waiters.splice(w, 1)[0]!.resolve(m);
      }
    });
  }

  static connect(path: string): Promise<TinyQmp> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(path, () => resolve(new TinyQmp(s)));
      s.once('error', reject);
    });
  }

  /** Resolves with the first message (seen or future) matching pred. */
  wait(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<Record<string, unknown>> {
    const seen = this.messages.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('QMP timeout')), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  async cmd(execute: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = `t${this.nextId++}`;
    this.sock.write(JSON.stringify(args ? { execute, arguments: args, id } : { execute, id }) + '\n');
    return this.wait((m) => m.id === id);
  }

  close(): Promise<void> {
    return new Promise((resolve) => { this.sock.once('close', () => resolve()); this.sock.destroy(); });
  }
}
