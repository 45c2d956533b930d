// Owns the QmpConnector port: a QMP session over a unix socket. The adapter does the framing,
// greeting, `qmp_capabilities`, request ids, event separation, timeouts and size caps; callers only
// execute commands. Big integers in replies are returned as numbers when they are safe integers and
// as decimal strings otherwise (never rounded).

export interface QmpEvent {
  event: string;
  data?: unknown;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpErrorInfo { class: string; desc: string }

export interface QmpChannel {
  /** Run one command; rejects with a HostError (kind 'timeout', 'io', 'parse') or a QmpCommandError. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T>;
  /** Events received so far and not yet taken. */
  takeEvents(): QmpEvent[];
  onEvent(listener: (e: QmpEvent) => void): () => void;
  readonly greeting: unknown;
  readonly closed: boolean;
  close(): Promise<void>;
}

export interface QmpConnectOptions {
  /** total time allowed for connect + greeting + qmp_capabilities */
  timeoutMs?: number;
  /** default per-command timeout */
  commandTimeoutMs?: number;
  maxLineBytes?: number;
  maxBufferedBytes?: number;
}

export interface QmpConnector {
  connect(socketPath: string, opts?: QmpConnectOptions): Promise<QmpChannel>;
}

/** QEMU answered a command with `{"error": {"class", "desc"}}`. */
export class QmpCommandError extends Error {
  readonly qmpClass: string;
  readonly desc: string;
  readonly command: string;
  constructor(command: string, info: QmpErrorInfo) {
    super(`QMP ${command}: ${info.class}: ${info.desc}`);
    this.name = 'QmpCommandError';
    this.qmpClass = info.class;
    this.desc = info.desc;
    this.command = command;
  }
}
