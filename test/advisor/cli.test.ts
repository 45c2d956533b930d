// `virtune advise` argument handling (exit 2 before anything is sampled) and --apply's tuning request.

import { describe, expect, it } from 'vitest';
import { adviceToTuning, adviseRequest } from '../../src/cli/commands/advise.js';
import { runCli } from '../helpers/cli.js';

describe('virtune advise usage', () => {
  it('builds the engine request from the options', () => {
    expect(adviseRequest(undefined, { need: '1.5:512', hugepages: '2M' })).toEqual({ need: { vcpus: 1.5, memMiB: 512 }, hugepages: '2M' });
    expect(adviseRequest('web01', {})).toEqual({ guest: 'web01', hugepages: null });
    expect(adviseRequest(undefined, { host: true })).toBe('host');
    expect(adviseRequest(undefined, { lint: true })).toBe('lint');
  });

  it('rejects bad combinations and values with exit code 2', () => {
    expect(() => adviseRequest(undefined, {})).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => adviseRequest('g', { need: '1:1' })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => adviseRequest(undefined, { need: '1:1', hugepages: '4M' })).toThrow(/2M or 1G/);
    expect(() => adviseRequest(undefined, { need: 'x' })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => adviseRequest(undefined, { need: '1:1', apply: true })).toThrow(/need GUEST/);
  });

  it('the CLI exits 2 with one line for a bad --need', async () => {
    const r = await runCli(['advise', '--need', 'four:1G', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--need: 'four:1G'/);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 2, message: expect.stringMatching(/VCPUS:MIB/) } });
  });

  it('--apply turns advice into cpuset + nodeset; nothing to apply when memory cannot fit', () => {
    const base = { need: { vcpus: 2, memMiB: 1024 }, nodes: [], fits: true, reason: 'r', migrateBytes: 0 };
    expect(adviceToTuning({ ...base, guest: 'qemu:a', nodeset: '1', cpus: '4-7' })).toEqual({
      guest: 'qemu:a', changes: [{ kind: 'cpuset', cpus: '4-7' }, { kind: 'nodeset', nodes: '1' }],
    });
    expect(() => adviceToTuning({ ...base, guest: 'qemu:a', nodeset: null, cpus: null, fits: false }))
      .toThrow(expect.objectContaining({ exitCode: 1 }));
  });
});
