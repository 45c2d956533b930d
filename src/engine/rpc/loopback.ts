// Owns the in-process loopback: a pair of Transports connected in memory. Messages are JSON text, so
// the in-process TUI goes through exactly the serialisation and validation every remote client does.
// Delivery is asynchronous (a microtask), as over a real channel.

import { TransportEvents, type Transport } from './transport.js';

class LoopbackEnd implements Transport {
  readonly events = new TransportEvents();
  peer: LoopbackEnd | null = null;

  get closed(): boolean { return this.events.closed; }

  send(text: string): void {
    if (this.closed || typeof text !== 'string') return;
    const peer = this.peer;
    queueMicrotask(() => { if (peer && !peer.closed) peer.events.emitMessage(text); });
  }

  onMessage(cb: (text: string) => void): () => void { return this.events.onMessage(cb); }
  onClose(cb: () => void): () => void { return this.events.onClose(cb); }
  backlog(): number { return 0; }

  close(): void {
    if (this.closed) return;
    this.events.emitClose();
    const peer = this.peer;
    queueMicrotask(() => peer?.close());
  }
}

export function createLoopbackPair(): [Transport, Transport] {
  const a = new LoopbackEnd();
  const b = new LoopbackEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
