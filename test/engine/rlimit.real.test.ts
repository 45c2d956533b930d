// Real-process test: an engine started with a low soft open-file limit (as many distributions start
// programs: 1024) raises it to the hard limit before sizing its descriptor pool.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { requireCommand } from '../helpers/lab.js';

describe('open-file limit at engine start (real process)', () => {
  it('raises the soft limit to the hard limit', () => {
    requireCommand('prlimit');
    const script = `import('${process.cwd()}/dist/cli/engine-factory.js').then(async (m) => {
      const api = await m.openEngine({ root: '/', demo: 1, connect: null, tokenFile: null, qmp: [], intervalSec: 1, write: false, json: true,
        libvirtUri: null, stateDir: null, auditLog: null });
      const line = require('fs').readFileSync('/proc/self/limits', 'utf8').split('\\n').find((l) => l.startsWith('Max open files'));
      console.log(line); await api.close(); process.exit(0);
    })`;
    const out = execFileSync('sh', ['-c', `ulimit -Sn 1024 && exec "${process.execPath}" -e "$0"`, script], { encoding: 'utf8', timeout: 30_000 });
    const m = /Max open files\s+(\d+)\s+(\d+)/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m![1])).toBe(Number(m![2]));
    expect(Number(m![1])).toBeGreaterThan(1024);
  });
});
