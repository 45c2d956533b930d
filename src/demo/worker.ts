// Owns the demo simulator's own process (entry point dist/demo/worker.js, forked by process.ts):
// startDemoHost() with the options on its command line — the tree writes, the per-guest QMP servers
// and the step timer all run here, outside the engine that samples them, as real QEMUs would. Reports
// the root and guests over IPC. Asked to stop, it exits at once and the parent removes the tree (a
// large tree takes seconds to remove; the parent waits for that, not for us). When the parent goes
// away however it went (even SIGKILL: the IPC channel closes), or on a signal, we remove it ourselves.

import * as fs from 'node:fs';
import { untrackDir } from './cleanup.js';
import { startDemoHost, type DemoHost } from './host.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const send = (m: unknown): void => { process.send?.(m); };

let demo: DemoHost | null = null;
let stopping = false;
const stop = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await demo?.stop().catch(() => undefined);
  process.exit(code);
};
process.on('message', (m: { type?: string }) => { if (m.type === 'stop') process.exit(0); });
process.on('disconnect', () => { void stop(0); });
// a terminal's Ctrl-C reaches the whole process group: the parent stops us in order
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => { void stop(0); });
process.on('SIGHUP', () => { void stop(0); });
// the parent removes the tree on its way out (an exit hook) while a step may still be writing: a write
// into a tree that is gone ends us quietly; anything else is a real failure
process.on('uncaughtException', (e: NodeJS.ErrnoException) => {
  if (demo && !fs.existsSync(demo.root)) process.exit(0);
  process.stderr.write(`virtune demo simulator: ${e.stack ?? e.message}\n`);
  process.exit(1);
});

try {
  demo = await startDemoHost({
    guests: Number(arg('--guests') ?? '8'),
    seed: Number(arg('--seed') ?? '1'),
    stepMs: Number(arg('--step-ms') ?? '250'),
    qmp: !process.argv.includes('--no-qmp'),
    ...(arg('--dir') !== undefined ? { dir: arg('--dir') } : {}),
  });
  // the tree is the parent's to remove on an ordinary stop (see above); ours only when it is gone
  untrackDir(demo.root);
  send({ type: 'ready', root: demo.root, guests: demo.guests });
} catch (e) {
  send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  await stop(1);
}
