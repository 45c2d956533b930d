// Owns the recording file: a SQLite database (better-sqlite3, WAL, synchronous=NORMAL) that implements
// RecordingStore (the recorder writes) and RecordingReader (replay and the report read). Sample blocks
// are stored brotli-compressed (node:zlib); a block is one transaction, so a crash loses at most the block being
// filled; a block's `step` is 0 (full resolution) or 60 (a downsampled stretch: one sample per minute).
// The file says what it is (PRAGMA application_id, a meta table with format and version); a foreign,
// truncated or damaged file, or one of another format version, is refused with one line naming it (exit 2).

import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants as zc } from 'node:zlib';

const compress = promisify(brotliCompress);
import { VirtuneError } from '../model/errors.js';
import type { RecordedEvent } from '../model/recording.js';
import type { BlockInfo, MinuteRow, RecordingMeta, RecordingReader, RecordingStore } from '../ports/recording.js';

/** 'vtrc' */
export const APPLICATION_ID = 0x76747263;
export const FORMAT_NAME = 'virtune-recording';
export const FORMAT_VERSION = 2;
/**
 * Blocks are brotli-compressed at quality 1 with a 4 MiB window: on the demo's blocks smaller than
 * deflate at any level and about a fifth of the CPU of brotli quality 4 for ~1-12 % more bytes
 * (measured on 8 and 100 demo guests; bench: recorder).
 */
const BROTLI = { params: { [zc.BROTLI_PARAM_QUALITY]: 1, [zc.BROTLI_PARAM_LGWIN]: 22 } };

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blocks (id INTEGER PRIMARY KEY, first_wall INTEGER NOT NULL, last_wall INTEGER NOT NULL,
  samples INTEGER NOT NULL, guest_samples INTEGER NOT NULL, step INTEGER NOT NULL DEFAULT 0, data BLOB NOT NULL);
