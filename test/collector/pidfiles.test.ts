// The pidfile route reads libvirt's and Proxmox's pidfiles under /run and /var/run — once when /var/run
// is the usual symlink to /run (the same files), from both when /var/run is a directory of its own.
// Real temporary trees through NodeHostFs; the reads are counted by a wrapper.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPidfiles, type Candidates } from '../../src/collector/discovery/routes.js';
import { ReadCtx } from '../../src/collector/read-ctx.js';
import type { SourceErrorInfo } from '../../src/engine/model/sample.js';
import { NodeHostFs } from '../../src/engine/node/node-host-fs.js';
import { useLab } from '../helpers/lab.js';

const lab = useLab();

function scan(root: string): { out: Candidates; pidfileReads: string[]; errors: SourceErrorInfo[] } {
  const fs = new NodeHostFs(root);
  lab.defer(() => fs.close());
  const pidfileReads: string[] = [];
  const readText = fs.readText.bind(fs);
  fs.readText = (p: string): string => { if (p.endsWith('.pid')) pidfileReads.push(p); return readText(p); };
  const errors: SourceErrorInfo[] = [];
  const out: Candidates = new Map();
  scanPidfiles(new ReadCtx(fs, errors, { paths: new Set() }), out);
  return { out, pidfileReads, errors };
}

describe('pidfile route', () => {
  it('reads each pidfile once when /var/run is a symlink to /run', () => {
    const root = lab.tmpdir('pidfiles-link');
    mkdirSync(path.join(root, 'run/libvirt/qemu'), { recursive: true });
    mkdirSync(path.join(root, 'run/qemu-server'), { recursive: true });
    mkdirSync(path.join(root, 'var'));
    symlinkSync('../run', path.join(root, 'var/run'));
    writeFileSync(path.join(root, 'run/libvirt/qemu/web01.pid'), '4242\n');
    writeFileSync(path.join(root, 'run/qemu-server/100.pid'), '5151\n');
    const { out, pidfileReads, errors } = scan(root);
    expect(errors).toEqual([]);
    expect(pidfileReads.sort()).toEqual(['/run/libvirt/qemu/web01.pid', '/run/qemu-server/100.pid']);
    expect(out.get(4242)).toMatchObject({ libvirtName: 'web01', routes: new Set(['pidfile']) });
    expect(out.get(5151)).toMatchObject({ pveVmid: '100', routes: new Set(['pidfile']) });
  });

  it('reads both when /var/run is a directory of its own', () => {
    const root = lab.tmpdir('pidfiles-dirs');
    mkdirSync(path.join(root, 'run/libvirt/qemu'), { recursive: true });
    mkdirSync(path.join(root, 'var/run/qemu-server'), { recursive: true });
    writeFileSync(path.join(root, 'run/libvirt/qemu/web01.pid'), '4242\n');
    writeFileSync(path.join(root, 'var/run/qemu-server/100.pid'), '5151\n');
    const { out, pidfileReads } = scan(root);
    expect(pidfileReads.sort()).toEqual(['/run/libvirt/qemu/web01.pid', '/var/run/qemu-server/100.pid']);
    expect(out.get(4242)?.libvirtName).toBe('web01');
    expect(out.get(5151)?.pveVmid).toBe('100');
  });
});
