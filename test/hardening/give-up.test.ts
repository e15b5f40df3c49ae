// Issue 23, finding 11: a packet to an album that never answers is not retried forever. After
// OUTBOX_GIVE_UP_DAYS (here a few seconds' worth) it is given up, its picture dropped, and the member told
// privately by the bot. Fake Bot API -> bot -> core; the album server is stopped after registration.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startTelegramBot, type TelegramBot } from '../../bots/telegram/bot.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openConfiguredRecords, type Records } from '../../core/records/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture } from '../helpers.ts';
import { registerPrivately } from './telegram-flow.ts';

const read = (p: string) => new Uint8Array(fs.readFileSync(p));
const GIVE_UP_S = 4;

describe('the outbox gives up', () => {
  const bbt = loadPlumbingFixture();
  let dir: string;
  let dbFile: string;
  let engine: FaceEngine;
  let records: Records;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let bot: TelegramBot;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-giveup-'));
    dbFile = path.join(dir, 'facedrop.sqlite');
    engine = createFaceEngine({ threads: 2 });
    fake = await FakeTelegramApi.start();
    const config = loadConfig(
      {
        DATA_DIR: dir,
        HOST: '127.0.0.1',
        PORT: '0',
        STORE_URL: `sqlite://${dbFile}`,
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        FACE_THREADS: '2',
        LOG_LEVEL: 'silent',
        NOTICE_DELAY_MS: '0',
        OUTBOX_GIVE_UP_DAYS: String(GIVE_UP_S / 86_400),
      },
      { dotenv: false },
    );
    records = await openConfiguredRecords(config);
    album = await startAlbumServer(config, { engine, records });
    terminal = await openTerminal({ ...config, PUBLIC_URL: album.url }, { records, engine });
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    bot = await startTelegramBot({ config: { ...config, PUBLIC_URL: album.url }, terminal, members: new Members(terminal, album.url), log, retry: { baseDelayMs: 200 }, stopGraceMs: 300 });
    terminal.outbox.start(200);
  });

  afterAll(async () => {
    await bot?.stop();
    await terminal?.close();
    await records?.close();
    await fake?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`a photo its album never takes is given up after OUTBOX_GIVE_UP_DAYS, its picture dropped, and its member told privately`, async () => {
    const chat: TgChat = { id: -231101, type: 'supergroup', title: 'Unreachable' };
    const penny: TgUser = { id: 8201, is_bot: false, first_name: 'Penny', username: 'penny' };
    await registerPrivately(fake, chat, penny, read(bbt.selfies.penny![0]!));
    await album.app.close(); // the album stops answering: every delivery now fails to connect

    const photo = read(Object.entries(bbt.photos).find(([, who]) => who.includes('penny'))![0]);
    const poster: TgUser = { id: 8299, is_bot: false, first_name: 'Poster' };
    const before = fake.photosTo(penny.id).length;
    fake.pushMessage(chat, poster, { photo: { original: photo } });
    const told = await fake.waitFor(() => fake.photosTo(penny.id).slice(before).find((p) => /could not reach your album/.test(p.caption)), 'the give-up notice', 60_000);
    expect(told.caption).toContain('Unreachable');

    expect(await terminal.outbox.pending()).toEqual([]);
    const db = new Database(dbFile, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM packet_pictures').get()).toEqual({ n: 0 });
      const outcomes = (db.prepare("SELECT outcome FROM packets WHERE state = 'done'").all() as Array<{ outcome: string }>).map((r) => JSON.parse(r.outcome) as { code?: string });
      expect(outcomes.map((o) => o.code)).toEqual(['gave_up']);
    } finally {
      db.close();
    }
  }, 90_000);
});
