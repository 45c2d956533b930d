// The terminal UI in a real terminal: tmux runs `virtune --demo 12` (a real demo host with real QMP
// sockets) at 120x40 and at 80x24; the test types with send-keys and reads the screen with
// capture-pane: names and moving numbers, sort by CPU reorders, S puts who suffers most on top, `/` filters, the detail charts draw
// in every section (cpu, disks — scrolled to its last chart —, network, memory, overview: tab goes through them),
// a 50 % CPU quota set in the tuning panel previews the cpu.max step, applies, and the guest's CPU
// falls in the table within 5 s, undo restores it, `?` shows help, `q` exits 0 and the terminal is
// restored (alternate screen left, cursor shown).

import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { isAlive, requireCommand, useLab } from '../helpers/lab.js';
import { tableRows, Tmux } from './tmux.js';

/** braille dots: what blessed-contrib draws a line with */
const BRAILLE = /[\u2801-\u28ff]{3}/;

/** chart labels on screen: `title: values` inside a box's top border */
const chartLabel = (s: string, re: RegExp): boolean => s.split('\n').some((l) => re.test(l));

/**
 * Walk the detail view of web-01 (open, on its cpu section): the disks, network, memory and overview
 * sections each show what they should, charts drawn with lines; then back on cpu. On a small
 * terminal the disks section is scrolled to its last chart. Returns each screen seen.
 */
async function detailSections(t: Tmux, cols: number, rows: number): Promise<Array<{ name: string; lines: string[] }>> {
  const seen: Array<{ name: string; lines: string[] }> = [];
  const step = async (name: string, ok: (s: string) => boolean): Promise<void> => {
    const s = await t.waitFor(`the detail section ${name}`, ok, 15_000);
    seen.push({ name, lines: s.split('\n') });
  };
  const paged = !(cols >= 200 && rows >= 60);
  if (paged) {
    await step('cpu', (s) => /\[cpu\]/.test(s));
    t.keys('Tab');
    await step('disks', (s) => /\[disks\]/.test(s) && chartLabel(s, /virtio-disk0: IOPS: read [\d.]+\/s/) && BRAILLE.test(s));
    // scroll to the section's end: the last disk's latency chart
    for (let i = 0; i < 12; i++) t.keys('Down');
    await step('disks, scrolled', (s) => chartLabel(s, /virtio-disk1: latency.*: read [\d.]+/) && BRAILLE.test(s));
    t.keys('Tab');
    await step('network', (s) => /\[network\]/.test(s) && chartLabel(s, /vnet0: traffic.*: rx [\d.]+ [KMG]?i?B\/s/) && chartLabel(s, /vnet0: dropped packets: rx drops/) && BRAILLE.test(s));
    t.keys('Tab');
    await step('memory', (s) => /\[memory\]/.test(s) && chartLabel(s, /Memory.*: resident [\d.]+ [GM]iB, cgroup/) && /node\s+resident/.test(s) && BRAILLE.test(s));
    t.keys('Tab');
    await step('overview', (s) => /\[overview\]/.test(s) && /cpu quota: none/.test(s));
    t.keys('Tab');
    await step('cpu again', (s) => /\[cpu\]/.test(s) && chartLabel(s, /CPU per vCPU: guest total/));
  }
  return seen;
}

const cpuOf = (screen: string, name: string): number | null => {
  const r = tableRows(screen).rows.find((x) => x.NAME === name);
  return r ? Number(r['CPU%']) : null;
};

/** SGR colour parameters (foreground/background, 8, 16 and 256 colours) in a captured screen */
const COLOUR_SGR = /\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|38;5;\d+|48;5;\d+)(?:;[0-9;]*)?m/;

