// Owns the access tests' real parts: local users and a group created with useradd/groupadd (unique
// names, removed by removeAll() — call it in afterAll so they go even when a test fails) and running
// the built CLI (or a small script) as one of them through runuser.

import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { CLI, type CliResult } from '../helpers/cli.js';
import { requireCommand, type Lab } from '../helpers/lab.js';

export class LocalUsers {
  private readonly users: string[] = [];
  private readonly groups: string[] = [];
  private readonly tag = `${(process.pid % 10000).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  constructor() {
    for (const c of ['useradd', 'userdel', 'groupadd', 'groupdel', 'runuser']) requireCommand(c);
  }

  group(label: string): string {
    const name = `vt${label}${this.tag}`;
    execFileSync('groupadd', [name]);
    this.groups.push(name);
    return name;
  }

  user(label: string, groups: string[] = []): { name: string; uid: number } {
    const name = `vt${label}${this.tag}`;
    this.users.push(name);
    execFileSync('useradd', ['-M', '-N', '-s', '/usr/sbin/nologin', ...(groups.length ? ['-G', groups.join(',')] : []), name]);
    const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
    return { name, uid };
  }

  removeAll(): void {
    const errors: string[] = [];
    for (const u of this.users.splice(0)) {
      try { execFileSync('userdel', [u], { stdio: 'pipe' }); } catch (e) { errors.push(`userdel ${u}: ${String(e)}`); }
    }
    for (const g of this.groups.splice(0)) {
      try { execFileSync('groupdel', [g], { stdio: 'pipe' }); } catch (e) { errors.push(`groupdel ${g}: ${String(e)}`); }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }
}

/** Run the built CLI as `user` (runuser -u USER -- node dist/cli/main.js ARGS). */
export function runAs(user: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return runProcess('runuser', ['-u', user, '--', process.execPath, CLI, ...args], opts);
}

/** Run a small node script as `user`: `runuser -u USER -- node -e SCRIPT ARGS`. */
export function nodeAs(user: string, script: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return runProcess('runuser', ['-u', user, '--', process.execPath, '-e', script, '--', ...args], opts);
}

export function runProcess(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // own process group: a timeout kills runuser AND the command it started
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, detached: true });
    const pid = child.pid!;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } reject(new Error(`${cmd} ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** A directory other users may enter (the lab's temp dirs are 0700). */
export function openDir(lab: Lab, prefix: string): string {
  const dir = lab.tmpdir(prefix);
  execFileSync('chmod', ['0755', dir]);
  return path.resolve(dir);
}
