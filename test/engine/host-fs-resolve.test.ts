// NodeHostFs.resolve takes a path that is already normal (no `.`/`..` segment, no `//`) as it is,
// without splitting or normalizing it: on generated absolute paths — dot segments, names with dots,
// empty segments, trailing slashes — it gives what the split + path.posix.normalize reading gave
// (the same real path, or the same refusal of a `..` segment), under `/` and under a root.
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';

function previousResolve(root: string, p: string): string {
  if (p.split('/').includes('..')) throw new Error('escape');
  const norm = path.posix.normalize(p);
  return root === '/' ? norm : root + norm;
}

const outcome = (f: () => string): string => { try { return f(); } catch (e) { return `throws ${(e as Error).name === 'HostError' || (e as Error).message === 'escape' ? 'escape' : (e as Error).message}`; } };

describe('NodeHostFs.resolve (property)', () => {
  it('gives what split + normalize gave, on any absolute path', () => {
    const seg = fc.constantFrom('a', 'sys', '.', '..', '', '.x', 'b..c', '...', 'cpu.stat', 'x.', '..y');
    const p = fc.tuple(fc.array(seg, { minLength: 0, maxLength: 6 }), fc.boolean()).map(([s, trail]) => `/${s.join('/')}${trail ? '/' : ''}`);
    const fsRoot = new NodeHostFs('/');
    const fsTree = new NodeHostFs('/tmp/virtune-resolve-root');
    fc.assert(fc.property(p, (x) => {
      expect(outcome(() => fsRoot.resolve(x))).toBe(outcome(() => previousResolve('/', x)));
      expect(outcome(() => fsTree.resolve(x))).toBe(outcome(() => previousResolve('/tmp/virtune-resolve-root', x)));
    }), { numRuns: 5000 });
    expect(fsTree.resolve('/sys/fs/cgroup/cpu.stat')).toBe('/tmp/virtune-resolve-root/sys/fs/cgroup/cpu.stat');
  });
});
