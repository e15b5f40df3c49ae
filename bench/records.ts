// `npm run bench -- records`: what one enqueue, one delivery's bookkeeping and one album upload's
// bookkeeping cost on the embedded database as it holds 1k, 10k and 50k records (the keyv layout parsed
// and rewrote a whole list each time, so its cost grew with the list); then the same on PostgreSQL with
// the jobs on pg-boss, when a PostgreSQL server can be started here (test/postgres.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AlbumRecords } from '../album/records.ts';
import pg from 'pg';
import { openRecords, type PhotoRecord } from '../core/records/index.ts';
import { skipReason, startPostgres, type TestPostgres } from '../test/postgres.ts';
import { Outbox } from '../core/share/index.ts';

const SIZES = [1_000, 10_000, 50_000];
const OPS = 200;
const log = (s = '') => process.stdout.write(`${s}\n`);
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** Fills a fresh database with `n` queued packets (and their delivery jobs) and an album of `n` photos, in bulk. */
function prefill(file: string, n: number): void {
  const db = new Database(file);
  const now = Date.now();
  db.transaction(() => {
    db.prepare("INSERT INTO accounts (username_key, username, created_at, token_hash, descriptor_model) VALUES ('owner', 'owner', ?, ?, 'm')").run(new Date(now).toISOString(), hex('token'));
    const picture = db.prepare('INSERT INTO packet_pictures (sha256, bytes) VALUES (?, ?)');
    const packet = db.prepare("INSERT INTO packets (id, album, username, sha256, filename, created_at, state, next_attempt_at) VALUES (?, 'http://album.test', ?, ?, 'p.jpg', ?, 'queued', ?)");
    // Queued behind a retry (an album that is down): the backlog every enqueue and claim has to live with.
    const job = db.prepare("INSERT INTO jobs (id, queue, kind, payload, run_at, created_at) VALUES (?, 'deliver', 'deliver', ?, ?, ?)");
    const photo = db.prepare("INSERT INTO album_photos (username_key, id, ext, mime, bytes, width, height, received_at, face_box, distance) VALUES ('owner', ?, 'jpg', 'image/jpeg', 1000, 100, 100, ?, '{}', 0.3)");
    for (let i = 0; i < n; i++) {
      const sha = hex(`picture ${i}`);
      const id = sha.slice(0, 32);
      picture.run(sha, Buffer.alloc(64));
      packet.run(id, `user${i}`, sha, now, now + 3_600_000);
      job.run(`deliver:${id}`, JSON.stringify({ packetId: id }), now + 3_600_000, now);
      photo.run(hex(`photo ${i}`), new Date(now - i * 1000).toISOString());
    }
  })();
  db.close();
}

