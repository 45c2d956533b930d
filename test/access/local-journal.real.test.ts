// `virtune changes` and `virtune undo` without a daemon, run by a real local user (useradd; removed in
// afterAll) through runuser: a journal the user may not read is exit 4 naming it, never "no changes";
// a state directory that does not exist is an empty journal.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLab } from '../helpers/lab.js';
import { LocalUsers, openDir, runAs } from './access-lab.js';

describe('the undo journal read by a user who may not read it (real user, no daemon)', () => {
  const lab = useLab();
  let users: LocalUsers;
  let eve: { name: string; uid: number };

  beforeAll(() => {
    users = new LocalUsers();
    eve = users.user('j');
  });
  afterAll(() => { users.removeAll(); });

  it('changes and undo exit 4 naming the journal; a missing state directory is an empty journal', async () => {
    const dir = openDir(lab, 'journal-perm');
    const state = path.join(dir, 'state');
    mkdirSync(path.join(state, 'changes'), { recursive: true });
    writeFileSync(path.join(state, 'changes', 'x.json'), '{}');
    execFileSync('chmod', ['0700', state]);
    const list = await runAs(eve.name, ['changes', '--state-dir', state]);
    expect(list.code).toBe(4);
    expect(list.stdout).toBe('');
    expect(list.stderr.trim().split('\n')).toEqual([`virtune: list ${path.join(state, 'changes')}: permission denied`]);
    const json = await runAs(eve.name, ['changes', '--state-dir', state, '--json']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 4, message: expect.stringContaining('permission denied') } });
    const undo = await runAs(eve.name, ['undo', '--state-dir', state]);
    expect(undo.code).toBe(4);
    expect(undo.stderr).toContain('permission denied');
    const none = await runAs(eve.name, ['changes', '--state-dir', path.join(dir, 'no-state')]);
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('(no changes in the undo journal)');
  });
});
