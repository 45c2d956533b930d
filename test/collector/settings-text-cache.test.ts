// ReadCtx.carried keeps each settings file's last text with what it parsed to: a settings tick that
// reads the same text again gives the same value without parsing it again; a changed text is parsed;
// a text that failed to parse is parsed (and its error recorded) on every settings tick; between
// settings ticks the last value is carried unread; pruneSettings (every discovery task) drops what
// nobody asked for since the previous prune. Real files in a temp tree through NodeHostFs.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneSettings, ReadCtx, type MissingCache } from '../../src/collector/read-ctx.js';
import type { SourceErrorInfo } from '../../src/engine/model/sample.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { useLab } from '../helpers/lab.js';

const lab = useLab();

describe('settings files: same text, same value, no parse', () => {
  it('parses a settings file only when its text changed, records a bad text every settings tick, prunes unread entries', () => {
    const root = lab.tmpdir();
    writeFileSync(path.join(root, 'weight'), '100\n');
    writeFileSync(path.join(root, 'other'), '7\n');
    const fs = new NodeHostFs(root);
    lab.defer(() => fs.close());
    const cache: MissingCache = { paths: new Set(), settings: new Map() };
    let parses = 0;
    const parse = (t: string): { w: number } => {
      parses++;
      if (!/^\d+\n$/.test(t)) throw new Error('not a number');
      return { w: Number(t) };
    };
    const tick = (due: boolean): { v: { w: number } | null; errors: SourceErrorInfo[] } => {
      const errors: SourceErrorInfo[] = [];
      const v = new ReadCtx(fs, errors, cache, null, due).carried('/weight', 'test', parse);
      return { v, errors };
    };

    const first = tick(true);
    expect(first.v).toEqual({ w: 100 });
    expect(parses).toBe(1);
    // same text on the next settings tick: the same object, not parsed again
    const again = tick(true);
    expect(again.v).toBe(first.v);
    expect(parses).toBe(1);
    // between settings ticks: carried unread even when the file changed
    writeFileSync(path.join(root, 'weight'), '200\n');
    expect(tick(false).v).toBe(first.v);
    expect(parses).toBe(1);
    // the next settings tick sees the new text
    const changed = tick(true);
    expect(changed.v).toEqual({ w: 200 });
    expect(parses).toBe(2);
    // a text that does not parse: null and an error on every settings tick, parsed each time
    writeFileSync(path.join(root, 'weight'), 'garbage\n');
    for (let i = 0; i < 2; i++) {
      const bad = tick(true);
      expect(bad.v).toBeNull();
      expect(bad.errors).toHaveLength(1);
      expect(bad.errors[0]?.kind).toBe('parse');
    }
    expect(parses).toBe(4);

    // pruning: an entry read since the previous prune stays; one not asked for since is dropped
    new ReadCtx(fs, [], cache, null, true).carried('/other', 'test', parse);
    pruneSettings(cache);
    expect([...(cache.settings?.keys() ?? [])].sort()).toEqual(['/other', '/weight']);
    tick(false); // /weight asked for (carried), /other not
    pruneSettings(cache);
    expect([...(cache.settings?.keys() ?? [])]).toEqual(['/weight']);
  });
});
