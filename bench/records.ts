// `npm run bench -- records`: what one enqueue, one delivery's bookkeeping and one album upload's
// bookkeeping cost on the embedded database as it holds 1k, 10k and 50k records (the keyv layout parsed
// and rewrote a whole list each time, so its cost grew with the list).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AlbumRecords } from '../album/records.ts';
import { openRecords, type PhotoRecord } from '../core/records/index.ts';
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

async function measure(n: number): Promise<{ enqueue: number; delivery: number; upload: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-bench-records-'));
  try {
    const file = path.join(dir, 'records.sqlite');
    await (await openRecords(`sqlite://${file}`)).close(); // the schema
    prefill(file, n);
    const records = await openRecords(`sqlite://${file}`);
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

export async function recordsBench(): Promise<void> {
  log(`\n## Records: bookkeeping cost per operation (ms, mean of ${OPS}) as the embedded database grows\n`);
  log('| records (queued packets, album photos) | enqueue | delivery bookkeeping | album upload bookkeeping |');
  log('|---|---|---|---|');
  const rows = [];
  for (const n of SIZES) {
    const r = await measure(n);
    rows.push(r);
    log(`| ${n.toLocaleString('en')} | ${r.enqueue.toFixed(2)} | ${r.delivery.toFixed(2)} | ${r.upload.toFixed(2)} |`);
  }
  const [first, last] = [rows[0]!, rows.at(-1)!];
  log(`\n${SIZES.at(-1)!.toLocaleString('en')} vs ${SIZES[0]!.toLocaleString('en')} records: enqueue ${(last.enqueue / first.enqueue).toFixed(2)}x, delivery ${(last.delivery / first.delivery).toFixed(2)}x, album upload ${(last.upload / first.upload).toFixed(2)}x`);
}
