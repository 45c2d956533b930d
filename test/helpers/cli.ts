// Owns running the built CLI (dist/cli/main.js) as a real child process from tests.

import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Run the CLI with `args`. `via`: a bash script that runs it, where `"$0" "$@"` is the CLI command line
 * (e.g. `ulimit -n 1024 && exec "$0" "$@"`, or a pipeline into a slow reader).
 */
export function runCli(args: string[], opts: { timeoutMs?: number; input?: string; env?: Record<string, string>; via?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = opts.via === undefined
      ? [process.execPath, [CLI, ...args]]
      : ['bash', ['-c', opts.via, process.execPath, CLI, ...args]];
    const child = spawn(cmd, argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`virtune ${args.join(' ')} timed out\n${stderr}`)); }, opts.timeoutMs ?? 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}
