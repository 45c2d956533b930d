// Owns RecordingRunner, the CommandRunner test double: records every argv and answers with canned
// results chosen by a matcher (e.g. `tc -j qdisc show` JSON from test/fixtures/tc).

import type { CommandRunner, RunOptions, RunResult } from '../../src/engine/ports/command-runner.js';

export interface Canned {
  match: (argv: readonly string[]) => boolean;
  result: Partial<RunResult> | ((argv: readonly string[]) => Partial<RunResult>);
}

export class RecordingRunner implements CommandRunner {
  calls: Array<{ argv: string[]; opts: RunOptions | undefined }> = [];
  private canned: Canned[] = [];

  constructor(private readonly programs: string[] = ['tc', 'ip', 'virsh', 'numad']) {}

  on(match: Canned['match'], result: Canned['result']): this {
    this.canned.push({ match, result });
    return this;
  }

  has(program: string): boolean { return this.programs.includes(program); }

  async run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    this.calls.push({ argv: [...argv], opts });
    const c = this.canned.find((x) => x.match(argv));
    const r = c ? (typeof c.result === 'function' ? c.result(argv) : c.result) : {};
    return {
      argv: [...argv], code: 0, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0, ...r,
    };
  }
}
