// Real-component test of the benchmark harness (it starts the demo host, engine workers, the daemon
// and websocket clients as real processes): `bench --quick --json` runs, prints one JSON object with
// every key of issue 9 holding a number or null, and measures every part that has landed in dist/.
// No timing assertions: speed lives in the figures, never in pass/fail.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const BENCH = path.join(DIST, 'bench/main.js');

const KEYS = [
  'floorPreadUsPerGuest', 'floorReadFileUsPerGuest', 'sampleToFloorRatio', 'deriveUsPerGuest',
  'engineCpuPct100', 'engineFloorCpuPct100', 'engineCpuPct100Steady', 'rssMb100', 'daemonCpuPct50Clients', 'tuiFrameMs200', 'tuiCpuPct50',
  'recorderBytesPerGuestSample', 'recorderMsPerSample100',
] as const;

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`bench timed out\n${stderr}`)); }, 110_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const numberOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));
const landed = (rel: string): boolean => existsSync(path.join(DIST, rel));

describe('npm run bench -- --quick --json (real processes)', () => {
  it('prints one JSON object with every key as a number or null, measuring what has landed, and the table on stderr', async () => {
    expect(existsSync(BENCH), 'dist/bench/main.js: run `npm run build` first').toBe(true);
    const r = await runBench(['--quick', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0] as string) as Record<string, unknown>;

    expect(out.quick).toBe(true);
    const sizes = out.sampleUsPerGuest as Record<string, unknown>;
    expect(Object.keys(sizes).sort()).toEqual(['10', '100', '1000']);
    for (const k of ['10', '100', '1000']) expect(numberOrNull(sizes[k]), `sampleUsPerGuest.${k}`).toBe(true);
    for (const k of KEYS) {
      expect(k in out, `missing key ${k}`).toBe(true);
      expect(numberOrNull(out[k]), `${k} = ${JSON.stringify(out[k])}`).toBe(true);
    }
    const machine = out.machine as Record<string, unknown>;
    expect(machine.cores).toBeGreaterThan(0);
    expect(machine.node).toBe(process.version);
    expect(typeof machine.kernel).toBe('string');
    expect(Array.isArray(out.notes)).toBe(true);

    // a part that is built must be measured (a harness that silently reports null is broken)
    expect(out.deriveUsPerGuest).toEqual(expect.any(Number));
    expect(out.rssMb100).toEqual(expect.any(Number));
    if (landed('demo/host.js') && landed('collector/host-sampler.js')) {
      expect(sizes['10'], JSON.stringify(out.notes)).toEqual(expect.any(Number));
      expect(out.floorPreadUsPerGuest).toEqual(expect.any(Number));
      expect(out.sampleToFloorRatio).toEqual(expect.any(Number));
      expect(out.engineCpuPct100).toEqual(expect.any(Number));
      expect(out.engineFloorCpuPct100, JSON.stringify(out.notes)).toEqual(expect.any(Number));
      const floor = (out.detail as Record<string, Record<string, unknown>>).engineFloor;
      expect(floor?.found).toBe(10); // the quick run's demo guests, all read by the collector before its files were held
      expect(floor?.qmpSockets).toBe(10);
      // the QMP floor's pass is split into this process's CPU and the demo's QMP servers' (which side
      // the wall time waits for), and the sample says what the demo spent answering it
      const detail = out.detail as Record<string, Record<string, unknown>>;
      const qmpFloor = detail.floor?.qmp as Record<string, unknown> | null;
      expect(qmpFloor?.clientCpuUsPerGuest).toBeGreaterThan(0);
      expect(qmpFloor?.serverCpuUsPerGuest).toEqual(expect.any(Number));
      expect((detail.sample?.['10'] as Record<string, unknown>).simulatorCpuUsPerGuest).toEqual(expect.any(Number));
      // minutes of warm-up are the full run's only: quick says so instead of a figure
      expect(out.engineCpuPct100Steady).toBeNull();
      expect(out.notes).toContain('quick: the engine is not measured again after minutes (engineCpuPct100Steady)');
    }
    if (landed('demo/host.js') && landed('engine/record/recorder.js')) {
      expect(out.recorderBytesPerGuestSample, JSON.stringify(out.notes)).toEqual(expect.any(Number));
      // the recorder at its pace (quick: 250 ms), again back to back, and a recording daemon against a
      // plain one: it exits 0 on SIGTERM with its last block committed
      const detail = out.detail as Record<string, Record<string, unknown>>;
      expect(detail.recorder?.paceMs).toBe(250);
      const floor = detail.recorder?.floor as Record<string, number> | null;
      expect(floor?.visitMsPerSample).toBeGreaterThan(0);
      expect(floor?.serializeMsPerSample).toBeGreaterThan(0);
      expect(floor?.valuesVisited).toBeGreaterThan(0);
      expect((detail.recorder?.backToBack as Record<string, unknown>).msPerSample).toBeGreaterThan(0);
      expect(detail.serveRecord?.msPerSample, JSON.stringify(out.notes)).toEqual(expect.any(Number));
      expect(detail.serveRecord?.exitCode).toBe(0);
      expect(detail.serveRecord?.fileBytes).toBeGreaterThan(0);
    }
    if (landed('demo/host.js') && landed('engine/node/ws-server.js')) {
      expect(out.daemonCpuPct50Clients, JSON.stringify(out.notes)).toEqual(expect.any(Number));
    }

    // the terminal UI has landed: its frame and its CPU attached to a daemon (in tmux) are measured
    expect(out.tuiFrameMs200, JSON.stringify(out.notes)).toEqual(expect.any(Number));
    expect(out.tuiCpuPct50, JSON.stringify(out.notes)).toEqual(expect.any(Number));

    // the human table goes to stderr alongside (stdout stays one JSON object)
    expect(r.stderr).toMatch(/^machine: .+ cores, .+ Node v\d+/m);
    expect(r.stderr).toMatch(/^\| figure \| median \| p95 \| unit \| goal \| met \|$/m);
    expect(r.stderr).toContain('| derive, 1000 guests |');
  }, 200_000);

  it('an unknown option exits 2 with one line', async () => {
    const r = await runBench(['--no-such']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
