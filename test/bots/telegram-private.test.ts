// Consent-first membership on Telegram, end to end: fake Bot API (real HTTP) -> bot -> core -> the real
// album server, sharing one records database as `facedrop serve` does.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startTelegramBot, type TelegramBot } from '../../bots/telegram/bot.ts';
import { loadConfig } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { cosineDistance, normalize } from '../../core/match/vectors.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { BOT_USERNAME, FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture } from '../helpers.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const read = (p: string) => new Uint8Array(fs.readFileSync(p));
const DAY = 24 * 60 * 60_000;

describe('Telegram: private, consent-first membership', () => {
  const bbt: Fixture = loadPlumbingFixture();
  let dir: string;
  let dbFile: string;
  let engine: FaceEngine;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let members: Members;
  let bot: TelegramBot;
  let clock = Date.now();
  const log = { info: () => {}, warn: () => {}, error: () => {} };

  let nextUser = 7001;
  const newUser = (first: string): TgUser => ({ id: nextUser++, is_bot: false, first_name: first, username: first.toLowerCase() });
  const privateChat = (u: TgUser): TgChat => ({ id: u.id, type: 'private' });
  const selfie = (m: string, i = 0) => read(bbt.selfies[m]![i]!);
  /** A fixture photo that shows `m` (and, if given, does not show `not`). */
  const photoWith = (m: string, not: string[] = []) => {
    const found = Object.entries(bbt.photos).find(([, who]) => who.includes(m) && not.every((n) => !who.includes(n)));
    if (!found) throw new Error(`no fixture photo with ${m} without ${not.join(',')}`);
    return read(found[0]);
  };
  /** The same photo as other bytes (another photo to the album, whose ids are content hashes). */
  const variant = async (bytes: Uint8Array, width: number) => new Uint8Array(await sharp(bytes).resize({ width }).jpeg({ quality: 90 }).toBuffer());
  const albumToken = async (userId: number) => (await members.link(`tg:${userId}`))?.token;
  const albumShas = async (userId: number) => {
    const token = await albumToken(userId);
    if (!token) return [];
    const response = await fetch(`${album.url}/api/albums/${token}`);
    if (response.status !== 200) return [];
    return ((await response.json()) as { photos: Array<{ sha256: string }> }).photos.map((p) => p.sha256);
  };
  const lastTo = (chatId: number, pattern: RegExp) => () => [...fake.sentTo(chatId)].reverse().find((m) => pattern.test(m.text));
  /** A message to `chatId` matching `pattern`, sent after the first `seen` ones. */
  const newTo = (chatId: number, seen: number, pattern: RegExp) => () => fake.sentTo(chatId).slice(seen).find((m) => pattern.test(m.text));
  const buttons = (params: Record<string, unknown>) =>
    ((typeof params.reply_markup === 'string' ? JSON.parse(params.reply_markup) : params.reply_markup) as { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> }).inline_keyboard.flat();

  /** Posts a photo in the group as someone else and waits until its job is done. */
  const post = async (chat: TgChat, bytes: Uint8Array) => {
    const poster: TgUser = { id: 6999, is_bot: false, first_name: 'Poster' };
    const message = fake.pushMessage(chat, poster, { photo: { original: bytes } });
    await fake.waitFor(() => fake.calls.some((c) => c.method === 'getFile' && (message.photo as Array<{ file_id: string }>).some((p) => p.file_id === c.params.file_id)), 'the photo fetched', 60_000);
    await bot.idle();
    return message;
  };

  /** `/register [args]` in the group, the deep link, `/start <payload>` in private: returns the consent message. */
  const openAndStart = async (chat: TgChat, u: TgUser, args = '') => {
    const command = fake.pushMessage(chat, u, { text: `/register${args ? ` ${args}` : ''}` });
    const answer = await fake.waitFor(() => fake.sentTo(chat.id).find((m) => m.replyTo === command.message_id), 'the /register answer');
    const link = buttons(answer.params).find((b) => b.url)!.url!;
    const payload = new URL(link).searchParams.get('start')!;
    expect(link).toBe(`https://t.me/${BOT_USERNAME}?start=${payload}`);
    fake.openedBy.add(u.id);
    const seen = fake.sentTo(u.id).length;
    fake.pushMessage(privateChat(u), u, { text: `/start ${payload}` });
    return fake.waitFor(newTo(u.id, seen, /^Before I learn/), 'the consent question');
  };
  const agree = async (u: TgUser, consent: { messageId: number; text: string; params: Record<string, unknown> }) => {
    const data = buttons(consent.params).find((b) => b.callback_data?.startsWith('consent:'))!.callback_data!;
    fake.pushCallback(u, { message_id: consent.messageId, date: 0, chat: privateChat(u), text: consent.text }, data);
  };
  /** The whole private registration; resolves when the group heard "X joined". */
  const registerPrivately = async (chat: TgChat, u: TgUser, picture: Uint8Array, args = '') => {
    const seen = fake.sentTo(chat.id).length;
    const consent = await openAndStart(chat, u, args);
    const prompts = fake.sentTo(u.id).length;
    await agree(u, consent);
    await fake.waitFor(newTo(u.id, prompts, /Now send me/), 'the selfie prompt');
    fake.pushMessage(privateChat(u), u, { photo: { original: picture } });
    return fake.waitFor(() => fake.sentTo(chat.id).slice(seen).find((m) => /joined/.test(m.text)), 'the group "joined" message', 60_000);
  };

  /** Every 512-number array anywhere in the records database (any table, any column, nested JSON). */
  const storedDescriptors = (): number[][] => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      const found: number[][] = [];
      const visit = (value: unknown): void => {
        if (Array.isArray(value)) {
          if (value.length >= 128 && value.every((x) => typeof x === 'number')) found.push(value as number[]);
          else value.forEach(visit);
        } else if (value && typeof value === 'object') Object.values(value).forEach(visit);
      };
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
      for (const { name } of tables) {
        for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>) {
          for (const cell of Object.values(row)) {
            const text = typeof cell === 'string' ? cell : Buffer.isBuffer(cell) ? cell.toString('utf8') : undefined;
            if (!text || !text.includes('[')) continue;
            try {
              visit(JSON.parse(text));
            } catch {
              // not JSON: a picture's bytes, a name
            }
          }
        }
      }
      return found;
    } finally {
      db.close();
    }
  };
  /** Stored descriptors of this face (cosine distance under 0.35 to its selfie's descriptor). */
  const descriptorsOf = async (picture: Uint8Array) => {
    const mine = normalize((await engine.selfie(picture)).face.descriptor);
    return storedDescriptors().filter((d) => cosineDistance(mine, normalize(d)) < 0.35);
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-tgp-'));
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
      },
      { dotenv: false },
    );
    // One records database for the album server and the terminal, as `facedrop serve` runs them.
    album = await startAlbumServer(config, { engine });
    const publicUrl = album.url;
    terminal = await openTerminal({ ...config, PUBLIC_URL: publicUrl }, { records: album.records, engine });
    members = new Members(terminal, publicUrl);
    bot = await startTelegramBot({
      config: { ...config, PUBLIC_URL: publicUrl },
      terminal,
      members,
      log,
      retry: { baseDelayMs: 200 },
      stopGraceMs: 300,
      now: () => clock,
      retentionIntervalMs: 250,
    });
  });

  afterAll(async () => {
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await fake?.close();
    await engine?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('[1][2] /register in the group opens the private chat by deep link; nothing is stored before consent; the selfie stays private; a later group photo reaches the album', async () => {
    const chat: TgChat = { id: -200101, type: 'supergroup', title: 'Physics' };
    const penny = newUser('Penny');
    const pennySelfie = selfie('penny');

    const consent = await openAndStart(chat, penny);
    expect(consent.text).toContain('Physics');
    // Before consent: no entry, no descriptor of her face anywhere, no album.
    expect(await members.list(`tg:${chat.id}`)).toEqual([]);
    expect(await descriptorsOf(pennySelfie)).toEqual([]);
    expect(await terminal.records.consents.current(`tg:${chat.id}`, `tg:${penny.id}`)).toBeUndefined();
    // A selfie sent before agreeing is not taken.
    fake.pushMessage(privateChat(penny), penny, { photo: { original: pennySelfie } });
    await fake.waitFor(lastTo(penny.id, /goes to nobody/), 'the answer to a photo before consent');
    expect(await descriptorsOf(pennySelfie)).toEqual([]);

    await agree(penny, consent);
    await fake.waitFor(lastTo(penny.id, /Now send me a selfie/), 'the selfie prompt');
    const record = await terminal.records.consents.current(`tg:${chat.id}`, `tg:${penny.id}`);
    expect(record).toMatchObject({ userKey: `tg:${penny.id}`, group: `tg:${chat.id}`, textVersion: expect.stringMatching(/^consent\//) });
    fake.pushMessage(privateChat(penny), penny, { photo: { original: pennySelfie } });
    const joined = await fake.waitFor(lastTo(chat.id, /Penny joined/), 'the group "joined" message', 60_000);
    expect(joined.text).not.toContain('/a/');
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.id)).toEqual([`tg:${penny.id}`]);
    expect(fake.sentTo(penny.id).at(-1)!.text).toContain(`${album.url}/a/${await albumToken(penny.id)}`);

    // No photo from Penny ever reached the group: she posted none there, and the bot posted no picture there.
    expect(fake.calls.filter((c) => c.method === 'sendPhoto' && Number(c.params.chat_id) === chat.id)).toEqual([]);

    const photo = photoWith('penny');
    await post(chat, photo);
    await fake.waitFor(async () => (await albumShas(penny.id)).includes(sha256(photo)), "the photo in Penny's album", 60_000);

    // [2] /forget: no descriptor of her face is left anywhere in the store; the consent record remains, withdrawn.
    expect((await descriptorsOf(pennySelfie)).length).toBeGreaterThanOrEqual(2); // the entry and the album's reference
    fake.pushMessage(privateChat(penny), penny, { text: '/forget' });
    await fake.waitFor(lastTo(penny.id, /face data is deleted from every group/), 'the /forget answer');
    await bot.idle();
    expect(await descriptorsOf(pennySelfie)).toEqual([]);
    expect(await members.list(`tg:${chat.id}`)).toEqual([]);
    const history = await terminal.records.consents.history(`tg:${penny.id}`);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ group: `tg:${chat.id}`, givenAt: record!.givenAt, withdrawnReason: 'forget', withdrawnAt: expect.any(Number) });
    // Her album and its photo stay hers; a new photo of her reaches nobody.
    const later = await variant(photo, 900);
    await post(chat, later);
    expect(await albumShas(penny.id)).toEqual([sha256(photo)]);

    // /privacy says what is stored where and lists her consent record.
    fake.pushMessage(privateChat(penny), penny, { text: '/privacy' });
    const privacy = await fake.waitFor(lastTo(penny.id, /What facedrop stores/), 'the /privacy answer');
    expect(privacy.text).toContain('withdrawn');
  });

  it('[1] the caption flow keeps working under consent: the selfie is deleted from the group, used only after "I agree"', async () => {
    const chat: TgChat = { id: -200102, type: 'supergroup', title: 'Caption' };
    const amy = newUser('Amy');
    fake.openedBy.add(amy.id);
    const message = fake.pushMessage(chat, amy, { caption: '/register', photo: { original: selfie('amy') } });
    const consent = await fake.waitFor(lastTo(amy.id, /^Before I learn/), 'the consent question in private');
    await fake.waitFor(() => fake.ok('deleteMessage').find((c) => Number(c.params.message_id) === message.message_id), 'the selfie deleted from the group');
    expect(await descriptorsOf(selfie('amy'))).toEqual([]);
    await agree(amy, consent);
    await fake.waitFor(lastTo(chat.id, /Amy joined/), 'the group "joined" message', 60_000);
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.id)).toEqual([`tg:${amy.id}`]);

    // Where the bot may not delete messages, it says once how to register privately next time.
    const other: TgChat = { id: -200103, type: 'supergroup', title: 'No rights' };
    const raj = newUser('Raj');
    fake.fail('deleteMessage', { status: 400, description: "Bad Request: message can't be deleted" });
    const posted = fake.pushMessage(other, raj, { caption: '/register', photo: { original: selfie('raj') } });
    await fake.waitFor(lastTo(other.id, /could not delete that selfie/), 'the one-time advice');
    // Raj never opened the bot: the consent question comes in the group, as a reply, with a button only he may press.
    const inGroup = await fake.waitFor(() => fake.sentTo(other.id).find((m) => m.replyTo === posted.message_id && /^Before I learn/.test(m.text)), 'the consent question in the group');
    const data = buttons(inGroup.params).find((b) => b.callback_data)!.callback_data!;
    const stranger = newUser('Stranger');
    const wrong = fake.pushCallback(stranger, { message_id: inGroup.messageId, date: 0, chat: other, text: inGroup.text }, data);
    await fake.waitFor(() => fake.ok('answerCallbackQuery').find((c) => c.params.callback_query_id === wrong), 'the answer to the wrong press');
    expect(await terminal.records.consents.current(`tg:${other.id}`, `tg:${raj.id}`)).toBeUndefined();
    fake.pushCallback(raj, { message_id: inGroup.messageId, date: 0, chat: other, text: inGroup.text }, data);
    await fake.waitFor(lastTo(other.id, /Raj joined/), 'Raj joined', 60_000);
  });

  it('[3] a member who leaves (chat_member) or is removed (left_chat_member) is forgotten and told privately; a group photo with their face then reaches nobody', async () => {
    const chat: TgChat = { id: -200301, type: 'supergroup', title: 'Leavers' };
    const leonard = newUser('Leonard');
    const sheldon = newUser('Sheldon');
    await registerPrivately(chat, leonard, selfie('leonard'));
    await registerPrivately(chat, sheldon, selfie('sheldon'));

    fake.pushChatMemberLeft(chat, leonard);
    await fake.waitFor(lastTo(leonard.id, /You left Leavers/), 'the private note to Leonard', 60_000);
    fake.pushLeftMessage(chat, sheldon);
    await fake.waitFor(lastTo(sheldon.id, /You left Leavers/), 'the private note to Sheldon', 60_000);
    expect(await members.list(`tg:${chat.id}`)).toEqual([]);

    const photo = photoWith('leonard');
    const before = { leonard: await albumShas(leonard.id), sheldon: await albumShas(sheldon.id) };
    await post(chat, photo);
    expect(await albumShas(leonard.id)).toEqual(before.leonard);
    expect(await albumShas(sheldon.id)).toEqual(before.sheldon);
    expect(fake.sentTo(chat.id).some((m) => m.text.startsWith('📸'))).toBe(false);
    // Their albums stay theirs.
    expect(await albumToken(leonard.id)).toBeDefined();
    // The bot asked Telegram for chat_member updates (they are not sent otherwise).
    const polls = fake.calls.filter((c) => c.method === 'getUpdates');
    expect(JSON.stringify(polls.at(-1)!.params.allowed_updates)).toContain('chat_member');
  });

  it('[4] approval mode: an unapproved face matches nothing, a non-admin cannot approve, an admin can; /pause stops matching in that group only', async () => {
    const chat: TgChat = { id: -200401, type: 'supergroup', title: 'Approved' };
    const second: TgChat = { id: -200402, type: 'supergroup', title: 'Elsewhere' };
    const admin = newUser('Admin');
    const bernadette = newUser('Bernadette');
    const intruder = newUser('Intruder');
    fake.admins.set(chat.id, [admin.id]);
    fake.admins.set(second.id, [admin.id]);
    for (const u of [admin, intruder]) fake.openedBy.add(u.id);

    const refused = fake.pushMessage(chat, intruder, { text: '/approval on' });
    expect((await fake.waitFor(() => fake.sentTo(chat.id).find((m) => m.replyTo === refused.message_id), 'the refusal')).text).toMatch(/Only the group's admins/);
    fake.pushMessage(chat, admin, { text: '/approval on' });
    await fake.waitFor(lastTo(chat.id, /Approval mode on/), 'approval on');

    await registerPrivately(chat, bernadette, selfie('bernadette'));
    expect((await members.list(`tg:${chat.id}`))[0]).toMatchObject({ id: `tg:${bernadette.id}`, approved: false });
    // The admin got her face, drawn with its box, and an Approve button.
    const ask = await fake.waitFor(() => fake.sentPhotos.find((p) => p.chatId === admin.id && p.caption.includes('Bernadette')), 'the approval request');
    expect((await sharp(ask.bytes).metadata()).format).toBe('jpeg');
    const approveData = (ask.keyboard as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard[0]![0]!.callback_data;

    const photo = photoWith('bernadette');
    await post(chat, photo);
    expect(await albumShas(bernadette.id)).toEqual([]);

    const wrong = fake.pushCallback(intruder, { message_id: ask.messageId, date: 0, chat: privateChat(intruder) }, approveData);
    await fake.waitFor(() => fake.ok('answerCallbackQuery').find((c) => c.params.callback_query_id === wrong), 'the answer to the non-admin');
    await bot.idle();
    expect((await members.list(`tg:${chat.id}`))[0]!.approved).toBe(false);
    expect(String(fake.ok('answerCallbackQuery').find((c) => c.params.callback_query_id === wrong)!.params.text)).toMatch(/Only the group's admins/);

    fake.pushCallback(admin, { message_id: ask.messageId, date: 0, chat: privateChat(admin) }, approveData);
    await fake.waitFor(lastTo(admin.id, /Approved: Bernadette/), 'the approval');
    const again = await variant(photo, 1000);
    await post(chat, again);
    await fake.waitFor(async () => (await albumShas(bernadette.id)).includes(sha256(again)), "the photo in Bernadette's album", 60_000);

    // /members for an admin: join time and approval.
    fake.pushMessage(chat, admin, { text: '/members' });
    expect((await fake.waitFor(lastTo(chat.id, /^Members \(1\)/), 'the admin /members')).text).toMatch(/Bernadette — joined \d{4}-\d\d-\d\d \d\d:\d\d UTC — approved/);

    // /pause in one group: no match there, the other group still matches.
    await registerPrivately(second, bernadette, selfie('bernadette', 1));
    fake.pushMessage(chat, intruder, { text: '/pause' });
    await fake.waitFor(() => fake.sentTo(chat.id).filter((m) => /Only the group's admins/.test(m.text)).length >= 2, 'the /pause refusal');
    fake.pushMessage(chat, admin, { text: '/pause' });
    await fake.waitFor(lastTo(chat.id, /Paused/), 'paused');
    const paused = await variant(photo, 1100);
    await post(chat, paused);
    expect(await albumShas(bernadette.id)).not.toContain(sha256(paused));
    const elsewhere = await variant(photo, 1200);
    await post(second, elsewhere);
    await fake.waitFor(async () => (await albumShas(bernadette.id)).includes(sha256(elsewhere)), 'the photo from the other group', 60_000);
    fake.pushMessage(chat, admin, { text: '/resume' });
    await fake.waitFor(lastTo(chat.id, /Resumed/), 'resumed');
    const resumed = await variant(photo, 1300);
    await post(chat, resumed);
    await fake.waitFor(async () => (await albumShas(bernadette.id)).includes(sha256(resumed)), 'the photo after /resume', 60_000);

    // An admin removes her entry; she is told privately.
    fake.pushMessage(chat, admin, { text: '/remove 1' });
    await fake.waitFor(lastTo(bernadette.id, /removed your entry/), 'the private note');
    expect(await members.list(`tg:${chat.id}`)).toEqual([]);
  });

  it('[4] a face already enrolled by another member is refused, and the admins are told', async () => {
    const chat: TgChat = { id: -200403, type: 'supergroup', title: 'Guarded' };
    const admin = newUser('Boss');
    fake.openedBy.add(admin.id);
    fake.admins.set(chat.id, [admin.id]);
    const howard = newUser('Howard');
    const copycat = newUser('Copycat');
    await registerPrivately(chat, howard, selfie('howard'));
    const consent = await openAndStart(chat, copycat);
    await agree(copycat, consent);
    await fake.waitFor(lastTo(copycat.id, /Now send me/), 'the selfie prompt');
    fake.pushMessage(privateChat(copycat), copycat, { photo: { original: selfie('howard', 1) } });
    await fake.waitFor(lastTo(copycat.id, /already registered to Howard/), 'the refusal', 60_000);
    expect((await fake.waitFor(lastTo(admin.id, /tried to register a face already registered to Howard/), 'the admins told')).text).toContain('Guarded');
  });

  it('[6] a selfie with two faces of similar size: the member taps the number that is theirs; that face, and only it, is enrolled', async () => {
    const chat: TgChat = { id: -200601, type: 'supergroup', title: 'Pairs' };
    const raj = newUser('Rajesh');
    const [left, right] = await Promise.all(['raj', 'amy'].map(async (m) => sharp(selfie(m)).resize({ width: 400, height: 400, fit: 'cover' }).jpeg().toBuffer()));
    const pair = new Uint8Array(
      await sharp({ create: { width: 800, height: 400, channels: 3, background: '#777777' } })
        .composite([
          { input: left!, left: 0, top: 0 },
          { input: right!, left: 400, top: 0 },
        ])
        .jpeg()
        .toBuffer(),
    );
    const consent = await openAndStart(chat, raj);
    await agree(raj, consent);
    await fake.waitFor(lastTo(raj.id, /Now send me/), 'the selfie prompt');
    fake.pushMessage(privateChat(raj), raj, { photo: { original: pair } });
    const preview = await fake.waitFor(() => fake.sentPhotos.find((p) => p.chatId === raj.id && /shows 2 faces/.test(p.caption)), 'the numbered preview', 60_000);
    expect(await members.list(`tg:${chat.id}`)).toEqual([]);
    const numbers = (preview.keyboard as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard.flat();
    expect(numbers.map((b) => b.text)).toEqual(['1', '2']);
    fake.pushCallback(raj, { message_id: preview.messageId, date: 0, chat: privateChat(raj) }, numbers[0]!.callback_data);
    await fake.waitFor(lastTo(chat.id, /Rajesh joined/), 'joined', 60_000);

    const [entry] = await members.list(`tg:${chat.id}`);
    expect(entry!.descriptors).toHaveLength(1);
    const enrolled = normalize(entry!.descriptors[0]!);
    const rajFace = normalize((await engine.selfie(selfie('raj'))).face.descriptor);
    const amyFace = normalize((await engine.selfie(selfie('amy'))).face.descriptor);
    expect(cosineDistance(enrolled, rajFace)).toBeLessThan(0.35);
    expect(cosineDistance(enrolled, amyFace)).toBeGreaterThan(0.5);
    // Amy's face is nobody's here: she can still register with it.
    const amy = newUser('Amy2');
    await registerPrivately(chat, amy, selfie('amy'));
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.name)).toEqual(['Rajesh', 'Amy2']);
  });

  it('[5] a guardian registers a child; a second guardian joins with the code; a photo of the child reaches both albums and nobody else', async () => {
    const chat: TgChat = { id: -200501, type: 'supergroup', title: 'School' };
    const mum = newUser('Mum');
    const dad = newUser('Dad');
    const neighbour = newUser('Neighbour');
    // The "child" is the fixture's howard; the neighbour (penny's face) is a member too.
    await registerPrivately(chat, neighbour, selfie('penny'));
    const joined = await registerPrivately(chat, mum, selfie('howard'), 'child Howie');
    expect(joined.text).toMatch(/Howie .*joined/);
    const codeMessage = await fake.waitFor(lastTo(mum.id, /\/join \S+/), 'the one-time code');
    const code = /\/join (\S+)/.exec(codeMessage.text)![1]!;

    fake.openedBy.add(dad.id);
    fake.pushMessage(privateChat(dad), dad, { text: `/join ${code}` });
    const consent = await fake.waitFor(lastTo(dad.id, /^Before I learn Howie's face/), 'the consent question for the dependent');
    await agree(dad, consent);
    await fake.waitFor(lastTo(dad.id, /send me a photo of Howie/), 'the photo prompt');
    // A photo of someone else is refused: the code alone does not route a child's photos.
    fake.pushMessage(privateChat(dad), dad, { photo: { original: selfie('sheldon') } });
    await fake.waitFor(lastTo(dad.id, /not Howie's/), 'the refusal of another face', 60_000);
    fake.pushMessage(privateChat(dad), dad, { photo: { original: selfie('howard', 1) } });
    await fake.waitFor(lastTo(dad.id, /Howie is registered in School/), 'the second guardian joined', 60_000);
    // The code is one-time.
    const reuse = newUser('Reuse');
    fake.openedBy.add(reuse.id);
    fake.pushMessage(privateChat(reuse), reuse, { text: `/join ${code}` });
    await fake.waitFor(lastTo(reuse.id, /unknown or has expired/), 'the used code refused');

    const photo = photoWith('howard', ['penny']);
    await post(chat, photo);
    await fake.waitFor(async () => (await albumShas(mum.id)).includes(sha256(photo)) && (await albumShas(dad.id)).includes(sha256(photo)), 'the photo in both guardians\' albums', 60_000);
    expect(await albumShas(neighbour.id)).toEqual([]);
    expect(await albumToken(reuse.id)).toBeUndefined();

    // The second guardian leaves the group: Howie stays (Mum holds him), Dad's album stops receiving.
    fake.pushChatMemberLeft(chat, dad);
    await fake.waitFor(lastTo(dad.id, /You left School/), 'the note to Dad', 60_000);
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.name)).toEqual(['Neighbour', 'Howie']);
    const later = await variant(photo, 950);
    await post(chat, later);
    await fake.waitFor(async () => (await albumShas(mum.id)).includes(sha256(later)), "the later photo in Mum's album", 60_000);
    expect(await albumShas(dad.id)).not.toContain(sha256(later));

    // Either guardian may forget the dependent (here the one who registered it).
    fake.pushMessage(privateChat(mum), mum, { text: '/forget child Howie' });
    await fake.waitFor(lastTo(mum.id, /Howie's face data is deleted/), 'the dependent forgotten');
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.name)).toEqual(['Neighbour']);
  });

  it('[7] the retention job warns an inactive entry a week ahead, then forgets it (clock set by the test)', async () => {
    const chat: TgChat = { id: -200701, type: 'supergroup', title: 'Sleepy' };
    fake.chats.set(chat.id, chat);
    const stuart = newUser('Stuart');
    await registerPrivately(chat, stuart, selfie('stuart'));
    clock += 359 * DAY;
    await fake.waitFor(lastTo(stuart.id, /not used facedrop in Sleepy for a long time/), 'the retention warning', 60_000);
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.name)).toEqual(['Stuart']);
    clock += 7 * DAY;
    await fake.waitFor(lastTo(stuart.id, /deleted your face data for Sleepy/), 'the retention notice', 60_000);
    expect(await members.list(`tg:${chat.id}`)).toEqual([]);
    const [record] = await terminal.records.consents.history(`tg:${stuart.id}`);
    expect(record).toMatchObject({ withdrawnReason: 'retention' });
  });
});
