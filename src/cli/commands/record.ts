// Owns `virtune record`, `virtune replay` and `virtune report`: record raw samples (and tuning events)
// of this host or the demo into a recording file, play a recording back through the same derivation
// (snapshots printed like `watch`, or JSON lines), and the capacity report (text, --json, --html).

import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { usageError, VirtuneError } from '../../engine/model/errors.js';
import type { Snapshot } from '../../engine/model/snapshot.js';
import { openRecording } from '../../engine/node/sqlite-recording.js';
import { reportHtml } from '../../engine/present/report-html.js';
import { reportText } from '../../engine/present/report-text.js';
import { buildReport } from '../../engine/record/report.js';
import { snapshotTable } from '../../engine/present/snapshot-table.js';
import { connectEngine } from '../../engine/rpc/client.js';
import { createLoopbackPair } from '../../engine/rpc/loopback.js';
import { serveEngine } from '../../engine/rpc/server.js';
import { buildLocalEngine, localCaller, packageVersion } from '../engine-factory.js';
import { buildReplayEngine, parseFrom, startRecording } from '../recording.js';
import { uplotAssets } from '../report-assets.js';
import { BASE_PANELS } from '../../tui/panels.js';
import { replayPanel } from '../../tui/replay.js';
import { makeOut, parseGlobals } from '../runtime.js';

function positive(flag: string, v: string | undefined, min = 0): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= min) throw usageError(`${flag}: '${v}' is not a number of seconds > ${min}`);
  return n;
}

function kib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Resolve on SIGINT/SIGTERM or after ms (null = never). */
function until(ms: number | null): { done: Promise<void>; dispose(): void } {
  let off = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    const t = ms === null ? null : setTimeout(resolve, ms);
    const on = (): void => resolve();
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
    off = () => { if (t) clearTimeout(t); process.off('SIGINT', on); process.off('SIGTERM', on); };
  });
  return { done, dispose: () => off() };
}

export function parseFit(v: string | undefined): { vcpus: number; memMiB: number } | null {
  if (v === undefined) return null;
  const m = /^(\d+(?:\.\d+)?):(\d+)$/.exec(v);
  if (!m || Number(m[1]) <= 0) throw usageError(`--fit: '${v}' is not VCPUS:MIB (e.g. 4:8192)`);
  return { vcpus: Number(m[1]), memMiB: Number(m[2]) };
}

