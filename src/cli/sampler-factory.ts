// Owns building the collector's SampleSource from plain settings (so the same wiring runs in the
// engine's thread or in the sampler worker): host fs under the root, QMP connector, the one libvirt
// session (a persistent virsh) shared by the QMP and libvirt enrichers, the direct connection to
// libvirtd's RPC socket for the libvirt enricher's per-tick stats (root on this host's system daemon
// only: the socket a non-root virsh would not use by default; libvirt.conf's uri_default counts as
// virsh counts it), tc, and the static inventory
// for the real host only. The demo and --root trees never reach this host's virsh, tc or inventory.

import { readFileSync } from 'node:fs';
import { createHostSampler } from '../collector/host-sampler.js';
import { createSiInventory } from '../collector/inventory-si.js';
import { clientConfigPath, effectiveLibvirtUri, isLocalSystemUri } from '../collector/libvirt/client-config.js';
import { createLibvirtEnricher } from '../collector/libvirt/enricher.js';
import { LibvirtRpcClient } from '../collector/libvirt/rpc-client.js';
import { createQmpEnricher } from '../collector/qmp/enricher.js';
import { VirshSession } from '../collector/qmp/virsh-channel.js';
import { createTcEnricher } from '../collector/tc/enricher.js';
import { createDemoShapingEnricher } from '../demo/shaping-enricher.js';
import { ExecRunner } from '../engine/node/exec-runner.js';
import { NodeHostFs } from '../engine/node/node-host-fs.js';
import { NodeProcessStarter } from '../engine/node/process-starter.js';
import { SocketQmpConnector } from '../engine/node/socket-qmp.js';
import type { QmpConnector } from '../engine/ports/qmp.js';
import { SystemClock } from '../engine/node/system-clock.js';
import { UnixByteStreamConnector } from '../engine/node/unix-byte-stream.js';
import type { GuestEnricher, SampleSource } from '../engine/ports/sources.js';

/** Everything the sampler needs, as plain data (it crosses into a worker thread). */
export interface SamplerConfig {
  root: string;
  demo: boolean;
  libvirtUri: string | null;
  extraQmpSockets: string[];
  /** QEMU block latency histograms (see createQmpEnricher); 'all' also asks libvirt guests' monitors */
  latencyHistograms: 'direct' | 'all' | 'off';
  /** a guest's QMP deadline per tick through its own socket (ms; absent: the enricher's default) */
  qmpTimeoutMs?: number;
  /** cached descriptors the sampler may keep (the demo leaves room for every guest's QMP connection) */
  maxCached?: number;
}

export interface BuiltSampler {
  sampler: SampleSource;
  /** closes the sampler, the libvirt session and the cached descriptors */
  close(): Promise<void>;
}

/** This user's libvirt client configuration (libvirt.conf) as text; null when there is none. */
function readClientConfig(isRoot: boolean): string | null {
  const p = clientConfigPath(isRoot, process.env);
  if (p === null) return null;
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** `qmp`: a connector shared with the tuner in the same thread (one QMP connection per socket). */
export function buildSampler(cfg: SamplerConfig, shared: { qmp?: QmpConnector } = {}): BuiltSampler {
  const runner = new ExecRunner();
  const fs = new NodeHostFs(cfg.root, cfg.maxCached !== undefined ? { maxCached: cfg.maxCached } : {});
  const clock = new SystemClock();
  const qmp = shared.qmp ?? new SocketQmpConnector();
  // the local virsh speaks for this host's libvirt only when we read this host (root /), or when the
  // operator names the libvirt to ask (--libvirt-uri); never for a captured tree or the demo
  const useVirsh = !cfg.demo && (fs.root === '/' || cfg.libvirtUri !== null);
  // one long-lived virsh session for everything asked of libvirt (never a process per tick or guest)
  const session = useVirsh && runner.has('virsh') ? new VirshSession({ starter: new NodeProcessStarter(), uri: cfg.libvirtUri }) : null;
  const virshExec = session?.exec;
  const enrichers: GuestEnricher[] = [createQmpEnricher({ fs, qmp, runner, clock, libvirtUri: cfg.libvirtUri, useVirsh, virshExec, latencyHistograms: cfg.latencyHistograms, ...(cfg.qmpTimeoutMs !== undefined ? { timeoutMs: cfg.qmpTimeoutMs } : {}) })];
  // the URI virsh uses: --libvirt-uri, else LIBVIRT_DEFAULT_URI, else libvirt.conf's uri_default, else
  // root's default (the system daemon); the RPC socket is read only when that is this host's system daemon
  const isRoot = process.getuid?.() === 0;
  const systemUri = session !== null && fs.root === '/'
    && isLocalSystemUri(effectiveLibvirtUri(cfg.libvirtUri, process.env.LIBVIRT_DEFAULT_URI, () => readClientConfig(isRoot)), isRoot);
  const rpc = systemUri ? new LibvirtRpcClient({ connector: new UnixByteStreamConnector(), uri: 'qemu:///system' }) : undefined;
  if (session) enrichers.push(createLibvirtEnricher({ fs, runner, clock, uri: cfg.libvirtUri, exec: virshExec, rpc }));
  // tc shaping of the taps: only on this host (a captured tree's or the demo's taps are not here)
  if (!cfg.demo && fs.root === '/' && runner.has('tc')) enrichers.push(createTcEnricher({ runner, fs }));
  // the demo's simulated tc publishes its taps' limits in the demo tree (no program is run)
  if (cfg.demo) enrichers.push(createDemoShapingEnricher(fs));
  // static inventory (systeminformation) describes THIS machine: only for the real host at /
  const inventory = !cfg.demo && fs.root === '/' ? createSiInventory() : null;
  const sampler = createHostSampler({ fs, clock, enrichers, demo: cfg.demo, extraQmpSockets: cfg.extraQmpSockets, inventory });
  let closed = false;
  return {
    sampler,
    async close() {
      if (closed) return;
      closed = true;
      await sampler.close().catch(() => undefined);
      await session?.close();
      fs.close();
    },
  };
}
