// Owns the thin procfs readers: one file each, through ReadCtx (cached fds on the hot path), parsed by
// procfs/parse.ts.

import type { RawCpuTimes } from '../../engine/model/sample.js';
import type { ReadCtx } from '../read-ctx.js';
import type { HostFs } from '../../engine/ports/host-fs.js';
import {
  parseKsmStat, parseMeminfo, parseNumaMaps, parsePidStat, parseProcStat, parseSchedstat, parseStatProcessor, parseUptime, statmResidentPages,
  type KsmStat, type NumaMapsSummary, type PidStat, type Schedstat,
} from './parse.js';
import { toInt } from '../parse-common.js';

const S = 'proc';
const toIntOrNull = (t: string): number | null => toInt(t);

export const readProcStat = (ctx: ReadCtx): { total: RawCpuTimes | null; perCpu: Record<string, RawCpuTimes> } | null =>
  ctx.get('/proc/stat', S, parseProcStat);
export const readMeminfo = (ctx: ReadCtx): Map<string, number> | null => ctx.get('/proc/meminfo', S, parseMeminfo);
/** Host uptime in integer ms; null when /proc/uptime is missing (a captured tree without it) or malformed. */
export const readUptimeMs = (ctx: ReadCtx): number | null => ctx.get('/proc/uptime', S, parseUptime);
export const readPidStat = (ctx: ReadCtx, pid: number): PidStat | null => ctx.get(ctx.file(ctx.proc(pid), 'stat'), S, parsePidStat);
export const readStatus = (ctx: ReadCtx, pid: number, tid: number | null = null): string | null =>
  ctx.text(ctx.file(tid === null ? ctx.proc(pid) : ctx.task(pid, tid), 'status'), S);
export const readSchedstat = (ctx: ReadCtx, pid: number, tid: number): Schedstat | null =>
  ctx.get(ctx.file(ctx.task(pid, tid), 'schedstat'), S, parseSchedstat);
export const readTaskProcessor = (ctx: ReadCtx, pid: number, tid: number): number | null =>
  ctx.carried(ctx.file(ctx.task(pid, tid), 'stat'), S, parseStatProcessor);
/**
 * A thread's schedstat and last CPU through a HostFs, for the enrichers that add threads after the
 * sampling pass (QMP's vCPU/iothread map, libvirt's vCPU list): null when schedstat cannot be read (the
 * thread is gone); a file that does not parse leaves its part null.
 */
export function readThreadCounters(fs: HostFs, pid: number, tid: number): { sched: Schedstat | null; lastCpu: number | null } | null {
  const base = `/proc/${pid}/task/${tid}`;
  let text: string;
  try { text = fs.readCached(`${base}/schedstat`); } catch { return null; }
  let sched: Schedstat | null = null;
  try { sched = parseSchedstat(text); } catch { /* malformed: unknown, not 0 */ }
  let lastCpu: number | null = null;
  try { lastCpu = parseStatProcessor(fs.readCached(`${base}/stat`)); } catch { /* gone meanwhile */ }
  return { sched, lastCpu };
}
/** numa_maps walks the page tables: read it at the slow 'numa' cadence, never cached. */
export const readNumaMaps = (ctx: ReadCtx, pid: number): NumaMapsSummary | null =>
  ctx.get(ctx.file(ctx.proc(pid), 'numa_maps'), S, parseNumaMaps, false);
export const readKsmStat = (ctx: ReadCtx, pid: number): KsmStat | null => ctx.carried(ctx.file(ctx.proc(pid), 'ksm_stat'), S, parseKsmStat);
export const readKsmMergingPages = (ctx: ReadCtx, pid: number): number | null =>
  ctx.carried(ctx.file(ctx.proc(pid), 'ksm_merging_pages'), S, toIntOrNull);
/** smaps_rollup also walks the page tables: slow cadence only. */
export const readSmapsRollup = (ctx: ReadCtx, pid: number): Map<string, number> | null =>
  ctx.get(ctx.file(ctx.proc(pid), 'smaps_rollup'), S, parseMeminfo, false);

/** `/proc/<pid>/statm` second field (resident pages) × page size: RSS without reading the big status file. */
export const readStatmRss = (ctx: ReadCtx, pid: number, pageSize: number): number | null =>
  ctx.get(ctx.file(ctx.proc(pid), 'statm'), S, (t) => {
    const v = statmResidentPages(t);
    if (v === null) throw new Error(`cannot parse statm '${t.trim()}'`);
    return v * pageSize;
  });