describe.each([
  [120, 40, false],
  [80, 24, true],
])('virtune --demo 12 in a %ix%i terminal (NO_COLOR: %s)', (cols, rows, noColor) => {
  const lab = useLab();

  it('shows, sorts, filters, drills down, tunes with preview, undoes, helps and quits cleanly', async () => {
    requireCommand('tmux');
    const t = new Tmux(lab, lab.tmpdir('virtune-tui'));
    t.start([process.execPath, CLI, '--demo', '12'], cols, rows, noColor ? { NO_COLOR: '1' } : {});

    // names and moving numbers
    const first = await t.waitFor('the guest table', (s) => tableRows(s).rows.length === 12, 30_000);
    expect(first).toMatch(/demo-host/);
    expect(first).toMatch(/DEMO/);
    // the header shows the (demo) host's own uptime from its /proc/uptime
    expect(first).toMatch(/ up (\d+d\d\dh|\d+h\d\dm|\d+m\d\ds|\d+s) /);
    for (const l of first.split('\n')) expect([...l].length).toBeLessThanOrEqual(cols);
    // NO_COLOR: no colour at all (attributes such as inverse stay); otherwise colours are used
    if (noColor) expect(t.screenWithAttributes()).not.toMatch(COLOUR_SGR);
    else expect(t.screenWithAttributes()).toMatch(COLOUR_SGR);
    const before = tableRows(first).rows.map((r) => `${r.NAME} ${r['CPU%']} ${r.IOPS}`).join('|');
    await t.waitFor('numbers to move', (s) => tableRows(s).rows.length === 12 && tableRows(s).rows.map((r) => `${r.NAME} ${r['CPU%']} ${r.IOPS}`).join('|') !== before);

    // space pauses the view (sampling goes on), space again resumes it
    t.keys('Space');
    const paused = await t.waitFor('the PAUSED badge', (s) => /PAUSED/.test(s));
    const frozen = tableRows(paused).rows.map((r) => `${r.NAME} ${r['CPU%']} ${r.IOPS}`).join('|');
    await new Promise((r) => setTimeout(r, 2500));
    expect(tableRows(t.screen()).rows.map((r) => `${r.NAME} ${r['CPU%']} ${r.IOPS}`).join('|')).toBe(frozen);
    t.keys('Space');
    await t.waitFor('live again after pause', (s) => !/PAUSED/.test(s) && tableRows(s).rows.map((r) => `${r.NAME} ${r['CPU%']} ${r.IOPS}`).join('|') !== frozen);

    // sort by name, then by CPU: the order changes and CPU is descending
    t.keys('n');
    const byName = await t.waitFor('sorted by name', (s) => {
      const names = tableRows(s).rows.map((r) => r.NAME as string);
      return names.length === 12 && names.join() === [...names].sort().join();
    });
    const nameOrder = tableRows(byName).rows.map((r) => r.NAME).join();
    t.keys('c');
    const byCpu = await t.waitFor('sorted by CPU', (s) => {
      const rs = tableRows(s).rows;
      const cpus = rs.map((r) => Number(r['CPU%']));
      return rs.length === 12 && cpus.every((c, i) => i === 0 || c <= (cpus[i - 1] as number));
    });
    expect(tableRows(byCpu).rows.map((r) => r.NAME).join()).not.toBe(nameOrder);

    // S: who suffers most first; the demo's troubled guests (db-04 at its disk limit, proxy-05 under
    // its quota, cache-06 / web-07 on overcommitted CPUs, batch-02 at its tc shaping rate) come before
    // the untroubled busy ones
    t.keys('S');
    const bySuffer = await t.waitFor('sorted by suffering', (s) => {
      const rs = tableRows(s).rows;
      const sf = rs.map((r) => Number(r['SUFF%']));
      return rs.length === 12 && /▼SUFF%/.test(s) && sf.every((x, i) => Number.isFinite(x) && (i === 0 || x <= (sf[i - 1] as number)));
    });
    const sufferRows = tableRows(bySuffer).rows;
    for (const l of bySuffer.split('\n')) expect([...l].length).toBeLessThanOrEqual(cols);
    expect(['batch-02', 'db-04', 'proxy-05', 'cache-06', 'web-07']).toContain(sufferRows[0]?.NAME);
    expect(Number(sufferRows[0]?.['SUFF%'])).toBeGreaterThanOrEqual(50);
    expect(Number(sufferRows.find((r) => r.NAME === 'idle-03')?.['SUFF%'])).toBeLessThan(Number(sufferRows[0]?.['SUFF%']));
    t.keys('c');
    await t.waitFor('sorted by CPU again', (s) => /▼CPU%/.test(s));

    // `/` filters by name
    t.keys('/');
    t.type('db-');
    t.keys('Enter');
    const filtered = await t.waitFor('the filter', (s) => tableRows(s).rows.length === 2 && /filter: db-/.test(s));
    expect(tableRows(filtered).rows.map((r) => r.NAME).sort()).toEqual(['db-04', 'db-10']);
    expect(filtered).toMatch(/filter: db-/);
    t.keys('Escape');
    await t.waitFor('the filter to clear', (s) => tableRows(s).rows.length === 12);

    // choose a busy web guest (the demo's web guests use about two CPUs) and open its detail view
    t.keys('/');
    t.type('web-01');
    t.keys('Enter');
    const busy = await t.waitFor('web-01 alone', (s) => tableRows(s).rows.length === 1 && /filter: web-01/.test(s));
    expect(cpuOf(busy, 'web-01')).toBeGreaterThan(80);
    t.keys('Enter');
    await t.waitFor('the detail charts', (s) => /CPU per vCPU: guest total \d+(\.\d)?%/.test(s) && BRAILLE.test(s), 20_000);
    if (noColor) expect(t.screenWithAttributes()).not.toMatch(COLOUR_SGR);
    // every section of the detail view draws its charts from history (tab goes through them); at
    // 80x24 a section taller than the screen scrolls, so its last chart is reached too
    const sections = await detailSections(t, cols, rows);
    expect(sections.every((x) => x.lines.every((l) => [...l].length <= cols))).toBe(true);
    if (cols === 120) {
      // rich at 200x60: every section on one screen, no tabs
      t.resize(200, 60);
      const rich = await t.waitFor('the whole detail view at 200x60', (s) => !/\[cpu\]/.test(s) && /cpu quota: none/.test(s)
        && [/CPU per vCPU.*: guest total/, /virtio-disk1: latency/, /vnet0: traffic/, /vnet0: dropped packets/, /Memory.*: resident/].every((re) => chartLabel(s, re)), 15_000);
      expect(rich.split('\n').every((l) => [...l].length <= 200)).toBe(true);
      t.resize(cols, rows);
      await t.waitFor('the cpu section again', (s) => /\[cpu\]/.test(s) && chartLabel(s, /CPU per vCPU: guest total/));
    }

    // the tuning panel: 50 % CPU quota, preview with the cpu.max step, apply
    t.keys('t');
    await t.waitFor('the tuning panel', (s) => /--cpu-quota/.test(s) && /now max/.test(s));
    t.keys('Enter');
    t.type('lots');
    t.keys('Enter');
    await t.waitFor('inline validation', (s) => /--cpu-quota: 'lots' is not a quota/.test(s));
    t.keys('Escape');
    t.keys('Enter');
    t.type('50%');
    t.keys('Enter');
    await t.waitFor('the plan preview', (s) => /cpu\.max: max 100000 -> 50000 100000/.test(s) && /y applies/.test(s));
    t.keys('y');
    await t.waitFor('the apply message', (s) => /applied change \S+ to libvirt:web-01/.test(s));
    t.keys('Escape'); // back to the table
    const capped = await t.waitFor('the guest CPU to fall under its quota', (s) => {
      const c = cpuOf(s, 'web-01');
      return c !== null && c < 65;
    }, 5_000);
    expect(tableRows(capped).rows[0]?.LIM).toBe('C');

    // undo restores it
    t.keys('u');
    await t.waitFor('the undo message', (s) => /undone: change/.test(s));
    await t.waitFor('the guest CPU to recover', (s) => (cpuOf(s, 'web-01') ?? 0) > 80, 10_000);

    // side panels: diagnosis of the selected guest, audit log (the change and its undo), advisor and lint
    t.keys('W');
    await t.waitFor('the diagnosis panel', (s) => /why is this guest slow/.test(s) && /window: last 10 s/.test(s) && /web-01/.test(s), 10_000);
    t.keys('Escape');
    t.keys('L');
    await t.waitFor('the audit panel', (s) => /audit log/.test(s) && /apply\s+ok\s+libvirt:web-01/.test(s) && /undo\s+ok\s+libvirt:web-01/.test(s), 10_000);
    t.keys('Escape');
    t.keys('a');
    await t.waitFor('the advisor panel', (s) => /advisor and lint/.test(s) && /NUMA placement moves/.test(s), 10_000);
    for (let i = 0; i < 40; i++) t.keys('Down'); // scroll to its lint part
    await t.waitFor('the lint part', (s) => /advisor and lint/.test(s) && /lint:/.test(s));
    t.keys('Escape');
    await t.waitFor('the table again', (s) => tableRows(s).rows.length === 1);

    // help lists the keys; any key closes it
    t.keys('?');
    await t.waitFor('help', (s) => /virtune keys/.test(s) && /Ctrl-C/.test(s) && /filter guests/.test(s));
    t.keys('x');
    await t.waitFor('help to close', (s) => !/virtune keys/.test(s));

    // a resize redraws cleanly: every line fits the new width, the table and footer are there
    t.keys('Escape'); // clear the filter
    await t.waitFor('all guests again', (s) => tableRows(s).rows.length === 12);
    const [c2, r2] = cols === 120 ? [200, 60] : [100, 30];
    t.resize(c2, r2);
    const resized = await t.waitFor('the redraw after a resize', (s) => tableRows(s).rows.length === 12 && /undone: change|q quit/.test(s) && s.split('\n').some((l) => [...l].length > cols));
    for (const l of resized.split('\n')) expect([...l].length).toBeLessThanOrEqual(c2);
    t.resize(cols, rows);
    const back = await t.waitFor('the redraw after resizing back', (s) => tableRows(s).rows.length === 12 && /undone: change|q quit/.test(s));
    for (const l of back.split('\n')) expect([...l].length).toBeLessThanOrEqual(cols);

    // q exits 0 and restores the terminal
    t.keys('q');
    await t.waitFor('the exit', (s) => /VIRTUNE-EXITED/.test(s), 15_000);
    expect(t.exitCode()).toBe(0);
    const m = t.modes();
    expect(m.alternate).toBe(false);
    expect(m.cursor).toBe(true);
    expect(t.screen()).not.toMatch(/demo-host/);
  });
});

