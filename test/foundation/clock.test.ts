// Tests of SystemClock and of the ManualClock double.
import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/engine/node/system-clock.js';
import { ManualClock } from '../helpers/manual-clock.js';

describe('SystemClock', () => {
  it('is monotonic and sleeps', async () => {
    const c = new SystemClock();
    const a = c.monoMs();
    await c.sleep(20);
    expect(c.monoMs() - a).toBeGreaterThanOrEqual(15);
    expect(Math.abs(c.wallMs() - Date.now())).toBeLessThan(50);
  });
  it('sleep can be aborted', async () => {
    const c = new SystemClock();
    const ac = new AbortController();
    const p = c.sleep(10_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toThrow(/aborted/);
  });
});

describe('ManualClock', () => {
  it('wakes sleepers only when advanced past their deadline', async () => {
    const c = new ManualClock();
    let woke = false;
    const p = c.sleep(1000).then(() => { woke = true; });
    c.advance(999);
    await Promise.resolve();
    expect(woke).toBe(false);
    c.advance(1);
    await p;
    expect(woke).toBe(true);
  });
});
