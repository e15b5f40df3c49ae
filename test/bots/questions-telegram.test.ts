// "Is this you?" through the fake Telegram Bot API and a real album server: a near miss is not delivered but
// asked privately with the face crop; yes delivers it through the album's check, no records a negative; at
// most one question per (photo, member); none for a member who chose /notify off.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startTelegramBot, type TelegramBot } from '../../bots/telegram/bot.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { childrenFile, hasChildren } from '../../bench/children.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture } from '../helpers.ts';

const read = (p: string) => new Uint8Array(fs.readFileSync(p));

describe('Telegram "is this you?"', () => {
  const bbt: Fixture = loadPlumbingFixture();
  let dir: string;
  let engine: FaceEngine;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let members: Members;
  let bot: TelegramBot;
  let stopConsenting: (() => void) | undefined;
  const errors: string[] = [];
  const log = { info: () => {}, warn: () => {}, error: (o: object | string, m?: string) => errors.push(JSON.stringify([o, m])) };
  const group: TgChat = { id: -100888, type: 'supergroup', title: 'Physics Lab' };
  const user = (name: string, id: number): TgUser => ({ id, is_bot: false, first_name: name, username: name });
  const leonard = user('leonard', 6001);
  const sheldon = user('sheldon', 6002);
  const poster = user('howard', 6009);
  const albumCount = async (u: TgUser) => {
    const link = await members.link(`tg:${u.id}`);
    return ((await (await fetch(`${album.url}/api/albums/${link!.token!}`)).json()) as { photos: unknown[] }).photos.length;
  };
  // Heavily compressed copies of bbt2 (leonard and sheldon): their faces about 0.4 from their selfies, beyond
  // the group's threshold under a 1-in-a-million bound (about 0.19), within the album's 0.62.
  const blurry = async (quality: number) => new Uint8Array(await sharp(fs.readFileSync(Object.keys(bbt.photos).find((p) => p.endsWith('/bbt2.jpg'))!)).jpeg({ quality }).toBuffer());
  const press = async (from: TgUser, data: string) => {
    const id = fake.pushCallback(from, { message_id: 1, chat: { id: from.id, type: 'private' } }, data);
    return String((await fake.waitFor(() => fake.ok('answerCallbackQuery').find((c) => c.params.callback_query_id === id), 'the button answer')).params.text);
  };
  const post = async (bytes: Uint8Array) => {
    const sent = fake.pushMessage(group, poster, { photo: { original: bytes } });
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'getFile'), 'the download');
    await bot.idle();
    return sent;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-questions-'));
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(loadConfig({ DATA_DIR: path.join(dir, 'album'), HOST: '127.0.0.1', PORT: '0', STORE_URL: `sqlite://${dir}/album.sqlite`, LOG_LEVEL: 'silent' }, { dotenv: false }), { engine });
    fake = await FakeTelegramApi.start();
    const config = loadConfig(
      {
        DATA_DIR: path.join(dir, 'terminal'),
        PORT: '0',
        PUBLIC_URL: album.url,
        STORE_URL: `sqlite://${dir}/terminal.sqlite`,
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        FACE_THREADS: '2',
        LOG_LEVEL: 'silent',
        MATCH_FALSE_MATCH_RATE: '0.000001',
        NOTICE_DELAY_MS: '500',
        NOTICE_DIGEST_INTERVAL_MS: '0',
      },
      { dotenv: false },
    );
    terminal = await openTerminal(config, { engine });
    members = new Members(terminal, config.PUBLIC_URL);
    bot = await startTelegramBot({ config, terminal, members, log, retry: { baseDelayMs: 200 }, stopGraceMs: 300 });
    fake.openedBy.add(leonard.id);
    fake.openedBy.add(sheldon.id);
    // The members agree when asked (consent itself: telegram-private.test.ts).
    stopConsenting = fake.autoConsent();
  });

  afterAll(async () => {
    stopConsenting?.();
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await fake?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('[3] asks privately with the face crop; yes delivers through the album check; no records a negative; one question per photo and member; none for /notify off', async () => {
    for (const [u, m] of [
      [leonard, 'leonard'],
      [sheldon, 'sheldon'],
    ] as const) {
      const sent = fake.pushMessage(group, u, { caption: '/register', photo: { original: read(bbt.selfies[m]![0]!) } });
      await fake.waitFor(() => fake.sentTo(group.id).find((r) => r.replyTo === sent.message_id && /joined/.test(r.text)), `${m}'s registration`, 60_000);
    }
    const off = fake.pushMessage({ id: sheldon.id, type: 'private' }, sheldon, { text: '/notify off' });
    await fake.waitFor(() => fake.sentTo(sheldon.id).find((r) => r.replyTo === off.message_id), 'the /notify answer');

    const first = await post(await blurry(5));
    // Not delivered, and nobody is named in the group.
    expect(fake.sentTo(group.id).find((r) => r.replyTo === first.message_id)).toBeUndefined();
    expect(await albumCount(leonard)).toBe(0);
    const question = await fake.waitFor(() => fake.photosTo(leonard.id)[0], "leonard's question", 60_000);
    expect(question.caption).toMatch(/Is this you\? A photo posted in Physics Lab/);
    // The crop is the face, smaller than the group photo.
    const crop = await sharp(question.photo!).metadata();
    expect(crop.width!).toBeLessThanOrEqual(256);
    expect(question.buttons.map((b) => b.text)).toEqual(['✅ Yes, it is me', '🙅 No']);

    // Shared again: no second question.
    await post(await blurry(5));
    await new Promise((r) => setTimeout(r, 1500));
    expect(fake.photosTo(leonard.id)).toHaveLength(1);

    expect(await press(leonard, question.buttons[0]!.callback_data!)).toMatch(/in your album/);
    expect(await albumCount(leonard)).toBe(1);
    expect(await press(leonard, question.buttons[1]!.callback_data!)).toMatch(/Already answered/);

    // Another copy: a new question; "no" makes the face a negative, so the same face is never asked again.
    await post(await blurry(7));
    const second = await fake.waitFor(() => fake.photosTo(leonard.id)[1], "leonard's second question", 60_000);
    expect(await press(leonard, second.buttons.find((b) => b.text === '🙅 No')!.callback_data!)).toMatch(/noted/);
    expect(await albumCount(leonard)).toBe(1);
    expect((await terminal.records.notices.negatives([`tg:${leonard.id}`])).get(`tg:${leonard.id}`)).toHaveLength(1);
    const report = await terminal.sharer.share(await blurry(7), { group: `tg:${group.id}` });
    expect(report.unsure.map((u) => u.memberId)).not.toContain(`tg:${leonard.id}`);

    // sheldon chose /notify off: never asked, nothing delivered.
    expect(fake.photosTo(sheldon.id)).toHaveLength(0);
    expect(await albumCount(sheldon)).toBe(0);
    expect(errors).toEqual([]);
  });

  // Issue 20: a toddler's face is never matched automatically (its band is confirmation-only); the guardian is
  // asked privately, naming the child, and a yes delivers it through the album's check.
  it.skipIf(!hasChildren())('[children] a toddler\'s photo is not sent on its own: the guardian is asked "Is this Mia?" and a yes delivers it', async () => {
    const mum = user('mum', 6101);
    fake.openedBy.add(mum.id);
    const seenInGroup = fake.sentTo(group.id).length;
    const command = fake.pushMessage(group, mum, { text: '/register child Mia' });
    const answer = await fake.waitFor(() => fake.sentTo(group.id).find((m) => m.replyTo === command.message_id), 'the /register answer');
    const link = ((answer.params.reply_markup as { inline_keyboard: Array<Array<{ url?: string }>> }).inline_keyboard.flat().find((b) => b.url)!).url!;
    fake.pushMessage({ id: mum.id, type: 'private' }, mum, { text: `/start ${new URL(link).searchParams.get('start')!}` });
    await fake.waitFor(() => fake.sentTo(mum.id).find((m) => /Now send me/.test(m.text)), 'the photo prompt', 30_000);
    const mia = read(childrenFile('1_0_0_20161219140623097.jpg.chip.jpg'));
    fake.pushMessage({ id: mum.id, type: 'private' }, mum, { photo: { original: mia } });
    await fake.waitFor(() => fake.sentTo(group.id).slice(seenInGroup).find((m) => /Mia .*joined/.test(m.text)), 'Mia joined', 60_000);

    // Mia again (cropped and re-encoded) and another toddler: neither reaches any album by itself.
    const meta = await sharp(mia).metadata();
    const again = new Uint8Array(await sharp(mia).extract({ left: 5, top: 5, width: meta.width! - 10, height: meta.height! - 10 }).resize(240).jpeg({ quality: 80 }).toBuffer());
    await post(again);
    await post(read(childrenFile('1_0_0_20161219154724341.jpg.chip.jpg')));
    expect(await albumCount(mum)).toBe(0);
    const question = await fake.waitFor(() => fake.photosTo(mum.id).find((p) => /Is this Mia\?/.test(p.caption ?? '')), "Mum's question about Mia", 60_000);
    expect(question.buttons.map((b) => b.text)).toEqual(['✅ Yes, it is Mia', '🙅 No']);
    expect(await press(mum, question.buttons[0]!.callback_data!)).toMatch(/in your album/);
    expect(await albumCount(mum)).toBe(1);
    expect(errors).toEqual([]);
  });
});
