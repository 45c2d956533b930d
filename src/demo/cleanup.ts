// Owns removal of demo trees when the process ends without stop(): one set of handlers for
// exit/SIGINT/SIGTERM, registered once, that removes every live demo directory synchronously.
// When nobody else listens for the signal, the trees are removed and the signal is re-raised with its
// default action.

import * as fs from 'node:fs';

const live = new Set<string>();
let installed = false;

function removeAll(): void {
  for (const dir of live) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort at exit */ }
  }
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // Someone else handles the signal (the daemon shuts down in order and calls stop()): leave the tree
  // to them — removing it under a running engine would fail its last tick. The exit hook still
  // removes whatever is left.
  if (process.listenerCount(sig) > 1) return;
  removeAll();
  process.removeListener(sig, onSignal);
  process.kill(process.pid, sig);
}

export function trackDir(dir: string): void {
  live.add(dir);
  if (installed) return;
  installed = true;
  process.on('exit', removeAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function untrackDir(dir: string): void {
  live.delete(dir);
}
