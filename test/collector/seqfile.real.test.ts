// Real kernel seq_files that span several pages: /proc/<pid>/net/dev of a process in a network
// namespace with 80 tap interfaces (~10 KB, handed out a page of whole records per read) is read to
// the end through the cached-descriptor reader, every interface present, also on the second read.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { parseNetDev } from '../../src/collector/procfs/parse.js';
import { requireCommand, useLab } from '../helpers/lab.js';

describe('multi-record seq_files are read to the end (real /proc/net/dev in a netns)', () => {
  const lab = useLab();

  it('80 interfaces: one cached read returns all of them, twice', () => {
    requireCommand('ip');
    const ns = lab.netns();
    const batch = Array.from({ length: 80 }, (_, i) => `tuntap add dev vtd${i} mode tap`).join('\n');
    execFileSync('ip', ['-n', ns, '-batch', '-'], { input: `${batch}\n` });
    const sleeper = lab.spawn(['ip', 'netns', 'exec', ns, 'sleep', '120']);
    // the process is in the namespace once `ip netns exec` has exec'd into sleep
    const deadline = Date.now() + 5000;
    const comm = (): string => { try { return readFileSync(`/proc/${sleeper.pid}/comm`, 'utf8').trim(); } catch { return ''; } };
    while (comm() !== 'sleep' && Date.now() < deadline) execFileSync('sleep', ['0.02']);
    expect(comm()).toBe('sleep');
    const path = `/proc/${sleeper.pid}/net/dev`;
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const text = fs.readCached(path);
    expect(text.length).toBeGreaterThan(8192);
    for (let round = 0; round < 2; round++) {
      const names = [...parseNetDev(fs.readCached(path)).keys()];
      expect(names.filter((n) => n.startsWith('vtd')).sort()).toEqual(Array.from({ length: 80 }, (_, i) => `vtd${i}`).sort());
      expect(names).toContain('lo');
    }
  });
});
