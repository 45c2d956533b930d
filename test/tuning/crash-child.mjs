// Owns the child process of the kill -9 test: applies a tuning request (JSON file) on a fixture tree
// through the built tuner (dist/), and SIGKILLs itself right after its Nth filesystem write (control
// file, journal, audit log, rename, mkdir): a deterministic kill at every point of a multi-step apply.
import { readFileSync } from 'node:fs';
import { NodeHostFs } from '../../dist/engine/node/node-host-fs.js';
import { FlockStateLock } from '../../dist/engine/node/state-lock.js';
import { SystemClock } from '../../dist/engine/node/system-clock.js';
import { createTuner } from '../../dist/tuning/tuner.js';

const [root, inputFile, killAfter] = process.argv.slice(2);
const { request, sample, stateDir, auditLog } = JSON.parse(readFileSync(inputFile, 'utf8'));
const inner = new NodeHostFs(root);
let writes = 0;
const counted = (name) => (...a) => {
  const r = inner[name](...a);
  if (++writes === Number(killAfter)) process.kill(process.pid, 'SIGKILL');
  return r;
};
const fs = new Proxy(inner, {
  get(t, k) {
    if (['writeText', 'appendDurable', 'rename', 'unlink', 'mkdir', 'rmdir'].includes(k)) return counted(k);
    const v = t[k];
    return typeof v === 'function' ? v.bind(t) : v;
  },
});
const qmp = { connect: async () => { throw new Error('no QMP'); } };
const runner = { has: () => false, run: async () => { throw new Error('no commands'); } };
const tuner = createTuner({ fs, runner, clock: new SystemClock(), qmp, lock: new FlockStateLock(), stateDir, auditLog });
await tuner.apply(request, sample, { uid: 0, user: 'root', pid: process.pid, via: 'test' });
process.stdout.write(`done after ${writes} writes\n`);