CREATE INDEX blocks_last_wall ON blocks(last_wall);
CREATE TABLE events (id INTEGER PRIMARY KEY, wall INTEGER NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE minutes (minute INTEGER NOT NULL, scope TEXT NOT NULL, metric TEXT NOT NULL,
  n INTEGER NOT NULL, mean REAL NOT NULL, max REAL NOT NULL, PRIMARY KEY (minute, scope, metric));
`;

type Db = Database.Database;

function fail(file: string, why: string, code: 1 | 2 = 2): never {
  throw new VirtuneError(code, `${file}: ${why}`);
}

/** a write that failed at run time (disk full, I/O error): exit 1, not a usage error */
function runtimeCode(e: unknown): 1 | 2 {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' && /^SQLITE_(FULL|IOERR|BUSY|LOCKED)/.test(c) ? 1 : 2;
}

function sqliteWhy(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/not a database|malformed|corrupt|disk image/i.test(m)) return 'the recording is damaged or truncated (SQLite: ' + m + ')';
  return m.split('\n')[0] ?? m;
}

/** Open an existing file and check it is a virtune recording of a version we read. */
function openChecked(file: string, readonly: boolean): Db {
  if (!existsSync(file)) fail(file, 'no such recording');
  if (statSync(file).isDirectory()) fail(file, 'is a directory, not a recording');
  let db: Db | null = null;
  try {
    db = new Database(file, { readonly, fileMustExist: true });
    const app = db.pragma('application_id', { simple: true }) as number;
    if (app !== APPLICATION_ID) fail(file, 'not a virtune recording (an SQLite file of something else)');
    const rows = db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>;
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    if (meta.get('format') !== FORMAT_NAME) fail(file, 'not a virtune recording (no format mark)');
    const v = Number(meta.get('version'));
    if (v !== FORMAT_VERSION) fail(file, `recording format version ${meta.get('version') ?? '?'} is not supported (this virtune reads ${FORMAT_VERSION}; record again with this version)`);
    db.prepare('SELECT count(*) FROM blocks').get(); // touch the table: a truncated file fails here
    return db;
  } catch (e) {
    db?.close();
    if (e instanceof VirtuneError) throw e;
    return fail(file, /file is not a database/i.test(String(e)) ? 'not a virtune recording (not an SQLite file)' : sqliteWhy(e));
  }
}

class SqliteRecording implements RecordingStore, RecordingReader {
  private readonly insBlock: Database.Statement;
  private readonly insEvent: Database.Statement;

  constructor(readonly file: string, private readonly db: Db) {
    this.insBlock = db.prepare('INSERT INTO blocks (first_wall, last_wall, samples, guest_samples, step, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.insEvent = db.prepare('INSERT INTO events (wall, kind, data) VALUES (?, ?, ?)');
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof VirtuneError) throw e;
      return fail(this.file, sqliteWhy(e));
    }
  }

  async appendBlock(info: Omit<BlockInfo, 'id' | 'stepSec'>, block: Uint8Array): Promise<void> {
    const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    // compressed on libuv's thread pool: a big block does not stall the engine's event loop
    const data = await compress(buf, { params: { ...BROTLI.params, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length } });
    if (!this.db.open) throw new VirtuneError(1, `${this.file}: the recording was closed before a block was written`);
    try {
      this.insBlock.run(info.firstWallMs, info.lastWallMs, info.samples, info.guestSamples, 0, data);
    } catch (e) {
      fail(this.file, `could not write the recording: ${sqliteWhy(e)}`, 1);
    }
  }

  appendEvents(events: RecordedEvent[]): void {
    this.db.transaction(() => {
      for (const e of events) this.insEvent.run(e.wallMs, e.kind, JSON.stringify(e));
    })();
  }

  blocksBefore(wallMs: number): BlockInfo[] {
    return this.selectBlocks('WHERE step = 0 AND last_wall < ?', [wallMs]);
  }

  downsample(blockIds: number[], rows: MinuteRow[], minuteBlock: { info: Omit<BlockInfo, 'id' | 'stepSec'>; block: Uint8Array } | null): void {
    // compressed here (rare: once per committed block past the full-resolution span, a few samples)
    const data = minuteBlock ? brotliCompressSync(minuteBlock.block, BROTLI) : null;
    const ins = this.db.prepare(`INSERT INTO minutes (minute, scope, metric, n, mean, max) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (minute, scope, metric) DO UPDATE SET n = n + excluded.n,
        mean = (mean * n + excluded.mean * excluded.n) / (n + excluded.n), max = max(max, excluded.max)`);
    const del = this.db.prepare('DELETE FROM blocks WHERE id = ?');
    this.db.transaction(() => {
      for (const r of rows) ins.run(r.minuteWallMs, r.scope, r.metric, r.n, r.mean, r.max);
      for (const id of blockIds) del.run(id);
      if (minuteBlock && data) {
        const i = minuteBlock.info;
        this.insBlock.run(i.firstWallMs, i.lastWallMs, i.samples, i.guestSamples, 60, data);
      }
    })();
  }

  dropBefore(wallMs: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM blocks WHERE last_wall < ?').run(wallMs);
      this.db.prepare('DELETE FROM minutes WHERE minute + 60000 <= ?').run(wallMs);
      this.db.prepare('DELETE FROM events WHERE wall < ?').run(wallMs);
    })();
  }

  readBlock(id: number): Uint8Array {
    return this.guard(() => {
      const r = this.db.prepare('SELECT data FROM blocks WHERE id = ?').get(id) as { data: Buffer } | undefined;
      if (!r) throw new VirtuneError(1, `${this.file}: block ${id} is gone`);
      try {
        return brotliDecompressSync(r.data);
      } catch {
        return fail(this.file, `the recording is damaged (block ${id} does not decompress)`);
      }
    });
  }

  sizeBytes(): number {
    let n = 0;
    for (const f of [this.file, `${this.file}-wal`]) {
      try { n += statSync(f).size; } catch { /* not there */ }
    }
    return n;
  }

  meta(): RecordingMeta {
    return this.guard(() => {
      const rows = this.db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>;
      const m = new Map(rows.map((r) => [r.key, r.value]));
      return {
        version: Number(m.get('version')),
        createdWallMs: Number(m.get('created') ?? 0),
        hostname: m.get('hostname') ?? null,
        demo: m.get('demo') === 'true',
        intervalSec: Number(m.get('intervalSec') ?? 1),
      };
    });
  }

  private selectBlocks(where: string, args: unknown[]): BlockInfo[] {
    return this.guard(() => (this.db.prepare(
      `SELECT id, first_wall AS firstWallMs, last_wall AS lastWallMs, samples, guest_samples AS guestSamples, step AS stepSec FROM blocks ${where} ORDER BY first_wall, id`,
    ).all(...args) as BlockInfo[]));
  }

  blocks(): BlockInfo[] { return this.selectBlocks('', []); }

  events(): RecordedEvent[] {
    return this.guard(() => (this.db.prepare('SELECT data FROM events ORDER BY wall, id').all() as Array<{ data: string }>)
      .map((r) => JSON.parse(r.data) as RecordedEvent));
  }

  minutes(): MinuteRow[] {
    return this.guard(() => this.db.prepare(
      'SELECT minute AS minuteWallMs, scope, metric, n, mean, max FROM minutes ORDER BY minute, scope, metric',
    ).all() as MinuteRow[]);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export interface CreateOptions {
  hostname: string | null;
  demo: boolean;
  intervalSec: number;
  nowWallMs: number;
  /** replace an existing file (default: refuse) */
  overwrite?: boolean;
}

/** Create a new recording file (refuses to overwrite an existing one unless asked). */
export function createRecording(file: string, o: CreateOptions): RecordingStore {
  if (existsSync(file) && !o.overwrite) fail(file, 'already exists (choose another file)');
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    return fail(file, sqliteWhy(e));
  }
  try {
    if (o.overwrite) db.exec('DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS blocks; DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS minutes;');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(SCHEMA);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      put.run('format', FORMAT_NAME);
      put.run('version', String(FORMAT_VERSION));
      put.run('created', String(o.nowWallMs));
      put.run('hostname', o.hostname ?? '');
      put.run('demo', String(o.demo));
      put.run('intervalSec', String(o.intervalSec));
      put.run('compression', 'brotli');
    })();
  } catch (e) {
    db.close();
    return fail(file, sqliteWhy(e), runtimeCode(e));
  }
  return new SqliteRecording(file, db);
}

/** Open a recording to read it (replay, report). */
export function openRecording(file: string): RecordingReader {
  return new SqliteRecording(file, openChecked(file, true));
}