/** The same backlog in PostgreSQL, in bulk: our rows, and a pg-boss run waiting an hour for each delivery job. */
async function prefillPostgres(url: string, n: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = Date.now();
    await client.query('BEGIN');
    await client.query("INSERT INTO accounts (username_key, username, created_at, token_hash, descriptor_model) VALUES ('owner', 'owner', $1, $2, 'm')", [new Date(now).toISOString(), hex('token')]);
    await client.query(
      `WITH s AS (SELECT i, encode(sha256(('picture ' || i)::bytea), 'hex') AS sha FROM generate_series(0, $1 - 1) i),
       p AS (INSERT INTO packet_pictures (sha256, bytes) SELECT sha, decode(repeat('00', 64), 'hex') FROM s RETURNING sha256),
       k AS (INSERT INTO packets (id, album, username, sha256, filename, created_at, state, next_attempt_at)
             SELECT left(sha, 32), 'http://album.test', 'user' || i, sha, 'p.jpg', $2, 'queued', $2 + 3600000 FROM s RETURNING id)
       INSERT INTO jobs (id, queue, kind, payload, run_at, created_at, engine_id)
       SELECT 'deliver:' || id, 'deliver', 'deliver', json_build_object('packetId', id)::text, $2 + 3600000, $2, gen_random_uuid() FROM k`,
      [n, now],
    );
    await client.query(
      `INSERT INTO pgboss.job (id, name, data, start_after, retry_limit, retry_delay)
       SELECT engine_id, 'deliver', json_build_object('id', id)::jsonb, now() + interval '1 hour', 1000000, 0 FROM jobs WHERE engine_id IS NOT NULL`,
    );
    await client.query(
      `INSERT INTO album_photos (username_key, id, ext, mime, bytes, width, height, received_at, face_box, distance)
       SELECT 'owner', encode(sha256(('photo ' || i)::bytea), 'hex'), 'jpg', 'image/jpeg', 1000, 100, 100,
              to_char((to_timestamp($2 / 1000.0) - i * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '{}', 0.3
       FROM generate_series(0, $1 - 1) i`,
      [n, now],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

async function measure(n: number, postgres?: TestPostgres): Promise<{ enqueue: number; delivery: number; upload: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-bench-records-'));
  try {
    let url = `sqlite://${path.join(dir, 'records.sqlite')}`;
    if (postgres) {
      url = await postgres.database();
      const schema = await openRecords(url);
      await schema.jobs.enqueue({ id: 'deliver:first', queue: 'deliver', kind: 'noop', payload: {}, runAt: Date.now() + 3_600_000 }); // creates the pg-boss queue
      await schema.close();
      await prefillPostgres(url, n);
    } else {
      await (await openRecords(url)).close(); // the schema
      prefill(url.slice('sqlite://'.length), n);
    }
    const records = await openRecords(url);
    const outbox = new Outbox({ records, send: async (p) => ({ status: 'stored', id: createHash('sha256').update(p.picture).digest('hex') }) });
    const picture = (i: number) => Buffer.from(`new picture ${n} ${i}`);

    let t = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < OPS; i++) ids.push((await outbox.enqueue({ album: 'http://album.test', username: `new${i}`, picture: picture(i) })).id);
    const enqueue = (performance.now() - t) / OPS;

    // A delivery's bookkeeping: claim the packet's job, read packet and picture, record the outcome, free the picture.
    t = performance.now();
    for (const id of ids) await outbox.attempt(id);
    const delivery = (performance.now() - t) / OPS;

    // An upload's bookkeeping at the album: account, duplicate check, photo record, first page of the listing.
    const albums = new AlbumRecords(records.albums);
    t = performance.now();
    for (let i = 0; i < OPS; i++) {
      const id = hex(`upload ${i}`);
      await albums.getAccount('owner');
      await albums.getPhoto('owner', id);
      const photo: PhotoRecord = { id, ext: 'jpg', mime: 'image/jpeg', bytes: 1000, width: 100, height: 100, receivedAt: new Date().toISOString(), faceBox: { x: 0, y: 0, width: 10, height: 10 }, distance: 0.3 };
      await albums.addPhoto('owner', photo);
      await albums.listPhotos('owner', { limit: 60 });
    }
    const upload = (performance.now() - t) / OPS;
    await records.close();
    return { enqueue, delivery, upload };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function table(title: string, postgres?: TestPostgres): Promise<void> {
  log(`\n## Records: bookkeeping cost per operation (ms, mean of ${OPS}) as ${title} grows\n`);
  log('| records (queued packets, album photos) | enqueue | delivery bookkeeping | album upload bookkeeping |');
  log('|---|---|---|---|');
  const rows = [];
  for (const n of SIZES) {
    const r = await measure(n, postgres);
    rows.push(r);
    log(`| ${n.toLocaleString('en')} | ${r.enqueue.toFixed(2)} | ${r.delivery.toFixed(2)} | ${r.upload.toFixed(2)} |`);
  }
  const [first, last] = [rows[0]!, rows.at(-1)!];
  log(`\n${SIZES.at(-1)!.toLocaleString('en')} vs ${SIZES[0]!.toLocaleString('en')} records: enqueue ${(last.enqueue / first.enqueue).toFixed(2)}x, delivery ${(last.delivery / first.delivery).toFixed(2)}x, album upload ${(last.upload / first.upload).toFixed(2)}x`);
}

export async function recordsBench(): Promise<void> {
  await table('the embedded database (SQLite)');
  const skip = skipReason();
  if (skip) {
    log(`\nPostgreSQL: not measured (${skip})`);
    return;
  }
  const postgres = await startPostgres();
  try {
    await table('PostgreSQL (jobs on pg-boss) on this machine');
  } finally {
    await postgres.stop();
  }
}
