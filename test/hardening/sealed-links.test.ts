// Issue 23, finding 5: in `facedrop serve` the terminal's member links live in the album's own database; a
// copy of that database must open no album. Every 32-character token-shaped string in any table and column
// is tried against the album (as a link and as a deletion key): none opens or deletes anything, while the
// bot still shows each member their working link. Links an older version stored in clear are sealed at open.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
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
import { newTo, privateChat, registerPrivately } from './telegram-flow.ts';

const read = (p: string) => new Uint8Array(fs.readFileSync(p));

/** Every 32-character run of base64url characters in any cell of the database file. */
function tokenShapedStrings(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const found = new Set<string>();
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
        for (const cell of Object.values(row)) {
          const text = typeof cell === 'string' ? cell : Buffer.isBuffer(cell) ? cell.toString('latin1') : '';
          // Every window, not only aligned runs: a token inside a longer string is still a token.
          for (const run of text.match(/[A-Za-z0-9_-]{32,}/g) ?? []) for (let i = 0; i + 32 <= run.length; i++) found.add(run.slice(i, i + 32));
        }
      }
    }
    return [...found];
  } finally {
    db.close();
  }
}

describe('a copy of the database opens no album', () => {
  const bbt = loadPlumbingFixture();
  let dir: string;
  let dbFile: string;
  let config: Config;
  let engine: FaceEngine;
  let records: Records;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let bot: TelegramBot;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-sealed-'));
    dbFile = path.join(dir, 'facedrop.sqlite');
    engine = createFaceEngine({ threads: 2 });
    fake = await FakeTelegramApi.start();
    config = loadConfig(
      { DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', STORE_URL: `sqlite://${dbFile}`, TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, FACE_THREADS: '2', LOG_LEVEL: 'silent', UPLOAD_RATE_LIMIT: '100000' },
      { dotenv: false },
    );
    records = await openConfiguredRecords(config);
    album = await startAlbumServer(config, { engine, records });
    terminal = await openTerminal({ ...config, PUBLIC_URL: album.url }, { records, engine });
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    bot = await startTelegramBot({ config: { ...config, PUBLIC_URL: album.url }, terminal, members: new Members(terminal, album.url), log, retry: { baseDelayMs: 200 }, stopGraceMs: 300 });
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

  /** Tries each string as an album link token and as the deletion key of `usernames`; returns those that worked. */
  const openers = async (candidates: string[], usernames: string[]) => {
    const worked: string[] = [];
    for (const c of candidates) {
      if ((await fetch(`${album.url}/api/albums/${c}`)).status !== 404) worked.push(`link ${c}`);
      for (const u of usernames) {
        // The faces route, not the account's: a key that worked deletes less (and fails the test all the same).
        const response = await fetch(`${album.url}/api/accounts/${u}/faces`, { method: 'DELETE', headers: { authorization: `Bearer ${c}` } });
        if (response.status !== 401) worked.push(`key ${c} (${response.status})`);
      }
    }
    return worked;
  };

  it('after registrations through the bot, no string in the database opens an album; /album still gives the member a working link', async () => {
    const chat: TgChat = { id: -232101, type: 'supergroup', title: 'Sealed' };
    const penny: TgUser = { id: 8301, is_bot: false, first_name: 'Penny', username: 'penny' };
    const raj: TgUser = { id: 8302, is_bot: false, first_name: 'Raj', username: 'raj' };
    const pennyToken = await registerPrivately(fake, chat, penny, read(bbt.selfies.penny![0]!));
    await registerPrivately(fake, chat, raj, read(bbt.selfies.raj![0]!));

    const candidates = tokenShapedStrings(dbFile);
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates).not.toContain(pennyToken);
    expect(await openers(candidates, ['penny', 'raj'])).toEqual([]);

    const seen = fake.sentTo(penny.id).length;
    fake.pushMessage(privateChat(penny), penny, { text: '/album' });
    const answer = await fake.waitFor(newTo(fake, penny.id, seen, /\/a\//), 'the /album answer');
    expect(answer.text).toContain(`${album.url}/a/${pennyToken}`);
    expect((await fetch(`${album.url}/api/albums/${pennyToken}`)).status).toBe(200);
  }, 120_000);

  it('links an older version stored in clear are sealed when the database is opened', async () => {
    const form = new FormData();
    form.set('username', 'legacy-amy');
    form.append('face', new Blob([read(bbt.selfies.amy![0]!)]), 'amy.png');
    const { token, albumUrl } = (await (await fetch(`${album.url}/api/accounts`, { method: 'POST', body: form })).json()) as { token: string; albumUrl: string };
    const raw = new Database(dbFile);
    raw.prepare('INSERT INTO member_links (user_key, album, username, token, album_url) VALUES (?, ?, ?, ?, ?)').run('tg:8399', album.url, 'legacy-amy', token, albumUrl);
    raw.close();
    expect(tokenShapedStrings(dbFile)).toContain(token);

    const reopened = await openConfiguredRecords(config);
    try {
      expect(tokenShapedStrings(dbFile)).not.toContain(token);
      expect(await reopened.members.link('tg:8399')).toMatchObject({ username: 'legacy-amy', token, albumUrl });
    } finally {
      await reopened.close();
    }
  });
});
