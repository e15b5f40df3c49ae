// Must show 6: a data folder written by the keyv-era code (test/fixtures/legacy-v0) migrates on first
// start, nothing lost: members, album accounts and photos, the queued packet, the Telegram job.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { startAlbumServer } from '../../album/server.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, DESCRIPTOR_MODEL, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { getAlbum } from '../../core/share/index.ts';
import { openTerminal } from '../../core/terminal.ts';
import { tempDir } from '../helpers.ts';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'legacy-v0');
const tokens = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'tokens.json'), 'utf8')) as { ann: string; bob: string; port: number };

let engine: FaceEngine;
beforeAll(() => {
  engine = createFaceEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

function copyFixture(): string {
  const dir = tempDir();
  fs.cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

const configOf = (dir: string) =>
  loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(tokens.port), PUBLIC_URL: `http://127.0.0.1:${tokens.port}`, LOG_LEVEL: 'silent' }, { dotenv: false });

describe("migrating today's data folder", () => {
  it('imports every record once, keeps the old table, and delivers the packet that was waiting', async () => {
    const dir = copyFixture();
    const config = configOf(dir);
    const terminal = await openTerminal(config, { engine });
    try {
      const { records } = terminal;
      // Members, with their faces and group order.
      expect(await terminal.contacts.groups()).toEqual(['tg:-100', 'dc:555', 'default']);
      const ann = await terminal.contacts.get('tg:-100', 'tg:1');
      expect(ann).toMatchObject({ name: 'Ann', username: 'ann', album: config.PUBLIC_URL, descriptorModel: DESCRIPTOR_MODEL });
      expect(ann!.descriptors).toHaveLength(1);
      expect(ann!.descriptors[0]).toHaveLength(512);
      expect((await terminal.contacts.list('dc:555')).map((c) => c.name)).toEqual(['Bob']);
      expect((await terminal.contacts.list('default')).map((c) => c.name)).toEqual(['Cy']);
      // The links the bots made, tokens included.
      const members = new Members(terminal, config.PUBLIC_URL);
      expect(await members.link('tg:1')).toMatchObject({ username: 'ann', token: tokens.ann });
      expect(await members.link('dc:2')).toMatchObject({ username: 'bob', token: tokens.bob });
      // The queued packet with its picture, and the Telegram update in flight.
      const pending = await terminal.outbox.pending();
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ username: 'bob', group: 'dc:555', memberId: 'dc:2', attempts: 1 });
      expect(await records.packets.picture(pending[0]!.sha256)).toBeInstanceOf(Buffer);
      expect(fs.readdirSync(path.join(dir, 'outbox'))).toEqual([]);
      const inbox = await records.jobs.list<{ id: string; kind: string; messages: Array<{ message_id: number }> }>('telegram');
      expect(inbox).toEqual([expect.objectContaining({ id: 'telegram:-100:77', kind: 'share', payload: expect.objectContaining({ chatId: -100, messages: [expect.objectContaining({ message_id: 77 })] }) })]);
      // The old table is kept under another name; nothing else holds the old layout.
      const raw = new Database(path.join(dir, 'facedrop.sqlite'), { readonly: true });
      const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
      raw.close();
      expect(tables).toContain('keyv_migrated');
      expect(tables).not.toContain('keyv');

      // The album server on the same folder: accounts, tokens and photos are there; the packet arrives once.
      const album = await startAlbumServer(config, { records, engine });
      try {
        const annAlbum = await getAlbum(album.url, tokens.ann);
        expect(annAlbum.photos.map((p) => p.sha256)).toEqual(fs.readdirSync(path.join(dir, 'albums', 'ann')).filter((f) => f.endsWith('.jpg')).map((f) => f.slice(0, 64)));
        expect((await getAlbum(album.url, tokens.bob)).photos).toEqual([]);
        for (const p of await terminal.outbox.pending()) expect(await terminal.outbox.attempt(p.id)).toMatchObject({ kind: 'delivered' });
        expect((await getAlbum(album.url, tokens.bob)).photos.map((p) => p.sha256)).toEqual([pending[0]!.sha256]);
        expect(await terminal.outbox.pending()).toEqual([]);
      } finally {
        await album.close();
      }
    } finally {
      await terminal.close();
    }

    // A second start imports nothing again.
    const again = await openTerminal(config, { engine });
    try {
      expect((await again.contacts.list('tg:-100')).map((c) => c.id)).toEqual(['tg:1']);
      expect(await again.outbox.pending()).toEqual([]);
      expect(await again.records.jobs.countReady('telegram')).toBe(1);
    } finally {
      await again.close();
    }
  });
});
