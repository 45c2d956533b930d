// Owns the TUI's link to the engine: open it (in-process or a daemon), subscribe to snapshots, poll
// status once per tick, notice a dropped daemon connection or a stalled engine, and reconnect. The
// engine comes from an injected open() so the TUI never knows the transport (design.md section 5).

import type { Snapshot } from '../engine/model/snapshot.js';
import type { EngineApi, EngineStatus, Subscription } from '../engine/protocol/api.js';

export type LinkState = 'connecting' | 'live' | 'stalled' | 'down';

export interface SessionDeps {
  open(): Promise<EngineApi>;
  now(): number;
  /** a change worth a redraw happened */
  onChange(): void;
}

const closedFlag = (api: EngineApi): boolean => (api as { closed?: unknown }).closed === true;

export class EngineSession {
  api: EngineApi | null = null;
  status: EngineStatus | null = null;
  latest: Snapshot | null = null;
  /** when the last snapshot arrived (ms, deps.now) */
  lastAt: number | null = null;
  link: LinkState = 'connecting';
  lastError: string | null = null;
  /** reconnections done after a drop */
  reconnects = 0;
  private sub: Subscription | null = null;
  private opening = false;
  private closed = false;
  private everLive = false;

  constructor(private readonly deps: SessionDeps) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.opening || this.closed) return;
    this.opening = true;
    try {
      const api = await this.deps.open();
      if (this.closed) { await api.close().catch(() => undefined); return; }
      this.api = api;
      this.status = await api.status();
      const first = await api.latest();
      if (first && first.intervalSec !== null) this.accept(first);
      this.sub = await api.subscribe((s) => this.accept(s));
      if (this.everLive) this.reconnects++;
      this.everLive = true;
      this.link = 'live';
      this.lastAt = this.deps.now();
      this.lastError = null;
    } catch (e) {
      this.link = 'down';
      this.lastError = e instanceof Error ? e.message : String(e);
      if (this.api) await this.api.close().catch(() => undefined);
      this.api = null;
    } finally {
      this.opening = false;
      this.deps.onChange();
    }
  }

  private accept(s: Snapshot): void {
    if (s.intervalSec === null) return; // the first sample has no rates
    this.latest = s;
    this.lastAt = this.deps.now();
    if (this.link !== 'live' && this.api) this.link = 'live';
    this.deps.onChange();
  }

  /** Seconds since the last snapshot, when that is longer than the engine's cadence allows. */
  staleSec(): number | null {
    if (this.link === 'live' || this.lastAt === null) return null;
    return (this.deps.now() - this.lastAt) / 1000;
  }

  /** Once per app tick: detect a drop or a stall, reconnect, refresh status. */
  async tick(): Promise<void> {
    if (this.closed) return;
    const api = this.api;
    if (api === null || closedFlag(api)) {
      if (api !== null) {
        this.api = null;
        this.sub = null;
        this.link = 'down';
        this.lastError = 'the connection to the engine closed';
        this.deps.onChange();
      }
      await this.connect();
      return;
    }
    const interval = (this.status?.intervalSec ?? 1) * 1000;
    const late = this.lastAt !== null && this.deps.now() - this.lastAt > Math.max(3 * interval, 3000);
    // a replay paused, at its end or slowed down sends no snapshots: that is not a stalled engine
    const replaying = this.status?.replay !== undefined && this.status?.replay !== null;
    if (late && this.link === 'live' && !replaying) { this.link = 'stalled'; this.deps.onChange(); }
    try {
      this.status = await api.status();
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      if (closedFlag(api)) { this.link = 'down'; this.deps.onChange(); }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const api = this.api;
    this.api = null;
    await this.sub?.unsubscribe().catch(() => undefined);
    if (api) await api.close().catch(() => undefined);
  }
}
