// packaging/: the systemd unit passes `systemd-analyze verify` (only its ExecStart binary is pointed at
// this checkout's node + dist/cli/main.js, since /usr/bin/virtune is not installed here; every other
// line is verified as shipped) and keeps its sandbox; the tmpfiles entry, applied by the real
// systemd-tmpfiles under a scratch --root, creates the directories and the audit log with their modes.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { requireCommand, useLab } from '../helpers/lab.js';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../packaging');

describe('packaging (real systemd tools)', () => {
  const lab = useLab();

  it('the unit verifies cleanly and is sandboxed', () => {
    requireCommand('systemd-analyze');
    const unit = readFileSync(path.join(PKG, 'virtune.service'), 'utf8');
    for (const line of ['ProtectSystem=strict', 'NoNewPrivileges=yes', 'RuntimeDirectory=virtune', 'StateDirectory=virtune', 'LogsDirectory=virtune', 'UMask=0077']) {
      expect(unit.split('\n')).toContain(line);
    }
    const rw = unit.split('\n').find((l) => l.startsWith('ReadWritePaths='))!;
    for (const p of ['/sys/fs/cgroup', '/var/lib/virtune', '/var/log/virtune']) expect(rw.split(/[= ]/)).toContain(p);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/virtune serve --listen unix:\/run\/virtune\//m);
    const dir = lab.tmpdir('virtune-unit');
    const here = unit.replace(/^ExecStart=\/usr\/bin\/virtune /m, `ExecStart=${process.execPath} ${CLI} `);
    expect(here.split('\n').filter((l, i) => l !== unit.split('\n')[i])).toHaveLength(1); // only ExecStart changed
    const file = path.join(dir, 'virtune.service');
    writeFileSync(file, here);
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim()).toBe('');
  });

  it('the tmpfiles entry creates the state, log and runtime directories with their modes', () => {
    requireCommand('systemd-tmpfiles');
    const root = lab.tmpdir('virtune-tmpfiles');
    execFileSync('systemd-tmpfiles', ['--create', `--root=${root}`, path.join(PKG, 'virtune.tmpfiles.conf')]);
    const mode = (p: string): number => statSync(path.join(root, p)).mode & 0o7777;
    expect(mode('var/lib/virtune')).toBe(0o700);
    expect(mode('var/log/virtune')).toBe(0o700);
    expect(mode('var/log/virtune/audit.log')).toBe(0o600);
    expect(mode('run/virtune')).toBe(0o755);
  });
});
