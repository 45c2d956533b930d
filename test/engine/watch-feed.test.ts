// Tests the snapshot feed of `watch` and `snapshot` (cli/engine-factory.ts openSnapshotFeed/feedOf): an
// in-process engine is subscribed to directly instead of through the JSON loopback, and the line it
// prints (snapshotJson) must be the very text the loopback path printed (JSON.stringify of the snapshot
// the loopback client parsed and validated). Both paths subscribe to one engine reading a captured
// libvirt host tree, so each tick's snapshot is compared byte for byte.

import { afterEach, describe, expect, it } from 'vitest';
import { buildLocalEngine, feedOf, localCaller, type LocalEngine } from '../../src/cli/engine-factory.js';
import type { GlobalOptions } from '../../src/cli/runtime.js';
import type { Snapshot } from '../../src/engine/model/snapshot.js';
import { snapshotJson } from '../../src/engine/protocol/snapshot-json.js';
import { connectEngine } from '../../src/engine/rpc/client.js';
import { createLoopbackPair } from '../../src/engine/rpc/loopback.js';
import { serveEngine } from '../../src/engine/rpc/server.js';

const globals = (root: string): GlobalOptions => ({
  root, demo: null, connect: null, tokenFile: null, qmp: [], intervalSec: 0.1, write: false, json: true,
  libvirtUri: null, stateDir: null, auditLog: null,
});

let local: LocalEngine | null = null;
afterEach(async () => { await local?.stop(); local = null; });

describe('watch --json on an in-process engine', () => {
  it('prints, tick for tick, the text the JSON loopback path printed', async () => {
    local = await buildLocalEngine(globals('test/fixtures/hosts/libvirt-v1'), { write: false, version: 'test' });
    await local.engine.start();
    const feed = feedOf(local);
    const [a, b] = createLoopbackPair();
    serveEngine(local.engine, a, { readOnly: true, caller: localCaller('cli') });
    const client = connectEngine(b);

    const direct = new Map<string, string>();
    const viaLoopback = new Map<string, string>();
    await client.subscribe((s: Snapshot) => { viaLoopback.set(s.timestamp, JSON.stringify(s)); });
    const sub = await feed.subscribe((s) => { direct.set(s.timestamp, snapshotJson(s)); });
    const deadline = Date.now() + 20_000;
    while ([...direct.keys()].filter((t) => viaLoopback.has(t)).length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await sub.unsubscribe();
    await client.close();

    const both = [...direct.keys()].filter((t) => viaLoopback.has(t));
    expect(both.length).toBeGreaterThanOrEqual(3);
    for (const t of both) expect(direct.get(t)).toBe(viaLoopback.get(t));
    // the captured host's guests are in it (not an empty snapshot compared with an empty one)
    const last = JSON.parse(direct.get(both[both.length - 1] as string) as string) as Snapshot;
    expect(last.guests.length).toBeGreaterThan(0);
    expect(last.schemaVersion).toBe(1);
  });

  it('listGuests answers from the engine, and close() stops it', async () => {
    local = await buildLocalEngine(globals('test/fixtures/hosts/libvirt-v1'), { write: false, version: 'test' });
    await local.engine.start();
    const feed = feedOf(local);
    const guests = await feed.listGuests();
    expect(guests.length).toBeGreaterThan(0);
    expect(guests.every((g) => typeof g.id === 'string' && g.id !== '')).toBe(true);
    await feed.close();
    await expect(feed.subscribe(() => undefined)).rejects.toThrow(/stopped/);
    local = null;
  });
});
