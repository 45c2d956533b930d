// Owns the StateLock port: one exclusive lock on the tuning state directory, held around apply, undo,
// keep, revert and journal recovery, so two engines (a daemon and a CLI, or two CLIs) sharing a state
// directory never change the host at the same time or journal each other's values as "from".

export interface StateLock {
  /**
   * Wait (up to timeoutMs) for the lock on `dir` (a real host path) and return its release.
   * Throws VirtuneError(1) naming the holder when it stays taken, or when no lock can be taken at all.
   */
  acquire(dir: string, timeoutMs?: number): Promise<() => void>;
}
