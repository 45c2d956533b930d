// Owns SystemClock, the Node adapter of the Clock port (performance.now for monotonic time).

import type { Clock } from '../ports/clock.js';

/** One shared AbortError: an aborted sleep is routine (deadline races), so no stack is captured each time. */
const ABORTED = new DOMException('aborted', 'AbortError');

export class SystemClock implements Clock {
  monoMs(): number { return performance.now(); }
  wallMs(): number { return Date.now(); }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) { reject(ABORTED); return; }
      const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, Math.max(0, ms));
      const onAbort = (): void => { clearTimeout(t); reject(ABORTED); };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
