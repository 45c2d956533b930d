// Owns the Transport interface: one message-passing channel carrying JSON text, implemented by the
// in-process loopback, unix sockets, websockets and Electron IPC. The RPC server and client see only
// this, so the engine API is identical over every transport.

export interface Transport {
  /** send one message (JSON text); a closed transport drops it */
  send(text: string): void;
  /** every inbound message; returns an unsubscribe function */
  onMessage(cb: (text: string) => void): () => void;
  /** called once when the channel closes (either side) */
  onClose(cb: () => void): () => void;
  close(): void;
  readonly closed: boolean;
  /** bytes queued for sending and not yet written (back-pressure); undefined when unknown */
  backlog?(): number;
}

/** A small helper for implementations: listener lists with a one-shot close. */
export class TransportEvents {
  private readonly msg = new Set<(text: string) => void>();
  private readonly closeCbs = new Set<() => void>();
  closed = false;

  onMessage(cb: (text: string) => void): () => void {
    this.msg.add(cb);
    return () => { this.msg.delete(cb); };
  }

  onClose(cb: () => void): () => void {
    if (this.closed) { queueMicrotask(cb); return () => undefined; }
    this.closeCbs.add(cb);
    return () => { this.closeCbs.delete(cb); };
  }

  emitMessage(text: string): void {
    if (this.closed) return;
    for (const cb of [...this.msg]) {
      try { cb(text); } catch { /* a listener's failure is its own */ }
    }
  }

  emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of [...this.closeCbs]) {
      try { cb(); } catch { /* ignore */ }
    }
    this.closeCbs.clear();
    this.msg.clear();
  }
}
