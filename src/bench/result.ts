// Owns the benchmark result: the machine-readable object `--json` prints (the keys, numbers
// or null, plus detail) and the human table. Goals from the issue are kept next to the figures.

import type { MachineInfo } from './machine.js';
import type { Stat } from './stats.js';
import { round } from './stats.js';

export type SizeKey = '10' | '100' | '1000';
export const SIZE_KEYS: readonly SizeKey[] = ['10', '100', '1000'];

export interface BenchResult {
  tool: 'virtune-bench';
  date: string;
  command: string;
  quick: boolean;
  machine: MachineInfo;
  durationSec: number | null;
  sampleUsPerGuest: Record<SizeKey, number | null>;
  /** CPU time of the sampling process per guest, discovery cached (mean) */
  sampleCpuUsPerGuest: Record<SizeKey, number | null>;
  sampleWithDiscoveryUsPerGuest: Record<SizeKey, number | null>;
  floorPreadUsPerGuest: number | null;
  floorReadFileUsPerGuest: number | null;
  /** the sample's QMP request bytes written and the replies read on every guest's socket, unparsed */
  floorQmpUsPerGuest: number | null;
  /** guest count the floor and the ratio were measured at (1000 in the full run) */
  floorGuests: number | null;
  sampleToFloorRatio: number | null;
  sampleToReadFileRatio: number | null;
  deriveUsPerGuest: number | null;
  historyAppendUsPerGuest: number | null;
  serializeUsPerGuest: number | null;
  engineCpuPct100: number | null;
  /** the floor of the same engine's plain tick at 1 Hz: its files re-read (pread) and its QMP bytes exchanged, nothing decoded */
  engineFloorCpuPct100: number | null;
  /** engineCpuPct100's engine measured again after minutes (options: engineSteadyWarmupSec), its compiles done */
  engineCpuPct100Steady: number | null;
  rssMb100: number | null;
  daemonCpuPct50Clients: number | null;
  daemonCpuPctIdle: number | null;
  /** serve --root of a demo host in its own process: the daemon without the simulator */
  daemonCpuPct50ClientsOwnRoot: number | null;
  daemonCpuPctIdleOwnRoot: number | null;
  tuiFrameMs200: number | null;
  /** browser face in headless Chromium, 200 guests: one table update + one chart update (medians summed) */
  rendererFrameMs200: number | null;
  tuiCpuPct50: number | null;
  recorderBytesPerGuestSample: number | null;
  recorderMsPerSample100: number | null;
  /** diagnosing every guest of a 1000-guest host from 10 minutes of history, µs per guest (median wall) */
  diagnoseUsPerGuest: number | null;
  /** libvirt, 8 idle domains at 1 Hz: own + children + libvirtd extra CPU per guest, % of one CPU */
  libvirtCpuPctPerGuest: { virtune: number | null; exporter: number | null; domstatsLoop: number | null };
  /** virtune's libvirt CPU ÷ prometheus-libvirt-exporter's (goal ≤ 1.0) */
  libvirtVsExporterRatio: number | null;
  /** processes virtune spawned per second after its start (goal 0) */
  libvirtSpawnsPerSec: number | null;
  /** p99 of `status` over the unix socket while the daemon samples 1000 demo guests (goal ≤ 20 ms) */
  statusP99MsDuring1000: number | null;
  /** medians and p95 of everything measured, by benchmark */
  detail: Record<string, unknown>;
  /** parts that have not landed or could not run, and other caveats */
  notes: string[];
}

