// One-time import of the layout before records (keyv: JSON values under "facedrop:<key>" in a `keyv` table,
// outbox pictures as <DATA_DIR>/outbox/<sha256>.bin). Every write is idempotent, so an import cut short runs
// again at the next start; the keyv table is renamed, not dropped, once everything is in.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DELIVERY_QUEUE, deliveryJobId, type Packet } from './packets.ts';
import type { Db, Queryable } from './db.ts';
import { SqliteDb } from './db.ts';
import type { Account, PhotoRecord } from './albums.ts';
import { accountKey } from './albums.ts';
import type { Contact } from './contacts.ts';

const NAMESPACE = 'facedrop:';
export const LEGACY_TABLE_DONE = 'keyv_migrated';

/** The old queue's entries have the shape packets still have. */
type LegacyPacket = Packet;

export interface LegacyImport {
  /** The keyv SQLite file (may be the records file itself). */
  storeFile: string;
  /** Where the old outbox kept its pictures. */
  outboxDir: string;
}

/** Imports a keyv-era data folder into the records tables. Returns how many keys were read (0: nothing to do). */
export async function importLegacyStore(db: Db, source: LegacyImport): Promise<number> {
  if (!fs.existsSync(source.storeFile)) return 0;
  const same = db instanceof SqliteDb && path.resolve(source.storeFile) === path.resolve(db.raw.name);
  const legacy = same ? db.raw : new Database(source.storeFile, { timeout: 15_000 });
  try {
    const pictures = new Map<string, Buffer>();
    // Read and written under the write lock, so two processes starting at once import once.
    const imported = await db.tx(
      async (q) => {
        const hasTable = legacy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyv'").get();
        if (!hasTable) return 0;
        const entries = (legacy.prepare('SELECT key, value FROM keyv').all() as Array<{ key: string; value: string }>)
          .filter((e) => e.key.startsWith(NAMESPACE))
          .map((e) => ({ key: e.key.slice(NAMESPACE.length), value: (JSON.parse(e.value) as { value: unknown }).value }));
        for (const e of entries) {
          if (e.key !== 'outbox:queue') continue;
          for (const p of e.value as LegacyPacket[]) {
            const file = path.join(source.outboxDir, `${p.sha256}.bin`);
            if (fs.existsSync(file)) pictures.set(p.sha256, fs.readFileSync(file));
          }
        }
        for (const { key, value } of entries) await importEntry(q, key, value, pictures);
        // Another file (or database): a crash before the commit re-imports; every insert is idempotent.
        legacy.exec(`ALTER TABLE keyv RENAME TO ${LEGACY_TABLE_DONE}`);
        return entries.length;
      },
      { locks: ['facedrop:legacy-import'] },
    );
    // The pictures are in the database now.
    for (const sha of pictures.keys()) fs.rmSync(path.join(source.outboxDir, `${sha}.bin`), { force: true });
    return imported;
  } finally {
    if (!same) legacy.close();
  }
}

async function importEntry(q: Queryable, key: string, value: unknown, pictures: Map<string, Buffer>): Promise<void> {
  const [kind] = key.split(':', 1);
  const rest = key.slice((kind?.length ?? 0) + 1);
  switch (kind) {
    case 'account':
      return importAccount(q, value as Account);
    case 'album':
      return importAlbum(q, rest, (value as { photos: PhotoRecord[] }).photos);
    case 'token':
      return; // the account row carries its token hash
    case 'contacts':
      return importContacts(q, rest, value as Contact[]);
    case 'contact-groups':
      for (const group of value as string[]) await q.run('INSERT INTO contact_groups (grp, version) VALUES (?, 1) ON CONFLICT DO NOTHING', group);
      return;
    case 'member-album': {
      const link = value as { album: string; username: string; token?: string; albumUrl?: string };
      await q.run('INSERT INTO member_links (user_key, album, username, token, album_url) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', rest, link.album, link.username, link.token ?? null, link.albumUrl ?? null);
      return;
    }
    case 'stale-reminded':
      for (const done of value as string[]) {
        const at = done.lastIndexOf('@');
        await q.run('INSERT INTO reminders (grp, contact_id, model) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', rest, done.slice(0, at), done.slice(at + 1));
      }
      return;
    case 'outbox':
      if (key === 'outbox:queue') return importQueue(q, value as LegacyPacket[], pictures);
      break;
    case 'telegram':
      if (key === 'telegram:inbox') {
        for (const job of value as Array<{ id: string; kind: string; chatId: number }>) {
          await q.run('INSERT INTO jobs (id, queue, kind, payload, order_key, run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', `telegram:${job.id}`, 'telegram', job.kind, JSON.stringify(job), String(job.chatId), Date.now(), Date.now());
        }
        return;
      }
      break;
  }
  // Anything else (delivery outcomes, settings) is kept as it was, under its key.
  await q.run('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING', key, JSON.stringify(value));
}

