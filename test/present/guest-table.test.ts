// The shared guest table view-model: I/O counted once, hugepage memory in MEM, separate RUNQ% and
// THROTTLE columns, sort (CPU by default), filter, 80-column fit, names never cut to the same text.

import { describe, expect, it } from 'vitest';
import {
  filterRows, fitNames, guestRowVM, guestTable, sortRows, tableLayout,
} from '../../src/engine/present/guest-table.js';
import { snapshotTable } from '../../src/engine/present/snapshot-table.js';
import { disk, guest, snapshot } from './builders.js';

describe('guest row', () => {
  it('counts a guest\'s disk I/O once when QMP and cgroup both report it', () => {
    const g = guest('db', 10, { disks: [disk('dm-0', 'cgroup', 100, 50, 1000, 500), disk('virtio-disk0', 'qmp', 100, 50, 1000, 500)] });
    const r = guestRowVM(g);
    expect(r.values.iops).toBe(150);
    expect(r.values.disk).toBe(1500);
  });
  it('falls back to cgroup per-device figures when the guest has no virtual-disk figures', () => {
    const r = guestRowVM(guest('db', 10, { disks: [disk('sda', 'cgroup', 10, 5, 100, 50), disk('sdb', 'cgroup', 1, 1, 1, 1)] }));
    expect(r.values.iops).toBe(17);
  });
  it('unknown disk figures stay unknown, never 0', () => {
    const r = guestRowVM(guest('db', 10, { disks: [disk('virtio-disk0', 'qmp', 1, 1, 1, 1, { readIops: null })] }));
    expect(r.values.iops).toBeNull();
    expect(r.text.iops).toBe('-');
    expect(guestRowVM(guest('x', 1)).text.disk).toBe('-');
  });
  it('MEM includes hugepage-backed memory', () => {
    const r = guestRowVM(guest('db', 10, { memory: { rssBytes: 100 * 2 ** 20, hugetlbBytes: 4 * 2 ** 30 } }));
    expect(r.values.mem).toBe(100 * 2 ** 20 + 4 * 2 ** 30);
    expect(r.text.mem).toBe('4.1G');
  });
  it('shows run delay and throttling apart, and flags a guest hitting its quota', () => {
    const r = guestRowVM(guest('w', 50, { cpu: { stealPct: 30, throttledPct: 12, quotaUsec: 50000 } }));
    expect(r.text.runq).toBe('30.0');
    expect(r.text.throttle).toBe('12.0');
    expect(r.hitLimit).toBe(true);
    expect(r.highDelay).toBe(true); // 15 % per vCPU
    expect(r.text.limits).toBe('C');
    expect(guestRowVM(guest('idle', 1)).hitLimit).toBe(false);
  });
});