export function emptyResult(machine: MachineInfo, quick: boolean, command: string): BenchResult {
  const sizes = (): Record<SizeKey, number | null> => ({ '10': null, '100': null, '1000': null });
  return {
    tool: 'virtune-bench', date: new Date().toISOString(), command, quick, machine, durationSec: null,
    sampleUsPerGuest: sizes(), sampleCpuUsPerGuest: sizes(), sampleWithDiscoveryUsPerGuest: sizes(),
    floorPreadUsPerGuest: null, floorReadFileUsPerGuest: null, floorQmpUsPerGuest: null, floorGuests: null,
    sampleToFloorRatio: null, sampleToReadFileRatio: null,
    deriveUsPerGuest: null, historyAppendUsPerGuest: null, serializeUsPerGuest: null,
    engineCpuPct100: null, engineFloorCpuPct100: null, engineCpuPct100Steady: null, rssMb100: null,
    daemonCpuPct50Clients: null, daemonCpuPctIdle: null,
    daemonCpuPct50ClientsOwnRoot: null, daemonCpuPctIdleOwnRoot: null,
    tuiFrameMs200: null, rendererFrameMs200: null, tuiCpuPct50: null, recorderBytesPerGuestSample: null, recorderMsPerSample100: null,
    diagnoseUsPerGuest: null,
    libvirtCpuPctPerGuest: { virtune: null, exporter: null, domstatsLoop: null }, libvirtVsExporterRatio: null, libvirtSpawnsPerSec: null, statusP99MsDuring1000: null,
    detail: {}, notes: [],
  };
}

/** A Stat rounded for the JSON detail. */
export function statJson(st: Stat | null, divisor = 1): Record<string, number | null> | null {
  if (!st) return null;
  return {
    n: st.n, median: round(st.median / divisor), p95: round(st.p95 / divisor),
    min: round(st.min / divisor), max: round(st.max / divisor),
  };
}

interface Row { figure: string; value: number | null; unit: string; goal: string; ok: boolean | null; p95?: number | null }

const fmt = (x: number | null | undefined): string => {
  if (x === null || x === undefined) return 'n/a';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
};

/** the number at `path` in the detail (a p95, a sub-figure), null when absent */
function numberAt(detail: Record<string, unknown>, path: string[]): number | null {
  let cur: unknown = detail;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return null;
    cur = (cur as Record<string, unknown>)[k];
  }
  return typeof cur === 'number' ? cur : null;
}

