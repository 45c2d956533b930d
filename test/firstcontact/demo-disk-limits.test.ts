// Disk limits on the demo host, through real CLI processes over one `serve --demo` daemon: two `--io`
// specs in one change both stay in the simulated io.max (the kernel keeps one line per device; the
// demo once kept only the last write), and a `--disk-throttle` (QMP block_set_io_throttle on the demo's
// QMP server) shows in the next snapshots' disks[].limits instead of only at the 30 s slow QMP batch.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { serveDemo, snapshotGuest } from '../helpers/daemon.js';
import { useLab } from '../helpers/lab.js';

interface Limits { readIops: number | null; writeIops: number | null; readBytesPerSec: number | null; writeBytesPerSec: number | null }
interface Dev { name: string; limits: Limits }
interface Guest { name: string; disks: Dev[]; blockDevices: Dev[] }

describe('demo disk limits (simulated host; real CLI over serve --demo)', () => {
  const lab = useLab();

  it('two --io specs in one change both show in blockDevices[].limits, --disk-throttle in disks[].limits', async () => {
    // own process group, demo tree under the lab's directory, both removed after the test even when it fails
    const c = await serveDemo(lab, 2);
    const web = (): Promise<Guest> => snapshotGuest<Guest>(c, 'web-01');
    const lim = (g: Guest, list: 'disks' | 'blockDevices', name: string): Limits | undefined => g[list].find((d) => d.name === name)?.limits;
    const applied = (g: Guest): boolean => lim(g, 'blockDevices', 'dm-0')?.readIops === 500
      && lim(g, 'blockDevices', 'dm-1')?.writeBytesPerSec === 10 * 1024 * 1024
      && lim(g, 'disks', 'virtio-disk0')?.readIops === 300;

    const before = await web();
    expect(applied(before)).toBe(false);
    const t = await runCli([...c, '--json', 'tune', 'web-01', '--io', 'dm-0:riops=500', '--io', 'dm-1:wbps=10M',
      '--disk-throttle', 'virtio-disk0:iops_rd=300', '--yes']);
    expect(t.code, t.stderr).toBe(0);
    expect((JSON.parse(t.stdout) as { applied: boolean }).applied).toBe(true);

    // a few ticks (1 s each) for the simulator to take the writes in; far less than the 30 s slow batch
    let g = await web();
    for (let i = 0; i < 16 && !applied(g); i++) { await new Promise((r) => setTimeout(r, 500)); g = await web(); }
    expect(lim(g, 'blockDevices', 'dm-0')).toMatchObject({ readIops: 500, writeBytesPerSec: null });
    expect(lim(g, 'blockDevices', 'dm-1')).toMatchObject({ readIops: null, writeBytesPerSec: 10 * 1024 * 1024 });
    expect(lim(g, 'disks', 'virtio-disk0')).toMatchObject({ readIops: 300, writeIops: null });
    expect(lim(g, 'disks', 'virtio-disk1')?.readIops).toBeNull();
  }, 90_000);
});
