// Set-up as a new user meets it: npm's own errors are visible (no loglevel=silent in the checkout's
// npm config), `npm start` does not recompile when nothing changed (and does when a source did), the
// install builds once (`prepare`), and the README lists what install needs and how to get `virtune` on PATH.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { isStale } from '../../scripts/build-if-stale.mjs';

const repo = path.resolve('.');
const dir = mkdtempSync(path.join(tmpdir(), 'vt-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('set-up (real npm)', () => {
  it('a broken lockfile makes npm say why (errors are not silenced)', () => {
    const work = path.join(dir, 'broken');
    mkdirSync(work);
    copyFileSync(path.join(repo, 'package.json'), path.join(work, 'package.json'));
    if (existsSync(path.join(repo, '.npmrc'))) copyFileSync(path.join(repo, '.npmrc'), path.join(work, '.npmrc'));
    writeFileSync(path.join(work, 'package-lock.json'), '{ "lockfileVersion": 3, "packages": ');
    const r = spawnSync('npm', ['ci', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/npm error/i);
  });

  it('npm start -s runs the built CLI without recompiling when nothing changed', () => {
    const main = path.join(repo, 'dist/cli/main.js');
    const first = spawnSync('npm', ['start', '-s', '--', '--version'], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);
    const built = statSync(main).mtimeMs;
    const r = spawnSync('npm', ['start', '-s', '--', '--version'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version);
    expect(r.stderr).not.toMatch(/compiling/);
    expect(statSync(main).mtimeMs).toBe(built);
  });

  it('the staleness check: rebuild only when a source is newer than the build', () => {
    const src = path.join(dir, 'tree/src'); mkdirSync(path.join(src, 'a'), { recursive: true });
    const out = path.join(dir, 'tree/dist/main.js'); mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(path.join(src, 'a/x.ts'), 'export {}');
    expect(isStale(src, out)).toBe(true); // never built
    writeFileSync(out, '');
    const t = Date.now() / 1000;
    utimesSync(path.join(src, 'a/x.ts'), t - 100, t - 100);
    utimesSync(out, t - 50, t - 50);
    expect(isStale(src, out)).toBe(false);
    utimesSync(path.join(src, 'a/x.ts'), t, t);
    expect(isStale(src, out)).toBe(true);
  });

  it('install builds once (prepare); the README lists the build tools and how to put virtune on PATH', () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toMatch(/build/);
    expect(pkg.scripts.start).not.toMatch(/npm run (--silent |-s )?build/);
    const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
    const req = readme.slice(readme.indexOf('## Requirements'), readme.indexOf('## Usage'));
    for (const w of ['python3', 'make', 'g++', 'npm link', 'npm install -g .']) expect(req).toContain(w);
  });
});
