// Owns SharingQmpConnector: one QMP connection per socket for the whole engine. QEMU's monitor serves
// one client at a time, so when the sampler holds a guest's dedicated socket open, a second connection
// (the tuner's block_set_io_throttle) would wait ungreeted until it times out. Here a connect() to a
// socket that already has a live channel gets a lease on that channel; closing a lease releases it, and
// the channel itself closes when its last lease does.

import type { QmpChannel, QmpConnectOptions, QmpConnector, QmpEvent } from '../ports/qmp.js';

interface Shared { ch: QmpChannel; leases: number }

class Lease implements QmpChannel {
  private released = false;
  constructor(private readonly s: Shared, private readonly release: () => Promise<void>) {}
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<T> {
    return this.s.ch.execute<T>(command, args, opts);
  }
  takeEvents(): QmpEvent[] { return this.s.ch.takeEvents(); }
  onEvent(listener: (e: QmpEvent) => void): () => void { return this.s.ch.onEvent(listener); }
  get greeting(): unknown { return this.s.ch.greeting; }
  get closed(): boolean { return this.released || this.s.ch.closed; }
  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.release();
  }
}

export class SharingQmpConnector implements QmpConnector {
  private readonly open = new Map<string, Shared>();
  private readonly pending = new Map<string, Promise<Shared>>();

  constructor(private readonly inner: QmpConnector) {}

  async connect(socketPath: string, opts?: QmpConnectOptions): Promise<QmpChannel> {
    let s = this.open.get(socketPath);
    if (s && s.ch.closed) { this.open.delete(socketPath); s = undefined; }
    if (!s) {
      let p = this.pending.get(socketPath);
      if (!p) {
        p = this.inner.connect(socketPath, opts).then((ch) => ({ ch, leases: 0 }));
        this.pending.set(socketPath, p);
        void p.then((x) => { this.open.set(socketPath, x); }, () => undefined).finally(() => this.pending.delete(socketPath));
      }
      s = await p;
      this.open.set(socketPath, s);
    }
    const shared = s;
    shared.leases++;
    return new Lease(shared, async () => {
      shared.leases--;
      if (shared.leases > 0) return;
      if (this.open.get(socketPath) === shared) this.open.delete(socketPath);
      await shared.ch.close();
    });
  }
}
