// Real: discovery trusts the kernel, not a process's argv. A copy of /bin/sleep named `notqemu`, started
// with argv[0] `qemu-system-x86_64` (exec -a), is not listed as a guest (its /proc/PID/exe is not a
// QEMU), while a real QEMU beside it is; a real QEMU whose QMP socket belongs to another uid keeps being
// listed, but its socket is not used (a discovery warning says why).
import { chownSync, copyFileSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../src/collector/host-sampler.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import type { SampleTask } from '../../src/engine/ports/sources.js';
import { isAlive, useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';

const TASKS = new Set<SampleTask>(['discovery', 'counters']);

describe('discovery checks /proc/PID/exe and socket owners (real processes)', () => {
  const lab = useLab();

  it('a process named like QEMU with another executable is not listed; a real QEMU is', async () => {
    const q = await startQemu(lab, { kind: 'spin', smp: 1 });
    const fake = path.join(lab.tmpdir('notqemu'), 'notqemu');
    copyFileSync('/bin/sleep', fake);
    const child = lab.spawn(['/bin/bash', '-c', `exec -a qemu-system-x86_64 ${fake} 600`]);
    const pid = child.pid as number;
    // bash's own cmdline names qemu-system too: wait for the exec'd one (argv[0] first), up to 10 s on a busy machine
    for (let i = 0; i < 500 && !/^qemu-system-x86_64\u0000/.test(readCmd(pid)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readCmd(pid)).toMatch(/^qemu-system-x86_64\u0000600/);
    expect(isAlive(pid)).toBe(true);
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const sampler = createHostSampler({ fs, clock: new SystemClock() });
    lab.defer(() => sampler.close());
    const s = await sampler.sample({ tasks: TASKS });
    expect(s.guests.find((g) => g.pid === q.pid)).toBeDefined();
    expect(s.guests.find((g) => g.pid === pid)).toBeUndefined();
  });

  it("a QMP socket owned by another uid than the QEMU's is not used", async () => {
    const q = await startQemu(lab, { kind: 'spin', smp: 1 });
    const st = statSync(q.qmpSocket);
    chownSync(q.qmpSocket, 65534, 65534);
    lab.defer(() => chownSync(q.qmpSocket, st.uid, st.gid));
    const fs = new NodeHostFs('/');
    lab.defer(() => fs.close());
    const sampler = createHostSampler({ fs, clock: new SystemClock() });
    lab.defer(() => sampler.close());
    const s = await sampler.sample({ tasks: TASKS });
    const g = s.guests.find((x) => x.pid === q.pid);
    expect(g).toBeDefined();
    expect(g?.qmp).toBeNull();
    expect(s.errors.map((e) => e.message)).toContain(
      `QMP socket ${q.qmpSocket} of pid ${q.pid} is owned by uid 65534, not by the process's owner (uid ${st.uid}); not used`);
  });
});

function readCmd(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return ''; }
}
