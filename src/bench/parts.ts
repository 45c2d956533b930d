// Owns loading the parts the benchmarks measure. Each part is built by another issue and may not have
// landed yet: it is imported at run time and, when its module is absent, the figures that need it
// are reported as null with a note saying why. The shapes below are the cross-team signatures.

import type { Clock } from '../engine/ports/clock.js';
import type { CommandRunner } from '../engine/ports/command-runner.js';
import type { HostFs } from '../engine/ports/host-fs.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import type { GuestEnricher, SampleSource } from '../engine/ports/sources.js';
import type { RawSample } from '../engine/model/sample.js';
import type { Snapshot } from '../engine/model/snapshot.js';

export interface DemoHostLike {
  root: string;
  guests: Array<{ id: string; name: string; pid: number; qmpSocket: string }>;
  advance(ms: number): void;
  stop(): Promise<void>;
}

export interface DemoModule {
  startDemoHost(opts: { guests: number; seed?: number; manual?: boolean; qmp?: boolean; dir?: string }): Promise<DemoHostLike>;
}

export interface SamplerModule {
  createHostSampler(deps: { fs: HostFs; clock: Clock; enrichers?: GuestEnricher[]; demo?: boolean }): SampleSource;
}

export interface QmpEnricherModule {
  createQmpEnricher(deps: { fs: HostFs; qmp: QmpConnector; runner: CommandRunner; clock: Clock; libvirtUri?: string | null }): GuestEnricher;
}

export interface SocketQmpModule {
  SocketQmpConnector: new () => QmpConnector;
}

export interface DeriveModule {
  derive(prev: RawSample | null, cur: RawSample): Snapshot;
}

/** Why a part is missing, collected for the result's notes. */
export const missing: string[] = [];

/** Import a module of ours by its path relative to dist/bench; null (and a note) when it is absent. */
export async function tryImport<T>(rel: string, part: string): Promise<T | null> {
  const url = new URL(rel, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ERR_MODULE_NOT_FOUND' ? 'has not landed' : `failed to load: ${err.message.split('\n')[0]}`;
    const note = `${part} (${rel.replace(/^\.\.\//, 'src/').replace(/\.js$/, '.ts')}) ${why}`;
    if (!missing.includes(note)) missing.push(note);
    return null;
  }
}

export const loadDemo = (): Promise<DemoModule | null> => tryImport<DemoModule>('../demo/host.js', 'demo host');
export const loadSampler = (): Promise<SamplerModule | null> => tryImport<SamplerModule>('../collector/host-sampler.js', 'collector');
export const loadQmpEnricher = (): Promise<QmpEnricherModule | null> => tryImport<QmpEnricherModule>('../collector/qmp/enricher.js', 'QMP enricher');
export const loadSocketQmp = (): Promise<SocketQmpModule | null> => tryImport<SocketQmpModule>('../engine/node/socket-qmp.js', 'QMP socket connector');
export const loadDerive = (): Promise<DeriveModule | null> => tryImport<DeriveModule>('../engine/core/derive.js', 'derive');
