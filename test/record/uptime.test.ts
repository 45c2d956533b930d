// Host uptime through a recording: the field the collector adds to the raw sample (integer ms from
// /proc/uptime) comes back from a recorded block exactly, and a sample recorded before the field
// existed replays as uptime unknown (null), never 0.

import { describe, expect, it } from 'vitest';
import { derive } from '../../src/engine/core/derive.js';
import { BlockBuilder, decodeBlock } from '../../src/engine/record/codec.js';
import type { RawSample } from '../../src/engine/model/sample.js';
import { rawGuest, rawHost, rawSample } from '../engine/raw-builders.js';

describe('host uptime in recordings', () => {
  it('round-trips through a block, sample by sample', () => {
    const samples = [0, 1, 2, 3].map((i) => rawSample(1000 + i * 1000, rawHost({ uptimeMs: 350_735_470 + i * 1000 }), [rawGuest('qemu:a')]));
    const b = new BlockBuilder();
    for (const s of samples) b.add(s);
    const back = decodeBlock(b.take());
    expect(back.map((s) => s.host.uptimeMs)).toEqual([350_735_470, 350_736_470, 350_737_470, 350_738_470]);
    expect(derive(back[2]!, back[3]!).host.uptimeSec).toBe(350738.47);
  });

  it('a sample without the field (an older recording) replays as unknown', () => {
    const old = rawHost();
    delete old.uptimeMs;
    const s1 = rawSample(1000, old, []);
    const s2 = rawSample(2000, { ...old }, []);
    const b = new BlockBuilder();
    b.add(s1); b.add(s2);
    const back = decodeBlock(b.take()) as RawSample[];
    expect(back[1]!.host.uptimeMs).toBeUndefined();
    expect(derive(back[0]!, back[1]!).host.uptimeSec).toBeNull();
  });
});
