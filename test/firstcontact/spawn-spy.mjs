// Preloaded with NODE_OPTIONS=--import into the CLI under test (and, through the inherited
// environment, into every Node process it starts): appends one JSON line per child process spawned —
// the program and its argv — to $VIRTUNE_SPAWN_LOG. Every asynchronous spawn (spawn, fork, exec,
// execFile) goes through ChildProcess.prototype.spawn; the synchronous ones are wrapped by name.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { appendFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const cp = require('node:child_process');
const log = process.env.VIRTUNE_SPAWN_LOG;
const note = (file, args) => { if (log) appendFileSync(log, JSON.stringify({ pid: process.pid, file: String(file), args: (args ?? []).map(String) }) + '\n'); };

const origSpawn = cp.ChildProcess.prototype.spawn;
cp.ChildProcess.prototype.spawn = function spy(options) {
  note(options?.file, options?.args);
  return origSpawn.call(this, options);
};
for (const name of ['spawnSync', 'execSync', 'execFileSync']) {
  const orig = cp[name];
  cp[name] = function spySync(file, args, ...rest) {
    note(file, Array.isArray(args) ? args : []);
    return orig.call(this, file, args, ...rest);
  };
}
syncBuiltinESMExports();