async function importAccount(q: Queryable, a: Account): Promise<void> {
  const key = accountKey(a.username);
  const created = await q.run('INSERT INTO accounts (username_key, username, created_at, token_hash, descriptor_model) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', key, a.username, a.createdAt, a.tokenHash, a.descriptorModel) > 0;
  if (!created) return;
  for (const r of a.references) {
    await q.run(
      'INSERT INTO account_references (id, username_key, descriptor, box, sha256, added_at, kept_image_ext) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      r.id,
      key,
      JSON.stringify(r.descriptor),
      JSON.stringify(r.box),
      r.sha256,
      r.addedAt,
      r.keptImageExt ?? null,
    );
  }
}

async function importAlbum(q: Queryable, username: string, photos: PhotoRecord[]): Promise<void> {
  for (const p of photos) {
    await q.run(
      `INSERT INTO album_photos (username_key, id, ext, mime, bytes, width, height, received_at, grp, terminal, face_box, distance)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      accountKey(username),
      p.id,
      p.ext,
      p.mime,
      p.bytes,
      p.width,
      p.height,
      p.receivedAt,
      p.group ?? null,
      p.terminal ?? null,
      JSON.stringify(p.faceBox),
      p.distance,
    );
  }
}

async function importContacts(q: Queryable, group: string, contacts: Contact[]): Promise<void> {
  for (const [i, c] of contacts.entries()) {
    // Members a bot registered (tg:..., dc:...) typed their album address in a chat: untrusted (schema step 2).
    const untrusted = /^(tg|dc):/.test(c.id) ? 1 : 0;
    const created =
      await q.run('INSERT INTO contacts (grp, id, seq, name, album, username, descriptor_model, added_at, untrusted_album) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', group, c.id, i + 1, c.name, c.album, c.username, c.descriptorModel, c.addedAt, untrusted) > 0;
    if (created) for (const d of c.descriptors) await q.run('INSERT INTO contact_faces (grp, contact_id, descriptor) VALUES (?, ?, ?)', group, c.id, JSON.stringify(d));
  }
  await q.run('INSERT INTO contact_groups (grp, version) VALUES (?, 1) ON CONFLICT (grp) DO UPDATE SET version = contact_groups.version + 1', group);
}

async function importQueue(q: Queryable, queue: LegacyPacket[], pictures: Map<string, Buffer>): Promise<void> {
  for (const p of queue) {
    const picture = pictures.get(p.sha256);
    if (picture) await q.run('INSERT INTO packet_pictures (sha256, bytes) VALUES (?, ?) ON CONFLICT DO NOTHING', p.sha256, picture);
    // A picture deleted by hand cannot be sent: the packet ends as the old outbox would have ended it.
    const outcome = picture ? null : JSON.stringify({ kind: 'refused', status: 0, code: 'picture_missing', message: 'The picture file was missing when the outbox was migrated' });
    await q.run(
      `INSERT INTO packets (id, album, username, sha256, filename, grp, member_id, untrusted, created_at, state, outcome, attempts, next_attempt_at, last_error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      p.id,
      p.album,
      p.username,
      p.sha256,
      p.filename,
      p.group ?? null,
      p.memberId ?? null,
      /^(tg|dc):/.test(p.memberId ?? '') ? 1 : 0,
      p.createdAt,
      picture ? 'queued' : 'done',
      outcome,
      p.attempts,
      p.nextAttemptAt,
      p.lastError ?? null,
    );
    if (picture) {
      await q.run('INSERT INTO jobs (id, queue, kind, payload, run_at, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', deliveryJobId(p.id), DELIVERY_QUEUE, 'deliver', JSON.stringify({ packetId: p.id }), p.nextAttemptAt, p.createdAt);
    }
  }
}
