// Owns the HostFs port: every read and write of the host filesystem. Paths are the real kernel paths
// (`/sys/fs/cgroup/...`, `/proc/...`); the adapter maps them under the configured root. Methods are
// synchronous on purpose: kernel files are read on the sampling hot path, where sync positional reads
// through cached descriptors cost ~5 µs and promise-based fs ~150 µs. Failures throw HostError with a
// kind (missing, vanished, permission, invalid, range, busy, nodev, escape, ...).

export interface HostStat {
  isFile: boolean;
  isDirectory: boolean;
  isSocket: boolean;
  isSymlink: boolean;
  mode: number;
  uid: number;
  size: number;
}

/** A file a caller reads again and again (readCachedAt): its path and a place the adapter may use. */
export interface CachedFileRef {
  readonly path: string;
  slot: unknown;
}

export interface HostFs {
  /** the root every path is resolved under ('/' on a real host) */
  readonly root: string;
  /** Read a whole file as text. */
  readText(path: string): string;
  /**
   * Hot-path read: keeps the file descriptor open and re-reads it with a positional read.
   * Identical result to readText. A descriptor whose file vanished is closed and the error thrown.
   */
  readCached(path: string): string;
  /**
   * readCached for a caller that keeps a place per file: the adapter may keep its descriptor's entry in
   * `ref.slot` (null at first) and find it there on the next read, without looking the path up.
   * Optional: without it, callers use readCached(ref.path).
   */
  readCachedAt?(ref: CachedFileRef): string;
  /**
   * A file that changes only when someone tunes (read every few ticks): like readCached, but its
   * descriptor is kept only while the pool has room and is given up first when a hot file needs one;
   * a descriptor that fails is dropped and the path read afresh. For kernel files (a regular file
   * replaced by rename would be read stale). Optional: without it, callers use readText.
   */
  readSetting?(path: string): string;
  /** Close cached descriptors whose path starts with prefix (a guest vanished). */
  forget(prefix: string): void;
  readDir(path: string): string[];
  readLink(path: string): string;
  exists(path: string): boolean;
  stat(path: string): HostStat;
  /** One write(2) of the whole value, as the kernel expects; no truncation dance beyond O_WRONLY|O_TRUNC. */
  writeText(path: string, data: string): void;
  /** The last `maxBytes` bytes of a file as text (a bounded read of a log); `whole`: the file had no more. */
  readTail(path: string, maxBytes: number): { text: string; whole: boolean };
  /** Append with fsync (audit log). */
  appendDurable(path: string, data: string): void;
  mkdir(path: string, opts?: { recursive?: boolean; mode?: number }): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  rename(from: string, to: string): void;
  /** The absolute path in the local filesystem (for sockets and child processes). */
  resolve(path: string): string;
  close(): void;
}
