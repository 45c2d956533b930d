// Real virsh (its built-in test:///default driver, no daemon needed): the long-lived session answers
// many commands through one process with exact reply framing, turns errors into one line without
// losing the session, and restarts only after a timeout or an exit.

import { chmodSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirshQmpChannel, VirshSession } from '../../src/collector/qmp/virsh-channel.js';
import { parseDominfo, parseDomstats, parseListUuidName } from '../../src/collector/libvirt/parse-virsh.js';
import { NodeProcessStarter } from '../../src/engine/node/process-starter.js';
import { HostError } from '../../src/engine/model/errors.js';
import { isAlive, requireCommand, useLab } from '../helpers/lab.js';

const TEST_URI = 'test:///default';

describe('VirshSession against real virsh (test:///default driver)', () => {
  const lab = useLab();
  const open = (extra: Partial<ConstructorParameters<typeof VirshSession>[0]> = {}): VirshSession => {
    requireCommand('virsh');
    const s = new VirshSession({ starter: new NodeProcessStarter(), uri: TEST_URI, timeoutMs: 10_000, ...extra });
    lab.defer(() => s.close());
    return s;
  };

  it('answers 50 mixed commands through one virsh process, each reply exactly its own', async () => {
    const s = open();
    for (let i = 0; i < 10; i++) {
      const list = parseListUuidName(await s.run(['list', '--uuid', '--name']));
      expect(list).toEqual([{ uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f', name: 'test' }]);
      const info = parseDominfo(await s.run(['dominfo', 'test']));
      expect(info.name).toBe('test');
      expect(info.state).toBe('running');
      const stats = parseDomstats(await s.run(['domstats', '--raw', '--list-active', '--state']));
      expect(stats.map((d) => [d.name, d.stateCode])).toEqual([['test', 1]]);
      const xml = await s.run(['dumpxml', 'test']);
      expect(xml.trimStart().startsWith('<domain')).toBe(true);
      expect(xml.trimEnd().endsWith('</domain>')).toBe(true);
      expect(xml).not.toMatch(/virsh|@@VT/);
      expect((await s.run(['echo', 'a b', 'c'])).trim()).toBe('a b c');
    }
    expect(s.spawns).toBe(1);
    expect(s.requests).toBe(50);
  });

  it('concurrent requests are queued and each gets its own reply', async () => {
    const s = open();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => s.run(['echo', `n${i}`])));
    expect(replies.map((r) => r.trim())).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    expect(s.spawns).toBe(1);
  });

  it('a failing command rejects with one clean line (unknown domain: missing) and the session goes on', async () => {
    const s = open();
    const err = await s.run(['dominfo', 'no-such-domain']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostError);
    expect((err as HostError).kind).toBe('missing');
    expect((err as HostError).message).toMatch(/^virsh dominfo: .*no-such-domain|^virsh dominfo: failed to get domain/);
    expect((err as HostError).message).not.toContain('\n');
    await expect(s.run(['nonsense-command'])).rejects.toThrow(/unknown command/);
    expect(parseDominfo(await s.run(['dominfo', 'test'])).name).toBe('test');
    expect(s.spawns).toBe(1);
  });

  it('refuses an argument with a line break before anything is sent', async () => {
    const s = open();
    await expect(s.run(['dominfo', 'a\nlist'])).rejects.toThrow(/line break/);
    expect(s.spawns).toBe(0);
  });

  it('a request that gets no answer times out, the stuck process is killed, the next request starts a new one', async () => {
    const dir = lab.tmpdir('virsh-stuck');
    const stuck = path.join(dir, 'stuck-virsh');
    writeFileSync(stuck, '#!/bin/sh\nexec cat >/dev/null\n');
    chmodSync(stuck, 0o755);
    const s = open({ program: stuck, timeoutMs: 300 });
    const e = await s.run(['list']).catch((x: unknown) => x);
    expect((e as HostError).kind).toBe('timeout');
    await expect(s.run(['list'])).rejects.toThrow(/timed out/);
    expect(s.spawns).toBe(2);
  });

  it('a virsh that exits fails the pending request with its reason and is restarted for the next', async () => {
    const s = open();
    expect((await s.run(['echo', 'x'])).trim()).toBe('x');
    const pid = s.pid as number;
    await expect(s.run(['quit'])).rejects.toThrow(/session ended/);
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(false);
    expect((await s.run(['echo', 'y'])).trim()).toBe('y');
    expect(s.spawns).toBe(2);
  });

  it('close() ends the process and rejects later requests', async () => {
    const s = open();
    await s.run(['echo', 'x']);
    const pid = s.pid as number;
    await s.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(false);
    await expect(s.run(['echo', 'x'])).rejects.toThrow(/closed/);
  });

  it('QMP through the session: the reply is parsed, an error reply is a QmpCommandError', async () => {
    const s = open();
    const ch = new VirshQmpChannel({ exec: s.exec, domain: 'test', timeoutMs: 5000 });
    // the test driver has no QEMU monitor: virsh refuses, and the channel reports it in one line
    await expect(ch.execute('query-status')).rejects.toThrow(/qemu-monitor-command test query-status failed/);
    expect(s.spawns).toBe(1);
  });
});