describe('sort, filter, layout', () => {
  const gs = [guest('alpha', 10), guest('beta', 300), guest('gamma', 50, { cpu: { usagePct: null } }), guest('delta', 120)];
  it('sorts by CPU, largest first, unknown last; reverses; sorts by name', () => {
    const rows = gs.map(guestRowVM);
    expect(sortRows(rows).map((r) => r.name)).toEqual(['beta', 'delta', 'alpha', 'gamma']);
    expect(sortRows(rows, { key: 'cpu', descending: false }).map((r) => r.name)).toEqual(['alpha', 'delta', 'beta', 'gamma']);
    expect(sortRows(rows, { key: 'name', descending: false }).map((r) => r.name)).toEqual(['alpha', 'beta', 'delta', 'gamma']);
  });
  it('filters by name or id, case-insensitive', () => {
    const rows = gs.map(guestRowVM);
    expect(filterRows(rows, 'ET').map((r) => r.name)).toEqual(['beta']);
    expect(filterRows(rows, 'qemu:del').map((r) => r.name)).toEqual(['delta']);
    expect(filterRows(rows, '')).toHaveLength(4);
  });
  it('the text table fits 80 columns, has VCPU, RUNQ% and THROTTLE, no STEAL%, and no ID column when names are unique', () => {
    const lines = snapshotTable(snapshot(gs));
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    const header = lines.find((l) => l.startsWith('NAME')) as string;
    expect(header).toMatch(/VCPU/);
    expect(header).toMatch(/RUNQ%/);
    expect(header).toMatch(/THROTTLE/);
    expect(header).not.toMatch(/STEAL|ID/);
    const body = lines.slice(lines.indexOf(header) + 1).map((l) => l.split(/\s+/)[0]);
    expect(body).toEqual(['beta', 'delta', 'alpha', 'gamma']);
  });
  it('shows the ID column when two guests share a name', () => {
    const t = guestTable(snapshot([guest('web', 1, { id: 'libvirt:web' }), guest('web', 2, { id: 'qemu:web' })]));
    expect(t.header.startsWith('ID')).toBe(true);
    expect(t.lines.some((l) => l.startsWith('libvirt:web'))).toBe(true);
    expect(t.lines.some((l) => l.startsWith('qemu:web'))).toBe(true);
  });
  it('never cuts two different long names to the same text', () => {
    const names = ['database-production-eu-01', 'database-production-eu-02', 'database-production-us-01'];
    const fitted = fitNames(names, 12);
    const shown = names.map((n) => fitted.get(n) as string);
    expect(new Set(shown).size).toBe(3);
    for (const s of shown) expect(s.length).toBeLessThanOrEqual(12);
    const t = guestTable(snapshot(names.map((n, i) => guest(n, i))), { width: 70 });
    const firsts = t.lines.map((l) => l.split(' ')[0]);
    expect(new Set(firsts).size).toBe(3);
  });
  it('adds the extra columns only when the width allows', () => {
    const rows = gs.map(guestRowVM);
    expect(tableLayout(rows, 80).columns.map((c) => c.key)).not.toContain('manager');
    expect(tableLayout(rows, 140).columns.map((c) => c.key)).toEqual(expect.arrayContaining(['manager', 'nodes', 'rdBps', 'wrBps']));
    const narrow = tableLayout(rows, 50);
    expect(narrow.width).toBeLessThanOrEqual(50);
    expect(narrow.columns.map((c) => c.key)).toEqual(expect.arrayContaining(['name', 'cpu']));
  });
});

describe('who suffers most (sort key `suffer`, column SUFF%)', () => {
  // a busy guest that is fine, a guest whose vCPUs wait more than they run, a throttled one, one unknown
  const busy = guest('busy', 190);
  const waiting = guest('waiting', 40, { cpu: { stealPct: 60 } });
  waiting.vcpus = waiting.vcpus.map((v) => ({ ...v, usagePct: 20, runDelayPct: 30 }));
  const throttled = guest('throttled', 80, { cpu: { throttledPct: 35, quotaUsec: 80000 } });
  const unknown = guest('unknown', 10);
  unknown.state = null;
  unknown.vcpus = unknown.vcpus.map((v) => ({ ...v, runDelayPct: null }));
  unknown.cpu.throttledPct = null;
  const s = snapshot([busy, unknown, throttled, waiting]);

  it('orders the guest whose vCPUs wait most first, then the throttled one, the fine one, unknown last', () => {
    const t = guestTable(s, { sort: { key: 'suffer', descending: true } });
    expect(t.rows.map((r) => r.name)).toEqual(['waiting', 'throttled', 'busy', 'unknown']);
    expect(t.rows.map((r) => r.values.suffer)).toEqual([60, 35, 0, null]);
    // CPU order is a different one: the busy guest is on top there
    expect(guestTable(s).rows[0]?.name).toBe('busy');
    // the unknown score is shown as unknown, never as 0
    expect(guestRowVM(unknown).text.suffer).toBe('-');
  });

  it('SUFF% is shown only with room to spare, or while the table is sorted by it, still within 80 columns', () => {
    expect(guestTable(s).header).not.toMatch(/SUFF%/);
    const t = guestTable(s, { sort: { key: 'suffer', descending: true } });
    expect(t.header).toMatch(/▼SUFF%/);
    for (const l of [t.header, ...t.lines]) expect(l.length).toBeLessThanOrEqual(80);
    expect(t.lines[0]).toMatch(/^waiting\s.*\s60\.0/);
    expect(tableLayout(s.guests.map(guestRowVM), 50, { keep: 'suffer' }).columns.map((c) => c.key)).toEqual(expect.arrayContaining(['name', 'suffer']));
  });
});
