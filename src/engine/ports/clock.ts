// Owns the Clock port: monotonic time for intervals, wall time for labels, and sleeping, so rate
// derivation, the scheduler and revert timers are deterministic under a manual clock in tests.

export interface Clock {
  /** monotonic milliseconds (never goes backwards) */
  monoMs(): number;
  /** wall-clock milliseconds since the epoch */
  wallMs(): number;
  /** resolves after ms, or rejects with an AbortError when signal fires */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