export function registerRecording(program: Command): void {
  program.command('record')
    .description('record raw samples, tuning changes and audit events to a recording file (SQLite)')
    .requiredOption('-o, --output <FILE>', 'recording file (must not exist)')
    .option('--duration <SEC>', 'stop after SEC seconds (default: until interrupted)')
    .option('--commit <SEC>', 'commit a block at least every SEC seconds: a crash loses at most this much (default 120)')
    .option('--full <SEC>', 'keep full resolution for SEC seconds, then per-minute aggregates (default 604800 = 7 days)')
    .option('--retention <SEC>', 'drop what is older than SEC seconds (default: keep everything)')
    .action(async (o: { output: string; duration?: string; commit?: string; full?: string; retention?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      if (g.connect) throw usageError('record: --connect is not supported (run `virtune serve --record FILE` on the host instead)');
      const duration = positive('--duration', o.duration);
      const commit = positive('--commit', o.commit) ?? 120;
      const full = positive('--full', o.full);
      const retention = positive('--retention', o.retention);
      const out = makeOut(g.json);
      const session = startRecording({
        file: o.output, demo: g.demo !== null, intervalSec: g.intervalSec,
        blockSec: commit, blockSamples: Math.max(1, Math.ceil(commit / g.intervalSec)),
        fullSec: full ?? undefined, retentionSec: retention,
      });
      let local;
      try {
        local = await buildLocalEngine(g, { write: false, journal: true, version: packageVersion(), onRawSample: session.onRawSample });
      } catch (e) {
        await session.close().catch(() => undefined);
        throw e;
      }
      const started = Date.now();
      const stop = until(duration === null ? null : duration * 1000);
      const tty = process.stderr.isTTY === true && !g.json;
      const progress = (): void => {
        const st = session.recorder.stats;
        process.stderr.write(`\rrecording ${o.output}: ${clock(Date.now() - started)} elapsed, ${st.samples} samples, ${kib(session.store.sizeBytes())}  `);
      };
      const ticker = tty ? setInterval(progress, 1000) : null;
      try {
        await local.engine.start();
        session.attach({ changes: () => local.engine.changes(), auditLog: (n) => local.engine.auditLog(n) });
        await Promise.race([stop.done, session.failed]);
      } finally {
        stop.dispose();
        if (ticker) { clearInterval(ticker); progress(); process.stderr.write('\n'); }
        await local.stop();
        await session.close();
      }
      const st = session.recorder.stats;
      let bytes = 0;
      try { bytes = (await import('node:fs')).statSync(o.output).size; } catch { bytes = 0; }
      const result = {
        file: o.output, samples: st.samples, guestSamples: st.guestSamples, blocks: st.blocks, events: st.events, bytes,
        bytesPerGuestSample: st.guestSamples > 0 ? bytes / st.guestSamples : null,
      };
      if (g.json) out.data(result);
      else out.text(`recorded ${st.samples} samples (${st.guestSamples} guest-samples, ${st.events} events) to ${o.output}, ${kib(bytes)}`);
    });

  program.command('replay')
    .description('replay a recording in the terminal UI (on a terminal), or print its snapshots like `watch` (--json: one per line; --count)')
    .argument('<FILE>', 'recording file')
    .option('--speed <X>', 'playback speed, 0.1 to 100 (default 1)')
    .option('--from <WHEN>', 'start at seconds from the start of the recording, or an ISO time')
    .option('--count <N>', 'stop after N snapshots')
    .action(async (file: string, o: { speed?: string; from?: string; count?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      const speed = o.speed === undefined ? 1 : Number(o.speed);
      if (!Number.isFinite(speed)) throw usageError(`--speed: '${o.speed}' is not a number from 0.1 to 100`);
      const count = o.count === undefined ? null : Number(o.count);
      if (count !== null && (!Number.isInteger(count) || count < 1)) throw usageError(`--count: '${o.count}' is not a whole number ≥ 1`);
      const tui = !g.json && count === null && process.stdout.isTTY === true && process.stdin.isTTY === true;
      const r = buildReplayEngine(file, packageVersion(), { speed, playing: tui });
      const from = parseFrom(o.from, () => r.source.at(0).wallMs);
      const [a, b] = createLoopbackPair();
      const served = serveEngine(r.engine, a, { readOnly: true, caller: localCaller('cli') });
      const api = connectEngine(b);
      if (tui) {
        // the terminal UI on the replaying engine: REPLAY badge, replay keys and panel, tuning refused
        try {
          await r.engine.start();
          if (from !== null) await api.replayControl({ action: 'seek', wallMs: from });
          const { runTui } = await import('../../tui/main.js'); // loaded only for the replay TUI
          let handed = false;
          process.exitCode = await runTui({
            open: async () => {
              if (handed) throw new VirtuneError(1, 'the replay engine stopped');
              handed = true;
              return api;
            },
            connectedTo: null, implicitDemo: false, env: process.env, replay: true, panels: [...BASE_PANELS, replayPanel],
          });
        } finally {
          await api.close();
          await served.close();
          await r.stop();
        }
        return;
      }
      const stop = until(null);
      let shown = 0;
      try {
        await r.engine.start();
        if (from !== null) await api.replayControl({ action: 'seek', wallMs: from });
        const clear = !g.json && count === null && process.stdout.isTTY === true;
        const print = (s: Snapshot): void => {
          // a snapshot of a downsampled stretch: one per minute, rates averaged over it
          const downsampled = r.source.downsampledAt(Date.parse(s.timestamp));
          if (out.json) out.data(downsampled ? { ...s, downsampled: true } : s); // full resolution: the snapshot as is
          else process.stdout.write((clear ? '\x1b[H\x1b[2J' : '') + `replay ${file} ${s.timestamp}${downsampled ? ' (per-minute, downsampled)' : ''}\n` + snapshotTable(s).join('\n') + '\n\n');
        };
        const first = await api.latest();
        const finished = new Promise<void>((resolve) => {
          const onSnap = (s: Snapshot): void => {
            if (count !== null && shown >= count) return;
            print(s);
            shown++;
            if (count !== null && shown >= count) resolve();
          };
          if (first) onSnap(first);
          void api.subscribe(onSnap).then(() => api.replayControl({ action: 'play' }));
          const check = setInterval(() => {
            void api.status().then((st) => { if (st.replay?.atEnd && !st.replay.playing) { clearInterval(check); setTimeout(resolve, 50); } }, () => undefined);
          }, 100);
          void stop.done.then(() => { clearInterval(check); resolve(); });
          if (count !== null && shown >= count) { clearInterval(check); resolve(); }
        });
        await finished;
      } finally {
        stop.dispose();
        await api.close();
        await served.close();
        await r.stop();
      }
    });

  program.command('report')
    .description('capacity report from a recording: percentiles, headroom, overcommit, tuning before/after')
    .argument('<FILE>', 'recording file')
    .option('--html <OUT>', 'also write a self-contained HTML report (charts, readable offline)')
    .option('--fit <VCPUS:MIB>', 'would a guest of VCPUS vCPUs and MIB MiB fit, and where (at the busiest moment)')
    .action(async (file: string, o: { html?: string; fit?: string }, cmd: Command) => {
      const g = parseGlobals(cmd);
      const out = makeOut(g.json);
      const fit = parseFit(o.fit);
      const reader = openRecording(file);
      let report;
      try {
        report = buildReport(reader, { fit });
      } finally {
        reader.close();
      }
      if (report.samples === 0 && report.downsampledMinutes === 0) throw new VirtuneError(2, `${file}: the recording holds no samples`);
      if (o.html) {
        const assets = uplotAssets();
        writeFileSync(o.html, reportHtml(report, assets));
      }
      if (g.json) {
        const { charts: _charts, ...rest } = report;
        out.data(rest);
      } else {
        for (const l of reportText(report)) out.text(l);
      }
      if (o.html) out.warn(`report: wrote ${o.html}`);
    });
}
