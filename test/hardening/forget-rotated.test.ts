// Issue 23, finding 1: a link the owner rotated on the album page must not defeat /forget. Fake Bot API (real
// HTTP) -> bot -> core -> the real album server, one records database as `facedrop serve` runs them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startTelegramBot, type TelegramBot } from '../../bots/telegram/bot.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture } from '../helpers.ts';
import { newTo, privateChat, registerPrivately } from './telegram-flow.ts';

const read = (p: string) => new Uint8Array(fs.readFileSync(p));

describe('/forget after the owner made a new album link', () => {
  const bbt = loadPlumbingFixture();
  let dir: string;
  let engine: FaceEngine;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let bot: TelegramBot;
  let nextUser = 8101;
  const newUser = (first: string): TgUser => ({ id: nextUser++, is_bot: false, first_name: first, username: first.toLowerCase() });
  const register = (chat: TgChat, u: TgUser, selfie: Uint8Array) => registerPrivately(fake, chat, u, selfie);
  /** The owner presses "new link" on the album page. */
  const rotate = async (token: string): Promise<string> => {
    const response = await fetch(`${album.url}/api/albums/${token}/token`, { method: 'POST' });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  };
  const say = async (u: TgUser, text: string, answer: RegExp) => {
    const seen = fake.sentTo(u.id).length;
    fake.pushMessage(privateChat(u), u, { text });
    const reply = await fake.waitFor(newTo(fake, u.id, seen, answer), `the answer to ${text}`, 30_000);
    await bot.idle();
    return reply;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-fgr-'));
    engine = createFaceEngine({ threads: 2 });
    fake = await FakeTelegramApi.start();
    const config = loadConfig(
      { DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', STORE_URL: `sqlite://${path.join(dir, 'facedrop.sqlite')}`, TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, FACE_THREADS: '2', LOG_LEVEL: 'silent' },
      { dotenv: false },
    );
    album = await startAlbumServer(config, { engine });
    terminal = await openTerminal({ ...config, PUBLIC_URL: album.url }, { records: album.records, engine });
    const log = { info: () => {}, warn: () => {}, error: () => {} };
    bot = await startTelegramBot({ config: { ...config, PUBLIC_URL: album.url }, terminal, members: new Members(terminal, album.url), log, retry: { baseDelayMs: 200 }, stopGraceMs: 300 });
  });

  afterAll(async () => {
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await fake?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('/forget album deletes the album, its photos and its faces although the terminal holds only the old link', async () => {
    const chat: TgChat = { id: -230101, type: 'supergroup', title: 'Rotated' };
    const penny = newUser('Penny');
    const fresh = await rotate(await register(chat, penny, read(bbt.selfies.penny![0]!)));
    expect((await fetch(`${album.url}/api/albums/${fresh}`)).status).toBe(200);

    const reply = await say(penny, '/forget album', /album/i);
    expect(reply.text).toMatch(/album and every photo in it are deleted/);
    expect(reply.text).not.toMatch(/already gone/);
    // The album the owner's current link opens is gone, with its faces.
    expect((await fetch(`${album.url}/api/albums/${fresh}`)).status).toBe(404);
    expect((await fetch(`${album.url}/api/albums/${fresh}/faces`)).status).toBe(404);
  });

  it('/forget deletes the album’s reference faces through a rotated link, and says so only when it happened', async () => {
    const chat: TgChat = { id: -230102, type: 'supergroup', title: 'Rotated faces' };
    const raj = newUser('Raj');
    const fresh = await rotate(await register(chat, raj, read(bbt.selfies.raj![0]!)));
    const before = (await (await fetch(`${album.url}/api/albums/${fresh}/faces`)).json()) as { references: unknown[] };
    expect(before.references.length).toBeGreaterThan(0);

    await say(raj, '/forget', /face data is deleted from every group/);
    const after = (await (await fetch(`${album.url}/api/albums/${fresh}/faces`)).json()) as { references: unknown[] };
    expect(after.references).toEqual([]);
    expect(fake.sentTo(raj.id).map((m) => m.text).join('\n')).not.toMatch(/did not confirm/);
  });

  it('the deletion key: a missing or wrong key is 401 and deletes nothing; a rotated link leaves the key working', async () => {
    const form = new FormData();
    form.set('username', 'keyed-amy');
    form.append('face', new Blob([read(bbt.selfies.amy![0]!)]), 'amy.png');
    const created = (await (await fetch(`${album.url}/api/accounts`, { method: 'POST', body: form })).json()) as { token: string; deletionKey: string };
    expect(created.deletionKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(created.deletionKey).not.toBe(created.token);
    const del = (headers: Record<string, string>, suffix = '') => fetch(`${album.url}/api/accounts/keyed-amy${suffix}`, { method: 'DELETE', headers });
    for (const headers of [{}, { authorization: `Bearer ${created.token}` }, { authorization: 'Bearer x' }, { authorization: created.deletionKey }]) {
      const response = await del(headers);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe('bad_deletion_key');
    }
    const fresh = await rotate(created.token);
    expect((await fetch(`${album.url}/api/albums/${fresh}`)).status).toBe(200);
    expect((await del({ authorization: `Bearer ${created.deletionKey}` })).status).toBe(200);
    expect((await fetch(`${album.url}/api/albums/${fresh}`)).status).toBe(404);
    const again = await del({ authorization: `Bearer ${created.deletionKey}` });
    expect([again.status, ((await again.json()) as { error: string }).error]).toEqual([404, 'unknown_account']);
  });
});