describe('the terminal is restored on every exit path', () => {
  const lab = useLab();

  it.each([
    ['Ctrl-C', 0],
    ['SIGTERM', 143],
  ])('%s', async (how, code) => {
    requireCommand('tmux');
    const t = new Tmux(lab, lab.tmpdir('virtune-tui-exit'));
    t.start([process.execPath, CLI, '--demo', '2'], 80, 24);
    await t.waitFor('the guest table', (s) => tableRows(s).rows.length === 2, 30_000);
    expect(t.modes().alternate).toBe(true);
    if (how === 'Ctrl-C') t.keys('C-c');
    else process.kill(t.programPid(), 'SIGTERM');
    await t.waitFor('the exit', (s) => /VIRTUNE-EXITED/.test(s), 15_000);
    expect(t.exitCode()).toBe(code);
    expect(t.modes()).toEqual({ alternate: false, cursor: true });
  });

  it('a closed terminal (hangup) ends the program', async () => {
    requireCommand('tmux');
    const t = new Tmux(lab, lab.tmpdir('virtune-tui-hup'));
    t.start([process.execPath, CLI, '--demo', '2'], 80, 24);
    await t.waitFor('the guest table', (s) => tableRows(s).rows.length === 2, 30_000);
    const pid = t.programPid();
    lab.defer(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } });
    t.killServer();
    const end = Date.now() + 8000;
    while (isAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(false);
  });
});
