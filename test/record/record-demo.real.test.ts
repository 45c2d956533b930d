// Recording the demo host with the real CLI (real SQLite file, real processes): 10 s recorded, replayed
// exactly, reported with percentiles checked against values computed here; kill -9 mid-recording keeps
// the committed blocks; a truncated file, a foreign SQLite file and a text file are refused in one line;
// a tuning change made through `serve --record` appears as an event with before/after percentiles.

import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import type { CapacityReport } from '../../src/engine/model/report.js';
import { openRecording } from '../../src/engine/node/sqlite-recording.js';
import { decodeBlock } from '../../src/engine/record/codec.js';
import { CLI, runCli } from '../helpers/cli.js';
import { isAlive, killPid, useLab } from '../helpers/lab.js';
import { expectedPercentiles, jsonLines, liveSnapshots, recordedSamples } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('record, replay and report the demo host (real CLI, real SQLite file)', () => {
  const lab = useLab();

  it('records 10 s, replays every snapshot exactly, and reports percentiles that match the samples', async () => {
    const dir = lab.tmpdir('rec');
    const file = path.join(dir, 'demo.vtr');
    const env = { TMPDIR: dir };
    const rec = await runCli(['--demo', '--json', 'record', '-o', file, '--duration', '10'], { env, timeoutMs: 60_000 });
    expect(rec.stderr).toBe('');
    expect(rec.code).toBe(0);
    const summary = JSON.parse(rec.stdout) as { samples: number; guestSamples: number; bytes: number };
    const samples = recordedSamples(file);
    expect(samples.length).toBe(summary.samples);
    expect(samples.length).toBeGreaterThanOrEqual(9);
    expect(samples[samples.length - 1]!.wallMs - samples[0]!.wallMs).toBeGreaterThanOrEqual(8000);
    expect(samples.every((s) => s.demo && s.guests.length === 8)).toBe(true);
    expect(summary.guestSamples).toBe(samples.length * 8);

    const rep = await runCli(['replay', file, '--json', '--speed', '50'], { env, timeoutMs: 60_000 });
    expect(rep.code).toBe(0);
    const replayed = jsonLines(rep.stdout) as Snapshot[];
    expect(replayed).toEqual(liveSnapshots(samples));

    const r = await runCli(['report', file, '--json', '--fit', '2:1024'], { env });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CapacityReport;
    const snaps = liveSnapshots(samples).filter((s) => s.intervalSec !== null);
    expect(report.samples).toBe(samples.length);
    expect(report.guests).toHaveLength(8);
    for (const g of report.guests) {
      const cpu = snaps.map((s) => s.guests.find((x) => x.id === g.id)?.cpu.usagePct).filter((v): v is number => typeof v === 'number');
      const mem = snaps.map((s) => s.guests.find((x) => x.id === g.id)?.memory.currentBytes).filter((v): v is number => typeof v === 'number');
      expect(cpu.length).toBe(snaps.length);
      expect(g.metrics.cpuPct).toEqual(expectedPercentiles(cpu));
      expect(g.metrics.memoryBytes).toEqual(expectedPercentiles(mem));
    }
    for (const n of report.nodes) {
      const used = snaps.map((s) => s.host.numaNodes.find((x) => x.node === n.node)).map((x) => (x && x.memTotalBytes !== null && x.memFreeBytes !== null ? x.memTotalBytes - x.memFreeBytes : null))
        .filter((v): v is number => v !== null);
      expect(n.metrics.memUsedBytes).toEqual(expectedPercentiles(used));
      expect(n.headroom.memBytes).toBe((n.memTotalBytes as number) - expectedPercentiles(used).p95);
    }
    expect(report.overcommit.vcpus).toBe(samples[0]!.guests.reduce((s, g) => s + (g.smp ?? g.vcpus.length), 0));
    expect(report.fit?.need).toEqual({ vcpus: 2, memMiB: 1024 });
    const text = await runCli(['report', file], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Headroom at the p95 load');
  });

  it('replays a downsampled stretch: one snapshot per minute marked downsampled, then full resolution', async () => {
    const dir = lab.tmpdir('rec-ds');
    const file = path.join(dir, 'ds.vtr');
    const env = { TMPDIR: dir };
    const rec = await runCli(['--demo', '--json', 'record', '-o', file, '--duration', '12', '--commit', '1', '--full', '4'], { env, timeoutMs: 60_000 });
    expect(rec.stderr).toBe('');
    expect(rec.code).toBe(0);
    // what the file holds, read here through the file adapter and the codec: step-60 blocks first
    const r = openRecording(file);
    const blocks = r.blocks();
    const all = blocks.flatMap((b) => decodeBlock(r.readBlock(b.id)).map((s) => ({ s, downsampled: b.stepSec === 60 })));
    r.close();
    const kept = all.filter((x) => x.downsampled);
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(all.findIndex((x) => !x.downsampled)).toBe(kept.length); // the downsampled stretch comes first
    const minutes = kept.map((x) => Math.floor(x.s.wallMs / 60_000));
    expect(new Set(minutes).size).toBe(minutes.length); // at most one snapshot per minute
    expect(all.length - kept.length).toBeGreaterThanOrEqual(3); // the last --full seconds at full resolution

    const rep = await runCli(['replay', file, '--json', '--speed', '100'], { env, timeoutMs: 60_000 });
    expect(rep.stderr).toBe('');
    expect(rep.code).toBe(0);
    const lines = jsonLines(rep.stdout) as Array<Snapshot & { downsampled?: boolean }>;
    expect(lines.map((l) => l.downsampled === true)).toEqual(all.map((x) => x.downsampled));
    expect(lines.map(({ downsampled: _d, ...snap }) => snap)).toEqual(liveSnapshots(all.map((x) => x.s)));
    expect(lines.filter((l) => !l.downsampled).every((l) => !('downsampled' in l))).toBe(true); // full resolution: the plain snapshot

    // seeking past the boundary plays full resolution only
    const from = (all[kept.length]!.s.wallMs - all[0]!.s.wallMs) / 1000;
    const seek = await runCli(['replay', file, '--json', '--from', String(from), '--count', '2'], { env, timeoutMs: 60_000 });
    expect(seek.code).toBe(0);
    const sl = jsonLines(seek.stdout) as Array<Snapshot & { downsampled?: boolean }>;
    expect(sl.map((l) => [l.timestamp, l.downsampled ?? false])).toEqual(all.slice(kept.length, kept.length + 2).map((x) => [new Date(x.s.wallMs).toISOString(), false]));

    // the report counts the stretch through its per-minute aggregates, not twice
    const report = JSON.parse((await runCli(['report', file, '--json'], { env })).stdout) as CapacityReport;
    expect(report.samples).toBe(all.length - kept.length);
    expect(report.downsampledMinutes).toBeGreaterThanOrEqual(1);
  });

  it('kill -9 during a recording keeps every committed block; the file still opens and reports', async () => {
    const dir = lab.tmpdir('rec-kill');
    const file = path.join(dir, 'killed.vtr');
    const child = spawn(process.execPath, [CLI, '--demo', '--interval', '0.5', 'record', '-o', file, '--commit', '1'], {
      stdio: 'ignore', detached: true, env: { ...process.env, TMPDIR: dir },
    });
    const pid = child.pid as number;
    lab.defer(() => killPid(pid, true));
    // wait until some blocks are committed (a busy machine starts the demo slowly), then kill -9
    let committed = 0;
    const deadline = Date.now() + 60_000;
    while (committed < 4) {
      if (Date.now() > deadline) throw new Error('the recorder committed no blocks within 60 s');
      await sleep(250);
      if (!existsSync(file)) continue;
      try {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        try { committed = (db.prepare('SELECT coalesce(sum(samples), 0) AS n FROM blocks').get() as { n: number }).n; } finally { db.close(); }
      } catch { /* being created */ }
    }
    expect(isAlive(pid)).toBe(true);
    process.kill(-pid, 'SIGKILL');
    killPid(pid, true);
    expect(existsSync(`${file}-wal`)).toBe(true); // the WAL was not checkpointed: a real crash
    const r = await runCli(['report', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CapacityReport;
    expect(report.samples).toBeGreaterThanOrEqual(committed);
    expect(report.guests).toHaveLength(8);
    const replay = await runCli(['replay', file, '--json', '--speed', '100']);
    expect(replay.code).toBe(0);
    expect(jsonLines(replay.stdout)).toHaveLength(report.samples);
  });

  it('a disk that fills up stops the recording with one line and exit 1', async () => {
    const dir = lab.tmpdir('rec-full');
    const mnt = path.join(dir, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160k', 'tmpfs', mnt]);
    lab.defer(() => { execFileSync('umount', [mnt]); });
    const file = path.join(mnt, 'full.vtr');
    const r = await runCli(['--demo', '--interval', '0.5', 'record', '-o', file, '--commit', '1', '--duration', '60'], { env: { TMPDIR: dir }, timeoutMs: 90_000 });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^virtune: ${file}: .*(disk is full|could not write)`));
  });

  it('refuses a truncated file, an older format, a foreign SQLite file and a text file with one clear line (exit 2)', async () => {
    const dir = lab.tmpdir('rec-bad');
    const good = path.join(dir, 'good.vtr');
    const rec = await runCli(['--demo', '--interval', '0.5', 'record', '-o', good, '--duration', '3', '--commit', '1'], { env: { TMPDIR: dir } });
    expect(rec.code).toBe(0);
    expect(existsSync(`${good}-wal`)).toBe(false); // closed cleanly: one self-contained file
    const cut = path.join(dir, 'cut.vtr');
    copyFileSync(good, cut);
    truncateSync(cut, Math.floor(statSync(cut).size / 3));
    const foreign = path.join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    db.close();
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'hello, this is not a recording at all\n'.repeat(200));
    // a recording of format version 1 (before the column-wise blocks): refused, not misread
    const old = path.join(dir, 'old.vtr');
    copyFileSync(good, old);
    const odb = new Database(old);
    odb.prepare("UPDATE meta SET value = '1' WHERE key = 'version'").run();
    odb.close();
    const cases: Array<[string, RegExp]> = [
      [old, /recording format version 1 is not supported \(this virtune reads 2; record again with this version\)/],
      [cut, /damaged or truncated/],
      [foreign, /not a virtune recording \(an SQLite file of something else\)/],
      [text, /not a virtune recording \(not an SQLite file\)/],
      [path.join(dir, 'missing.vtr'), /no such recording/],
    ];
    for (const [f, why] of cases) {
      for (const cmd of [['report', f], ['replay', f, '--json']]) {
        const r = await runCli(cmd);
        expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(f);
        expect(lines[0]).toMatch(why);
      }
    }
    expect(readFileSync(foreign).length).toBeGreaterThan(0);
    // an existing file is never overwritten by a new recording
    const again = await runCli(['--demo', 'record', '-o', good, '--duration', '1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });
});
