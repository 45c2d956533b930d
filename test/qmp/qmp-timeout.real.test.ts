// --qmp-timeout through the real CLI on a real QEMU guest (TCG): a guest whose monitor does not answer
// (the QEMU process is stopped with SIGSTOP: the kernel still accepts the connection, nobody greets) is
// reported with the budget the operator gave and still listed (from /proc); the same guest running
// answers within its budget with no error. Bad budgets are refused with one line and exit 2.

import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { runCli } from '../helpers/cli.js';
import { useLab } from '../helpers/lab.js';
import { startQemu } from '../helpers/qemu.js';

describe('--qmp-timeout (real CLI, real QEMU)', () => {
  const lab = useLab();

  it('a stopped QEMU is reported after the given budget; running, it answers with no error', async () => {
    const q = await startQemu(lab, { kind: 'spin' });
    const snapshot = async (ms: number): Promise<{ snap: Snapshot }> => {
      const r = await runCli(['--qmp', q.qmpSocket, '--qmp-timeout', String(ms), '--interval', '0.3', 'snapshot', '--json'], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      return { snap: JSON.parse(r.stdout) as Snapshot };
    };
    process.kill(q.pid, 'SIGSTOP');
    lab.defer(() => { try { process.kill(q.pid, 'SIGCONT'); } catch { /* gone */ } });
    const stopped = await snapshot(300);
    const mine = stopped.snap.guests.find((g) => g.pid === q.pid);
    expect(mine, JSON.stringify(stopped.snap.errors)).toBeDefined(); // still listed (from /proc)
    const qmpErrors = stopped.snap.errors.filter((e) => e.source === 'qmp' && e.guest === mine!.id);
    expect(qmpErrors.length, JSON.stringify(stopped.snap.errors)).toBeGreaterThan(0);
    expect(qmpErrors.every((e) => /within 300 ms/.test(e.message)), JSON.stringify(qmpErrors)).toBe(true);

    process.kill(q.pid, 'SIGCONT');
    const running = await snapshot(5000);
    const back = running.snap.guests.find((g) => g.pid === q.pid);
    expect(back?.state).toBe('running'); // the state comes from QMP: it answered
    expect(running.snap.errors.filter((e) => e.source === 'qmp')).toEqual([]);
  }, 120_000);

  it('the budget is bad input outside 50..60000 ms or not a whole number, and with --connect', async () => {
    for (const v of ['0', '49', '60001', '1.5', 'abc']) {
      const r = await runCli(['--demo', '1', '--qmp-timeout', v, 'snapshot']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`--qmp-timeout: '${v}' is not a whole number of milliseconds from 50 to 60000`);
    }
    const c = await runCli(['--connect', 'unix:/nonexistent.sock', '--qmp-timeout', '900', 'snapshot']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('--connect: --qmp-timeout cannot be used with --connect');
  });
});
