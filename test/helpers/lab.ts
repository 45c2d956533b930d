// Owns the real-component test helper: temporary directories, network namespaces, cgroup v1 groups
// (never under `memory`) and child processes that a test starts and that are ALWAYS cleaned up after
// it, also when it fails. Processes are killed by pid (process group), never by name.
//
// Usage: `const lab = useLab();` at the top of a describe/file; cleanup runs in afterEach (LIFO).

import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import { pidAlive } from '../../src/bench/libvirt-host.js';

export const CGROUP_V1 = '/sys/fs/cgroup';
const FORBIDDEN_CONTROLLERS = new Set(['memory']);

export type Cleanup = () => void | Promise<void>;

/** Fail (never skip) when a real component this test needs is missing. */
export function requireCommand(cmd: string): void {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  if (!dirs.some((d) => d && existsSync(path.join(d, cmd)))) {
    throw new Error(`this test needs '${cmd}' (install it: see .ci/run)`);
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface CgroupV1 {
  name: string;
  controllers: string[];
  /** absolute path of this group under one controller */
  dir(controller: string): string;
  /** path relative to the controller mount, e.g. `/virtune-test-…` */
  rel: string;
  write(controller: string, file: string, value: string): void;
  read(controller: string, file: string): string;
  /** move every thread of pid into the group under every controller */
  addProcess(pid: number): void;
  child(name: string): CgroupV1;
}

export class Lab {
  private cleanups: Cleanup[] = [];

  defer(fn: Cleanup): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    while (this.cleanups.length > 0) {
      const fn = this.cleanups.pop() as Cleanup;
      try { await fn(); } catch (e) { errors.push(e); }
    }
    if (errors.length > 0) throw new Error(`lab cleanup failed: ${errors.map(String).join('; ')}`);
  }

  tmpdir(prefix = 'virtune-test'): string {
    const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
    this.defer(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  netns(): string {
    requireCommand('ip');
    const name = uniqueName('vtns').slice(0, 15);
    execFileSync('ip', ['netns', 'add', name]);
    this.defer(() => { execFileSync('ip', ['netns', 'del', name]); });
    execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A cgroup v1 group under each controller, `virtune-test-*`, removed (children first) afterwards. */
  cgroupV1(controllers: string[], parentRel = ''): CgroupV1 {
    for (const c of controllers) {
      if (FORBIDDEN_CONTROLLERS.has(c)) throw new Error(`never create cgroups under '${c}' on this machine`);
      if (!existsSync(path.join(CGROUP_V1, c))) throw new Error(`cgroup v1 controller '${c}' is not mounted`);
    }
    const name = uniqueName('virtune-test');
    const rel = `${parentRel}/${name}`;
    return this.makeGroup(controllers, rel, name);
  }

  private makeGroup(controllers: string[], rel: string, name: string): CgroupV1 {
    const dir = (c: string): string => path.join(CGROUP_V1, c, rel);
    for (const c of controllers) {
      mkdirSync(dir(c));
      this.defer(() => removeGroup(dir(c), path.join(CGROUP_V1, c)));
      if (c === 'cpuset') {
        // a new v1 cpuset starts empty; tasks cannot join until cpus and mems are set
        const parent = path.dirname(dir(c));
        writeFileSync(path.join(dir(c), 'cpuset.cpus'), readFileSync(path.join(parent, 'cpuset.cpus'), 'utf8').trim() || '0');
        writeFileSync(path.join(dir(c), 'cpuset.mems'), readFileSync(path.join(parent, 'cpuset.mems'), 'utf8').trim() || '0');
      }
    }
    const group: CgroupV1 = {
      name, controllers, rel, dir,
      write: (c, f, v) => writeFileSync(path.join(dir(c), f), v),
      read: (c, f) => readFileSync(path.join(dir(c), f), 'utf8'),
      addProcess: (pid) => {
        for (const c of controllers) writeFileSync(path.join(dir(c), 'cgroup.procs'), String(pid));
      },
      child: (childName) => this.makeGroup(controllers, `${rel}/${childName}`, childName),
    };
    return group;
  }

  /**
   * Start a child process in its own process group; killed by pid (group) at cleanup. Its TMPDIR is a
   * lab directory (unless the caller's env names one): a demo tree it makes is removed with the lab
   * even though the SIGKILL at cleanup leaves the process no chance to remove it.
   */
  spawn(argv: string[], opts: SpawnOptions = {}): ChildProcess {
    const [file, ...args] = argv;
    if (!file) throw new Error('empty argv');
    const env = { ...(opts.env ?? process.env), TMPDIR: opts.env?.TMPDIR ?? this.tmpdir('spawn-tmp') };
    const child = spawn(file, args, { stdio: 'ignore', detached: true, ...opts, env });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${file}`);
    this.defer(() => killPid(pid, true));
    return child;
  }

  /** Register an existing pid (e.g. a daemonized QEMU from its pidfile) for cleanup. */
  ownPid(pid: number): void {
    this.defer(() => killPid(pid, false));
  }
}

/** Kill a process (or its group) by pid and wait briefly until it is gone. */
export function killPid(pid: number, group: boolean): void {
  try { process.kill(group ? -pid : pid, 'SIGKILL'); } catch { /* not a group leader, or gone */ }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && isAlive(pid)) {
    execFileSync('sleep', ['0.02']);
  }
}

/** true while the process exists and is not a zombie (one rule for the tests and the bench) */
export const isAlive = pidAlive;

/** Move tasks back to the controller root, remove children first, then the group. */
function removeGroup(dir: string, controllerRoot: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeGroup(path.join(dir, entry.name), controllerRoot);
  }
  const tasks = readFileSync(path.join(dir, 'tasks'), 'utf8').split('\n').filter(Boolean);
  for (const t of tasks) {
    try { writeFileSync(path.join(controllerRoot, 'tasks'), t); } catch { /* exited */ }
  }
  for (let i = 0; i < 50; i++) {
    try { rmdirSync(dir); return; } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
      execFileSync('sleep', ['0.05']);
    }
  }
  rmdirSync(dir);
}

/** One Lab per test, cleaned up after each test even when it fails. */
export function useLab(): Lab {
  const lab = new Lab();
  afterEach(async () => { await lab.cleanup(); });
  return lab;
}
