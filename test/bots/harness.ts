// Both bots on one terminal and one album server, against the fake Telegram Bot API and the fake Discord,
// for the describe block that calls bothBots(): started before its tests, stopped and removed after them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startDiscordBot, type DiscordBot } from '../../bots/discord/bot.ts';
import { startTelegramBot, type TelegramBot } from '../../bots/telegram/bot.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord-fake.ts';
import { FakeTelegramApi } from '../fakes/telegram-api.ts';

export interface BothBots {
  album: AlbumServer;
  terminal: Terminal;
  members: Members;
  tg: FakeTelegramApi;
  dc: FakeDiscord;
  telegram: TelegramBot;
  discord: DiscordBot;
}

export function bothBots(prefix: string, discordChannels: string[]): BothBots {
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  let dir: string | undefined;
  let engine: FaceEngine | undefined;
  let running: Partial<BothBots> = {};
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    engine = createFaceEngine({ threads: 2 });
    const tg = await FakeTelegramApi.start();
    const dc = await startFakeDiscord({ channels: discordChannels, autoConsent: true });
    running = { tg, dc };
    const config = loadConfig(
      { DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', STORE_URL: `sqlite://${path.join(dir, 'facedrop.sqlite')}`, TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.url, DISCORD_BOT_TOKEN: dc.token, DISCORD_API_ROOT: dc.apiRoot, DISCORD_GUILD_ID: dc.guildId, FACE_THREADS: '2', LOG_LEVEL: 'silent' },
      { dotenv: false },
    );
    const album = (running.album = await startAlbumServer(config, { engine }));
    const withAlbum = { ...config, PUBLIC_URL: album.url };
    const terminal = (running.terminal = await openTerminal(withAlbum, { records: album.records, engine }));
    const members = (running.members = new Members(terminal, album.url));
    running.telegram = await startTelegramBot({ config: withAlbum, terminal, members, log, retry: { baseDelayMs: 200 }, stopGraceMs: 300 });
    running.discord = await startDiscordBot({ config: withAlbum, terminal, members, log });
  });
  afterAll(async () => {
    await running.telegram?.stop();
    await running.discord?.stop();
    await running.terminal?.close();
    await running.album?.close();
    await running.tg?.close();
    await running.dc?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const get = <K extends keyof BothBots>(key: K) => () => {
    const value = running[key];
    if (!value) throw new Error(`bothBots: ${key} is started in beforeAll`);
    return value as BothBots[K];
  };
  return Object.defineProperties({} as BothBots, Object.fromEntries((['album', 'terminal', 'members', 'tg', 'dc', 'telegram', 'discord'] as const).map((k) => [k, { get: get(k), enumerable: true }])));
}
