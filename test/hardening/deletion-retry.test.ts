// Issue 23, finding 1 (second half): a deletion the album did not confirm is reported as not done and tried
// again by a durable job; the member is told when it is done. Fake Bot API -> bot -> core -> the real album,
// which is down when the member sends /forget album and comes back on the same address.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startTelegramBot, type TelegramBot } from '../../bots/telegram/bot.ts';
import { loadConfig, type Config } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openConfiguredRecords, type Records } from '../../core/records/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture } from '../helpers.ts';
import { freePort } from '../processes.ts';
import { newTo, privateChat, registerPrivately } from './telegram-flow.ts';

describe('a deletion the album did not confirm', () => {
  const bbt = loadPlumbingFixture();
  let dir: string;
  let config: Config;
  let engine: FaceEngine;
  let records: Records;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let bot: TelegramBot;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-delretry-'));
    engine = createFaceEngine({ threads: 2 });
    fake = await FakeTelegramApi.start();
    const port = await freePort();
    config = loadConfig(
      { DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, STORE_URL: `sqlite://${path.join(dir, 'facedrop.sqlite')}`, TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, FACE_THREADS: '2', LOG_LEVEL: 'silent' },
      { dotenv: false },
    );
    records = await openConfiguredRecords(config);
    album = await startAlbumServer(config, { engine, records });
    terminal = await openTerminal(config, { records, engine });
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    bot = await startTelegramBot({ config, terminal, members: new Members(terminal, config.PUBLIC_URL), log, retry: { baseDelayMs: 200 }, stopGraceMs: 300 });
  });

  afterAll(async () => {
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await records?.close();
    await fake?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('/forget album while the album is down: the member hears it is NOT deleted yet; when the album is back a job deletes it and says so', async () => {
    const chat: TgChat = { id: -233101, type: 'supergroup', title: 'Down' };
    const penny: TgUser = { id: 8401, is_bot: false, first_name: 'Penny', username: 'penny' };
    const token = await registerPrivately(fake, chat, penny, new Uint8Array(fs.readFileSync(bbt.selfies.penny![0]!)));
    await album.app.close();

    let seen = fake.sentTo(penny.id).length;
    fake.pushMessage(privateChat(penny), penny, { text: '/forget album' });
    const reply = await fake.waitFor(newTo(fake, penny.id, seen, /album/i), 'the /forget album answer', 30_000);
    expect(reply.text).toMatch(/not deleted yet/);
    expect(reply.text).not.toMatch(/are deleted|already gone/);

    seen = fake.sentTo(penny.id).length;
    album = await startAlbumServer(config, { engine, records });
    expect((await fetch(`${album.url}/api/albums/${token}`)).status).toBe(200); // still there, as she was told
    const done = await fake.waitFor(newTo(fake, penny.id, seen, /deleted now/), 'the message that the album is deleted', 60_000);
    expect(done.text).toContain('every photo');
    expect((await fetch(`${album.url}/api/albums/${token}`)).status).toBe(404);
  }, 120_000);

  it('the last /forget while the album is down: the album’s faces are deleted by the job once it is back, and the member hears it', async () => {
    const chat: TgChat = { id: -233102, type: 'supergroup', title: 'Down again' };
    const raj: TgUser = { id: 8402, is_bot: false, first_name: 'Raj', username: 'raj' };
    const token = await registerPrivately(fake, chat, raj, new Uint8Array(fs.readFileSync(bbt.selfies.raj![0]!)));
    await album.app.close();

    let seen = fake.sentTo(raj.id).length;
    fake.pushMessage(privateChat(raj), raj, { text: '/forget' });
    const pending = await fake.waitFor(newTo(fake, raj.id, seen, /not deleted from your album yet/), 'the pending notice', 30_000);
    expect(pending.text).toMatch(/I keep trying/);

    seen = fake.sentTo(raj.id).length;
    album = await startAlbumServer(config, { engine, records });
    const before = (await (await fetch(`${album.url}/api/albums/${token}/faces`)).json()) as { references: unknown[] };
    expect(before.references.length).toBeGreaterThan(0); // still there, as he was told
    await fake.waitFor(newTo(fake, raj.id, seen, /face is deleted from your album now/), 'the message that the faces are deleted', 60_000);
    const after = (await (await fetch(`${album.url}/api/albums/${token}/faces`)).json()) as { references: unknown[] };
    expect(after.references).toEqual([]);
  }, 120_000);
});
