// Owns the ProcessStarter port: one long-lived child process fed on stdin whose stdout and stderr
// arrive as text chunks (a persistent `virsh` session). Used where a request/reply conversation with a
// program must not cost a process per request; one-shot commands go through the CommandRunner port.

export interface LongProcess {
  readonly pid: number | null;
  write(text: string): void;
  onStdout(cb: (chunk: string) => void): void;
  onStderr(cb: (chunk: string) => void): void;
  /** called once when the process ended (or could not be started: code null, signal null) */
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export interface ProcessStarter {
  start(argv: readonly string[], opts?: { env?: Record<string, string> }): LongProcess;
}
