// Owns the demo-host child process of the benchmarks: starts startDemoHost() with the options on its
// command line, reports the root over IPC, advances the counters when asked, stops on request or when
// the parent goes away. Entry point: dist/bench/demo-worker.js (forked by demo-process.ts).

import { loadDemo, missing } from './parts.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const send = (m: unknown): void => { process.send?.(m); };

const mod = await loadDemo();
if (!mod) {
  send({ type: 'error', message: missing.join('; ') });
  process.exit(1);
}
const guests = Number(arg('--guests') ?? '10');
const demo = await mod.startDemoHost({
  guests,
  seed: Number(arg('--seed') ?? '1'),
  manual: process.argv.includes('--manual'),
  qmp: process.argv.includes('--qmp'),
});
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await demo.stop();
  process.exit(0);
};
process.on('message', (m: { type: string; ms?: number; id?: number }) => {
  if (m.type === 'advance') {
    demo.advance(m.ms ?? 1000);
    send({ type: 'advanced', id: m.id });
  } else if (m.type === 'stop') {
    void stop();
  }
});
process.on('disconnect', () => { void stop(); });
send({ type: 'ready', root: demo.root, guests: demo.guests.length });