export function rows(r: BenchResult): Row[] {
  const le = (v: number | null, goal: number): boolean | null => (v === null ? null : v <= goal);
  const d = r.detail;
  const out: Row[] = [];
  for (const k of SIZE_KEYS) {
    out.push({
      figure: `sample, discovery cached, ${k} guests`, value: r.sampleUsPerGuest[k], unit: 'µs/guest',
      goal: k === '1000' ? '≤ 100' : '', ok: k === '1000' ? le(r.sampleUsPerGuest[k], 100) : null,
      p95: numberAt(d, ['sample', k, 'cachedUsPerGuest', 'p95']),
    });
  }
  for (const k of SIZE_KEYS) {
    out.push({
      figure: `sample CPU time, discovery cached, ${k} guests`, value: r.sampleCpuUsPerGuest[k], unit: 'µs/guest', goal: '', ok: null, p95: null,
    });
  }
  for (const k of SIZE_KEYS) {
    out.push({
      figure: `sample with discovery, ${k} guests`, value: r.sampleWithDiscoveryUsPerGuest[k], unit: 'µs/guest', goal: '', ok: null,
      p95: numberAt(d, ['sample', k, 'discoveryUsPerGuest', 'p95']),
    });
  }
  const at = r.floorGuests === null ? '' : `, ${r.floorGuests} guests`;
  out.push({ figure: `floor: pread on cached fds${at}`, value: r.floorPreadUsPerGuest, unit: 'µs/guest', goal: '', ok: null,
    p95: numberAt(d, ['floor', 'preadUsPerGuest', 'p95']) });
  out.push({ figure: `floor: readFileSync${at}`, value: r.floorReadFileUsPerGuest, unit: 'µs/guest', goal: '', ok: null,
    p95: numberAt(d, ['floor', 'readFileUsPerGuest', 'p95']) });
  out.push({ figure: `floor: QMP round trip, same bytes, unparsed${at}`, value: r.floorQmpUsPerGuest, unit: 'µs/guest', goal: '', ok: null,
    p95: numberAt(d, ['floor', 'qmp', 'usPerGuest', 'p95']) });
  out.push({ figure: `sample / (pread + QMP floor)${at}`, value: r.sampleToFloorRatio, unit: '×', goal: '≤ 1.5', ok: le(r.sampleToFloorRatio, 1.5) });
  out.push({ figure: 'derive, 1000 guests', value: r.deriveUsPerGuest, unit: 'µs/guest', goal: '≤ 5', ok: le(r.deriveUsPerGuest, 5),
    p95: numberAt(d, ['derive', 'deriveUsPerGuest', 'p95']) });
  out.push({ figure: 'history append, 1000 guests', value: r.historyAppendUsPerGuest, unit: 'µs/guest', goal: '', ok: null,
    p95: numberAt(d, ['derive', 'historyAppendUsPerGuest', 'p95']) });
  out.push({ figure: 'snapshot JSON.stringify, 1000 guests', value: r.serializeUsPerGuest, unit: 'µs/guest', goal: '', ok: null,
    p95: numberAt(d, ['derive', 'serializeUsPerGuest', 'p95']) });
  out.push({ figure: 'engine CPU, 1 Hz, 100 guests', value: r.engineCpuPct100, unit: '% of a core', goal: '≤ 1', ok: le(r.engineCpuPct100, 1) });
  out.push({ figure: 'the same engine after minutes (JIT settled)', value: r.engineCpuPct100Steady, unit: '% of a core', goal: '', ok: null });
  out.push({ figure: 'floor of that tick at 1 Hz (pread + QMP bytes, nothing decoded)', value: r.engineFloorCpuPct100, unit: '% of a core', goal: '', ok: null });
  out.push({ figure: 'RSS, 100 guests, 1 h history', value: r.rssMb100, unit: 'MB', goal: '≤ 150', ok: le(r.rssMb100, 150) });
  out.push({ figure: 'daemon --demo, 50 ws clients, 100 guests', value: r.daemonCpuPct50Clients, unit: '% of a core', goal: '≤ 5', ok: le(r.daemonCpuPct50Clients, 5) });
  out.push({ figure: 'daemon --demo, no clients, 100 guests', value: r.daemonCpuPctIdle, unit: '% of a core', goal: '', ok: null });
  out.push({ figure: 'daemon on --root (simulator elsewhere), 50 clients', value: r.daemonCpuPct50ClientsOwnRoot, unit: '% of a core', goal: '≤ 5', ok: le(r.daemonCpuPct50ClientsOwnRoot, 5) });
  out.push({ figure: 'daemon on --root (simulator elsewhere), no clients', value: r.daemonCpuPctIdleOwnRoot, unit: '% of a core', goal: '', ok: null });
  out.push({ figure: 'TUI frame, 200 guests', value: r.tuiFrameMs200, unit: 'ms', goal: '≤ 15', ok: le(r.tuiFrameMs200, 15) });
  out.push({ figure: 'renderer frame (table + chart), 200 guests, headless Chromium', value: r.rendererFrameMs200, unit: 'ms', goal: '< 16', ok: r.rendererFrameMs200 === null ? null : r.rendererFrameMs200 < 16 });
  out.push({ figure: 'TUI CPU, 1 Hz, 50 guests (attached)', value: r.tuiCpuPct50, unit: '% of a core', goal: '≤ 3', ok: le(r.tuiCpuPct50, 3) });
  out.push({ figure: 'recorder, bytes per guest-sample', value: r.recorderBytesPerGuestSample, unit: 'B', goal: '≤ 100', ok: le(r.recorderBytesPerGuestSample, 100) });
  out.push({ figure: 'recorder, time per sample, 100 guests (1 Hz)', value: r.recorderMsPerSample100, unit: 'ms', goal: '< 1', ok: r.recorderMsPerSample100 === null ? null : r.recorderMsPerSample100 < 1 });
  out.push({ figure: 'floor of it: one visit of the values a sample may have changed (warm)', value: numberAt(d, ['recorder', 'floor', 'visitMsPerSample']), unit: 'ms', goal: '', ok: null });
  out.push({ figure: 'floor of it: v8.serialize of the sample (warm)', value: numberAt(d, ['recorder', 'floor', 'serializeMsPerSample']), unit: 'ms', goal: '', ok: null });
  out.push({ figure: 'recorder, the same, samples back to back', value: numberAt(d, ['recorder', 'backToBack', 'msPerSample']), unit: 'ms', goal: '', ok: null });
  const srg = numberAt(d, ['serveRecord', 'guests']);
  out.push({ figure: `recording while serving (daemon, 1 Hz, ${srg ?? 100} guests): CPU per sample`, value: numberAt(d, ['serveRecord', 'msPerSample']), unit: 'ms', goal: '', ok: null });
  out.push({ figure: 'diagnose every guest, 1000 guests, 10 min history', value: r.diagnoseUsPerGuest, unit: 'µs/guest', goal: '< 50', ok: r.diagnoseUsPerGuest === null ? null : r.diagnoseUsPerGuest < 50,
    p95: numberAt(d, ['diagnose', 'usPerGuest', 'p95']) });
  const sg = numberAt(d, ['statusLatency', 'guests']);
  out.push({ figure: `daemon: status p99 while sampling ${sg ?? 1000} demo guests`, value: r.statusP99MsDuring1000, unit: 'ms', goal: '≤ 20', ok: le(r.statusP99MsDuring1000, 20) });
  const lv = r.libvirtCpuPctPerGuest;
  out.push({ figure: 'libvirt: virtune CPU per guest (own+children+libvirtd)', value: lv.virtune, unit: '% of a core', goal: '', ok: null });
  out.push({ figure: 'libvirt: exporter scraped 1/s, per guest', value: lv.exporter, unit: '% of a core', goal: '', ok: null });
  out.push({ figure: 'libvirt: virsh domstats loop, per guest', value: lv.domstatsLoop, unit: '% of a core', goal: '', ok: null });
  out.push({ figure: 'libvirt: virtune ÷ exporter', value: r.libvirtVsExporterRatio, unit: '×', goal: '≤ 1.0', ok: le(r.libvirtVsExporterRatio, 1) });
  out.push({ figure: 'libvirt: processes spawned by virtune', value: r.libvirtSpawnsPerSec, unit: '/s', goal: '0', ok: r.libvirtSpawnsPerSec === null ? null : r.libvirtSpawnsPerSec === 0 });
  return out;
}

/** The human table (Markdown, so it can be pasted into docs/performance.md). */
export function renderTable(r: BenchResult): string {
  const m = r.machine;
  const lines = [
    `virtune bench${r.quick ? ' (quick: smoke run, figures not comparable)' : ''} — ${r.date}`,
    `command: ${r.command}`,
    `machine: ${m.cpuModel ?? 'unknown CPU'}, ${m.cores} cores, ${m.memTotalMb} MiB, Node ${m.node}, kernel ${m.kernel}, load ${m.loadAvg1} at start`,
    '',
    '| figure | median | p95 | unit | goal | met |',
    '| --- | ---: | ---: | --- | --- | --- |',
  ];
  for (const row of rows(r)) {
    const met = row.ok === null ? (row.goal && row.value === null ? 'not measured' : '') : row.ok ? 'yes' : 'NO';
    lines.push(`| ${row.figure} | ${fmt(row.value)} | ${row.p95 === undefined ? '' : fmt(row.p95)} | ${row.unit} | ${row.goal} | ${met} |`);
  }
  if (r.notes.length > 0) {
    lines.push('', 'notes:');
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  return lines.join('\n') + '\n';
}
