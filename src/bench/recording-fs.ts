// Owns RecordingFs: a HostFs wrapper that passes every call through and, while recording, notes
// which files were read (readCached / readText) and how many directory listings were made, so the
// floor benchmark can re-read exactly the files one sample reads.

import type { CachedFileRef, HostFs, HostStat } from '../engine/ports/host-fs.js';

export class RecordingFs implements HostFs {
  private recording = false;
  readonly files = new Set<string>();
  reads = 0;
  dirListings = 0;

  constructor(private readonly inner: HostFs) {}

  get root(): string { return this.inner.root; }

  start(): void {
    this.files.clear();
    this.reads = 0;
    this.dirListings = 0;
    this.recording = true;
  }

  stop(): string[] {
    this.recording = false;
    return [...this.files];
  }

  private note(p: string): void {
    if (!this.recording) return;
    this.files.add(p);
    this.reads++;
  }

  readText(p: string): string { this.note(p); return this.inner.readText(p); }
  readTail(p: string, maxBytes: number): { text: string; whole: boolean } { this.note(p); return this.inner.readTail(p, maxBytes); }
  readCached(p: string): string { this.note(p); return this.inner.readCached(p); }
  readCachedAt(ref: CachedFileRef): string { this.note(ref.path); return this.inner.readCachedAt ? this.inner.readCachedAt(ref) : this.inner.readCached(ref.path); }
  readSetting(p: string): string { this.note(p); return this.inner.readSetting ? this.inner.readSetting(p) : this.inner.readText(p); }
  forget(prefix: string): void { this.inner.forget(prefix); }
  readDir(p: string): string[] { if (this.recording) this.dirListings++; return this.inner.readDir(p); }
  readLink(p: string): string { return this.inner.readLink(p); }
  exists(p: string): boolean { return this.inner.exists(p); }
  stat(p: string): HostStat { return this.inner.stat(p); }
  writeText(p: string, data: string): void { this.inner.writeText(p, data); }
  appendDurable(p: string, data: string): void { this.inner.appendDurable(p, data); }
  mkdir(p: string, opts?: { recursive?: boolean; mode?: number }): void { this.inner.mkdir(p, opts); }
  rmdir(p: string): void { this.inner.rmdir(p); }
  unlink(p: string): void { this.inner.unlink(p); }
  rename(from: string, to: string): void { this.inner.rename(from, to); }
  resolve(p: string): string { return this.inner.resolve(p); }
  close(): void { this.inner.close(); }
}
