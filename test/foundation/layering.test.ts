// The import rules are data (.dependency-cruiser.cjs) and `npm test` runs them. This test proves the
// checker can fail: it plants violations in a copy of the tree and expects each to be caught.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';

function cruise(dir: string): { ok: boolean; out: string } {
  try {
    const out = execFileSync(path.resolve('node_modules/.bin/depcruise'), ['--config', '.dependency-cruiser.cjs', 'src'], { cwd: dir, encoding: 'utf8' });
    return { ok: true, out };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('layering rules', () => {
  const lab = useLab();

  function copy(): string {
    const dir = lab.tmpdir('layering');
    cpSync('src', path.join(dir, 'src'), { recursive: true });
    cpSync('.dependency-cruiser.cjs', path.join(dir, '.dependency-cruiser.cjs'));
    cpSync('tsconfig.json', path.join(dir, 'tsconfig.json'));
    cpSync('package.json', path.join(dir, 'package.json'));
    symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
    return dir;
  }

  it('the real tree passes', () => {
    const r = cruise(copy());
    expect(r.out).toContain('no dependency violations');
    expect(r.ok).toBe(true);
  });

  it.each([
    ['model-is-pure', 'src/engine/model/planted.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
    ['core-has-no-node', 'src/engine/core/planted.ts', "import * as net from 'node:net';\nexport const x = net;\n"],
    ['tui-front-end', 'src/tui/planted.ts', "import { NodeHostFs } from '../engine/node/node-host-fs.js';\nexport const x = NodeHostFs;\n"],
    ['collector-layer', 'src/collector/planted.ts', "import { buildProgram } from '../cli/program.js';\nexport const x = buildProgram;\n"],
  ])('catches a planted %s violation', (rule, file, content) => {
    const dir = copy();
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
    const r = cruise(dir);
    expect(r.ok).toBe(false);
    expect(r.out).toContain(rule);
  });
});
