// Owns the ByteStreamConnector port: a raw byte stream to a local unix socket (libvirt's RPC socket),
// framing left to the caller. Used where a binary protocol is spoken directly instead of through a
// helper process; line-based JSON protocols (QMP, the daemon's) have their own ports.

export interface ByteStream {
  write(data: Uint8Array): void;
  /** every chunk as it arrives */
  onData(cb: (chunk: Uint8Array) => void): void;
  /** called once when the stream ended (error or peer close); not called after close() */
  onClose(cb: (err: Error | null) => void): void;
  close(): void;
}

export interface ByteStreamConnector {
  /** rejects with a HostError (kind 'missing', 'permission', 'timeout' or 'io') */
  connect(path: string, timeoutMs: number): Promise<ByteStream>;
}
