// The Telegram bot end to end: fake Bot API (real HTTP) -> bot -> core -> the real album server.
import { createHash } from 'node:crypto';
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
import { createAccount, type DeliveryOutcome, type Packet } from '../../core/share/index.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { BOT_USERNAME, FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { connectionCounter, demoSamples, loadPlumbingFixture } from '../helpers.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const read = (p: string) => new Uint8Array(fs.readFileSync(p));
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Smaller renditions, like the PhotoSizes Telegram lists before the original. */
async function thumbnails(bytes: Uint8Array): Promise<Uint8Array[]> {
  return Promise.all([90, 320].map(async (w) => new Uint8Array(await sharp(bytes).resize({ width: w }).jpeg().toBuffer())));
}

describe('Telegram bot', () => {
  const bbt: Fixture = loadPlumbingFixture();
  let dir: string;
  let engine: FaceEngine;
  let album: AlbumServer;
  let fake: FakeTelegramApi;
  let terminal: Terminal;
  let members: Members;
  let bot: TelegramBot;
  let botOptions: Parameters<typeof startTelegramBot>[0];
  const logLines: string[] = [];
  const finals: Array<{ packet: Packet; outcome: DeliveryOutcome }> = [];
  const log = {
    info: (o: object | string, m?: string) => logLines.push(JSON.stringify([o, m])),
    warn: (o: object | string, m?: string) => logLines.push(JSON.stringify([o, m])),
    error: (o: object | string, m?: string) => logLines.push(JSON.stringify([o, m])),
  };

  // The main group: the eight bbt members, each a Telegram user; raj never opened a private chat with the bot.
  const main: TgChat = { id: -100101, type: 'supergroup', title: 'BBT' };
  const users = Object.fromEntries(bbt.members.map((m, i) => [m, { id: 1001 + i, is_bot: false, first_name: capitalize(m), username: m } satisfies TgUser]));
  const user = (m: string) => users[m]!;
  const photoPath = (name: string) => Object.keys(bbt.photos).find((p) => p.endsWith(`/${name}`))!;
  let stuartToken = '';
  let stopConsenting: (() => void) | undefined;
  /** `/register [args]` in a group, then `/start <payload>` from the deep link in the private chat (consent is pressed for them). */
  const registerPrivately = async (chat: TgChat, u: TgUser, text: string) => {
    const command = fake.pushMessage(chat, u, { text });
    const answer = await fake.waitFor(replyTo(chat.id, command.message_id), 'the deep link');
    const link = (answer.params.reply_markup as { inline_keyboard: Array<Array<{ url?: string }>> }).inline_keyboard.flat().find((b) => b.url)!.url!;
    const seen = fake.sentTo(u.id).length;
    fake.pushMessage({ id: u.id, type: 'private' }, u, { text: `/start ${new URL(link).searchParams.get('start')!}` });
    await fake.waitFor(() => fake.sentTo(u.id).slice(seen).find((m) => /Now send me a selfie/.test(m.text)), 'the selfie prompt');
    return command;
  };

  const albumToken = async (userId: number) => (await members.link(`tg:${userId}`))?.token;
  const albumShas = async (token: string) => {
    const response = await fetch(`${album.url}/api/albums/${token}`);
    if (response.status === 404) return undefined;
    const body = (await response.json()) as { photos: Array<{ sha256: string }> };
    return body.photos.map((p) => p.sha256);
  };
  const replyTo = (chatId: number, messageId: unknown) => () => fake.sentTo(chatId).find((m) => m.replyTo === messageId);
  /** Every album token the terminal knows, to check none ever reached a group or a log. */
  const allTokens = async () => {
    const tokens = [stuartToken];
    for (const id of [...Object.values(users).map((u) => u.id), 2001, 2002, 2003, 2004, 2005, 3001, 3002, 3903]) {
      const t = await albumToken(id);
      if (t) tokens.push(t);
    }
    return tokens.filter(Boolean);
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-tg-'));
    engine = createFaceEngine({ threads: 2 });
    album = await startAlbumServer(
      loadConfig({ DATA_DIR: path.join(dir, 'album'), HOST: '127.0.0.1', PORT: '0', STORE_URL: `sqlite://${dir}/album.sqlite`, LOG_LEVEL: 'silent' }, { dotenv: false }),
      { engine },
    );
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
      },
      { dotenv: false },
    );
    terminal = await openTerminal(config, { engine, onDelivered: (packet, outcome) => finals.push({ packet, outcome }) });
    members = new Members(terminal, config.PUBLIC_URL);
    botOptions = { config, terminal, members, log, mediaGroupQuietMs: 800, retry: { baseDelayMs: 200 }, stopGraceMs: 300 };
    bot = await startTelegramBot(botOptions);
    for (const m of bbt.members) if (m !== 'raj') fake.openedBy.add(user(m).id);
    // The members of these tests agree when asked (consent itself: telegram-private.test.ts).
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

  it('starts with getMe, setMyCommands and long polling', async () => {
    expect(bot.username).toBe(BOT_USERNAME);
    const commands = fake.ok('setMyCommands')[0]?.params.commands as Array<{ command: string }>;
    expect(commands.map((c) => c.command).slice(0, 7)).toEqual(['register', 'addface', 'album', 'forget', 'members', 'notify', 'help']);
    expect(commands.map((c) => c.command)).toContain('privacy');
    await fake.waitFor(() => fake.waitingPolls > 0, 'a long-polling getUpdates');
  });

  it('[1] eight members register in one group; five photos (one as a document, two as a media group) reach exactly the albums truth.json says', async () => {
    // Stuart brings his own album (here an account on the same server, made directly, as another server would).
    const stuartSelfie = read(bbt.selfies.stuart![0]!);
    stuartToken = (await createAccount(album.url, 'stuart-own', [stuartSelfie])).token;

    // The ways to register: caption, caption with @botname; "/register" then, in the private chat, a photo, a document, a photo for an own album.
    const selfie = (m: string) => read(bbt.selfies[m]![0]!);
    const registrations: Array<{ member: string; messageId: unknown }> = [];
    for (const m of ['amy', 'penny', 'raj', 'sheldon']) {
      registrations.push({ member: m, messageId: fake.pushMessage(main, user(m), { caption: '/register', photo: { original: selfie(m) } }).message_id });
    }
    registrations.push({ member: 'bernadette', messageId: fake.pushMessage(main, user('bernadette'), { caption: `/register@${BOT_USERNAME}`, photo: { original: selfie('bernadette') } }).message_id });
    const inPrivate = (m: string) => ({ id: user(m).id, type: 'private' }) as const;
    const howard = await registerPrivately(main, user('howard'), '/register');
    fake.pushMessage(inPrivate('howard'), user('howard'), { photo: { original: selfie('howard') } });
    const leonard = await registerPrivately(main, user('leonard'), `/register@${BOT_USERNAME}`);
    fake.pushMessage(inPrivate('leonard'), user('leonard'), { document: { bytes: selfie('leonard'), fileName: 'me.png', mimeType: 'image/png' } });
    const stuart = await registerPrivately(main, user('stuart'), `/register ${album.url} stuart-own`);
    fake.pushMessage(inPrivate('stuart'), user('stuart'), { photo: { original: stuartSelfie } });
    registrations.push({ member: 'howard', messageId: howard.message_id }, { member: 'leonard', messageId: leonard.message_id }, { member: 'stuart', messageId: stuart.message_id });
    for (const r of registrations) {
      const reply = await fake.waitFor(() => fake.sentTo(main.id).find((m) => m.replyTo === r.messageId && /joined/.test(m.text)), `${r.member}'s registration reply`, 60_000);
      expect(reply.text, r.member).toContain(`${capitalize(r.member)} joined`);
    }
    // Caption selfies are deleted from the group.
    for (const r of registrations.slice(0, 5)) expect(fake.ok('deleteMessage').some((c) => Number(c.params.message_id) === r.messageId), r.member).toBe(true);
    expect((await members.list(`tg:${main.id}`)).map((c) => c.name).sort()).toEqual(bbt.members.map(capitalize).sort());
    // Members who opened the bot got their link privately; raj (403) was told to open the bot instead.
    for (const m of ['amy', 'howard', 'leonard']) expect(fake.sentTo(user(m).id).at(-1)?.text).toContain(`${album.url}/a/${await albumToken(user(m).id)}`);
    expect(fake.sentTo(main.id).find((s) => s.text.includes('Raj joined'))?.text).toContain('/album');
    expect((await members.link(`tg:${user('stuart').id}`))?.username).toBe('stuart-own');

    // The five photos, posted by someone who is not registered: bbt1 and bbt5 as photos, bbt2 as a document, bbt3+bbt4 as one media group.
    const poster: TgUser = { id: 1999, is_bot: false, first_name: 'Wolowitz', last_name: 'Senior' };
    const photo = async (name: string) => {
      const original = read(photoPath(name));
      return { original, thumbnails: await thumbnails(original) };
    };
    const posted = [
      fake.pushMessage(main, poster, { photo: await photo('bbt1.jpg') }),
      fake.pushMessage(main, poster, { document: { bytes: read(photoPath('bbt2.jpg')), fileName: 'bbt2.jpg', mimeType: 'image/jpeg' } }),
      fake.pushMediaGroup(main, poster, [{ photo: await photo('bbt3.jpg') }, { photo: await photo('bbt4.jpg') }])[0]!,
      fake.pushMessage(main, poster, { photo: await photo('bbt5.jpg') }),
    ];
    const replies = [];
    for (const p of posted) replies.push(await fake.waitFor(replyTo(main.id, p.message_id), `the reply to photo message ${String(p.message_id)}`, 90_000));
    await bot.idle();
    expect(await terminal.outbox.pending()).toEqual([]);

    // Albums: exactly what truth.json says (precision 1.00, recall >= 0.95); stuart's holds none.
    let truePositives = 0;
    let falsePositives = 0;
    let expected = 0;
    const shaToName = new Map(Object.entries(bbt.photos).map(([p]) => [sha256(read(p)), path.basename(p)]));
    for (const m of bbt.members) {
      const token = m === 'stuart' ? stuartToken : await albumToken(user(m).id);
      const got = (await albumShas(token!))!;
      expect(new Set(got).size, `${m}: no photo twice`).toBe(got.length);
      const want = Object.entries(bbt.photos)
        .filter(([, who]) => who.includes(m))
        .map(([p]) => sha256(read(p)));
      expected += want.length;
      truePositives += got.filter((s) => want.includes(s)).length;
      const wrong = got.filter((s) => !want.includes(s));
      falsePositives += wrong.length;
      expect(wrong.map((s) => shaToName.get(s) ?? `unknown ${s.slice(0, 8)} (a thumbnail?)`), `${m}: photos they are not in`).toEqual([]);
      if (m === 'stuart') expect(got).toEqual([]);
    }
    const precision = truePositives / (truePositives + falsePositives);
    const recall = truePositives / expected;
    if (process.env.DEBUG_TG) console.log({ precision, recall, replies: fake.sentTo(main.id).map((s) => s.text) });
    expect(precision).toBe(1);
    expect(recall).toBeGreaterThanOrEqual(0.95);

    // One reply per message / media group, naming who received it; every packet delivered exactly once.
    const photoReplies = fake.sentTo(main.id).filter((s) => s.text.startsWith('📸'));
    expect(photoReplies).toHaveLength(4);
    const mediaGroupReply = replies[2]!.text;
    for (const m of ['amy', 'bernadette']) expect(mediaGroupReply).toContain(capitalize(m)); // only in bbt4, the group's second item
    expect(replies.map((r) => r.text).join('\n')).not.toContain('Stuart');
    const ids = finals.map((f) => f.packet.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(finals.every((f) => f.outcome.kind === 'delivered')).toBe(true);
    expect(finals.filter((f) => f.packet.group === `tg:${main.id}`)).toHaveLength(truePositives);
  });

  it('[2] refuses a no-face selfie, asks which face of a two-face selfie and refuses a face registered by another member; /forget stops photos at once, then deletes the album on confirmation', async () => {
    const chat: TgChat = { id: -100202, type: 'supergroup', title: 'refusals' };
    const [nobody, crowd, penny, impostor, sheldon] = [2001, 2002, 2003, 2004, 2005].map(
      (id, i) => ({ id, is_bot: false, first_name: ['Blank', 'Crowd', 'Penny', 'Impostor', 'Sheldon'][i]!, username: `${['blank', 'crowd', 'penny', 'impostor', 'sheldon'][i]!}_b` }) satisfies TgUser,
    ) as [TgUser, TgUser, TgUser, TgUser, TgUser];
    for (const u of [nobody, crowd, penny, impostor, sheldon]) fake.openedBy.add(u.id);
    const gradient = new Uint8Array(
      await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
        .composite([{ input: Buffer.from('<svg width="200" height="200"><defs><linearGradient id="g"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient></defs><rect width="200" height="200" fill="url(#g)"/></svg>') }])
        .png()
        .toBuffer(),
    );
    const noFace = fake.pushMessage(chat, nobody, { caption: '/register', photo: { original: gradient } });
    const twoFaces = fake.pushMessage(chat, crowd, { caption: '/register', photo: { original: read(demoSamples[0]!) } });
    expect((await fake.waitFor(replyTo(chat.id, noFace.message_id), 'no-face reply')).text).toMatch(/No face was found/);
    void twoFaces;
    expect((await fake.waitFor(() => fake.sentPhotos.find((p) => p.chatId === crowd.id), 'the numbered faces')).caption).toMatch(/shows \d+ faces/);

    const pennyReg = fake.pushMessage(chat, penny, { caption: '/register', photo: { original: read(bbt.selfies.penny![0]!) } });
    expect((await fake.waitFor(replyTo(chat.id, pennyReg.message_id), 'penny registered')).text).toContain('Penny joined');
    const stolen = fake.pushMessage(chat, impostor, { caption: '/register', photo: { original: read(bbt.selfies.penny![1]!) } });
    expect((await fake.waitFor(replyTo(chat.id, stolen.message_id), 'impostor refused')).text).toMatch(/already registered to Penny/);
    const sheldonReg = fake.pushMessage(chat, sheldon, { caption: '/register', photo: { original: read(bbt.selfies.sheldon![0]!) } });
    expect((await fake.waitFor(replyTo(chat.id, sheldonReg.message_id), 'sheldon registered')).text).toContain('Sheldon joined');
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.name).sort()).toEqual(['Penny', 'Sheldon']);

    // Before /forget, bbt5 reaches penny.
    const bbt5 = read(photoPath('bbt5.jpg'));
    const before = fake.pushMessage(chat, sheldon, { photo: { original: bbt5 } });
    expect((await fake.waitFor(replyTo(chat.id, before.message_id), 'bbt5 reply', 60_000)).text).toContain('Penny');
    const pennyToken = (await albumToken(penny.id))!;
    expect(await albumShas(pennyToken)).toEqual([sha256(bbt5)]);

    // /forget: face data gone at once; the reply asks about the album with buttons.
    const forget = fake.pushMessage(chat, penny, { text: '/forget' });
    const asked = await fake.waitFor(replyTo(chat.id, forget.message_id), '/forget reply');
    expect(asked.text).toMatch(/face data is deleted/);
    const buttons = (asked.params.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard.flat();
    expect((await members.list(`tg:${chat.id}`)).map((c) => c.name)).toEqual(['Sheldon']);

    const bbt3 = read(photoPath('bbt3.jpg'));
    const after = fake.pushMessage(chat, sheldon, { photo: { original: bbt3 } });
    const afterReply = await fake.waitFor(replyTo(chat.id, after.message_id), 'bbt3 reply', 60_000);
    expect(afterReply.text).toContain('Sheldon');
    expect(afterReply.text).not.toContain('Penny');
    await bot.idle();
    expect(await albumShas(pennyToken)).toEqual([sha256(bbt5)]);

    // Only penny may press her button; then the album is deleted.
    const deleteData = buttons.find((b) => b.callback_data.startsWith('forget-album:'))!.callback_data;
    const sentForget = { message_id: asked.messageId, date: 0, chat, text: asked.text };
    const wrongPress = fake.pushCallback(sheldon, sentForget, deleteData);
    await fake.waitFor(() => fake.ok('answerCallbackQuery').find((c) => c.params.callback_query_id === wrongPress), 'answer to the wrong press');
    expect(await albumShas(pennyToken)).toBeDefined();
    fake.pushCallback(penny, sentForget, deleteData);
    const edited = await fake.waitFor(() => fake.ok('editMessageText').find((c) => Number(c.params.message_id) === asked.messageId), 'the edited /forget message');
    expect(String(edited.params.text)).toMatch(/album and every photo in it are deleted/);
    expect(await albumShas(pennyToken)).toBeUndefined();
  });

  it('[3] waits out a 429 (retry_after) and retries a 502 on getFile, the download and sendMessage: the photo arrives once, one reply', async () => {
    const chat: TgChat = { id: -100303, type: 'supergroup', title: 'flaky' };
    const leonard: TgUser = { id: 3001, is_bot: false, first_name: 'Leonard', username: 'leonard' };
    const sheldon: TgUser = { id: 3002, is_bot: false, first_name: 'Sheldon', username: 'sheldon' };
    for (const u of [leonard, sheldon]) fake.openedBy.add(u.id);
    for (const u of [leonard, sheldon]) {
      const reg = fake.pushMessage(chat, u, { caption: '/register', photo: { original: read(bbt.selfies[u.username!]![0]!) } });
      expect((await fake.waitFor(replyTo(chat.id, reg.message_id), 'registration', 60_000)).text).toContain('joined');
    }
    await bot.idle();
    const finalsBefore = finals.length;

    const bbt2 = read(photoPath('bbt2.jpg'));
    const message = fake.buildMessage(chat, sheldon, { photo: { original: bbt2, thumbnails: await thumbnails(bbt2) } });
    const largest = (message.photo as Array<{ file_id: string }>).at(-1)!.file_id;
    fake.fail('getFile', { status: 429, retryAfter: 1 });
    fake.fail('getFile', { status: 502 });
    fake.failDownload(largest, 502);
    fake.fail('sendMessage', { status: 429, retryAfter: 1 });
    fake.fail('sendMessage', { status: 502 });
    const sinceCall = fake.calls.length;
    fake.pushUpdate({ message });

    const reply = await fake.waitFor(replyTo(chat.id, message.message_id), 'the reply after the failures', 60_000);
    expect(reply.text).toMatch(/Sent to (Leonard and Sheldon|Sheldon and Leonard)/);
    await bot.idle();
    const calls = fake.calls.slice(sinceCall);
    const getFiles = calls.filter((c) => c.method === 'getFile');
    expect(getFiles.map((c) => c.status)).toEqual([429, 502, 200, 200]); // the last two: download failed once, so getFile again
    expect(getFiles[1]!.at - getFiles[0]!.at).toBeGreaterThanOrEqual(950); // retry_after: 1 was waited out
    expect(getFiles.every((c) => c.params.file_id === largest)).toBe(true); // never a thumbnail
    const sends = calls.filter((c) => c.method === 'sendMessage' && Number(c.params.chat_id) === chat.id);
    expect(sends.map((c) => c.status)).toEqual([429, 502, 200]);
    expect(sends[1]!.at - sends[0]!.at).toBeGreaterThanOrEqual(950);
    expect(fake.sentTo(chat.id).filter((s) => s.replyTo === message.message_id)).toHaveLength(1);

    // Each of the two members got it exactly once, byte for byte.
    const delivered = finals.slice(finalsBefore);
    expect(delivered.map((f) => f.outcome.kind)).toEqual(['delivered', 'delivered']);
    for (const u of [leonard, sheldon]) expect(await albumShas((await albumToken(u.id))!)).toEqual([sha256(bbt2)]);
  });

  it('[3] a photo whose download still fails when the bot stops is fetched and shared after the restart, once', async () => {
    const chat: TgChat = { id: -100303, type: 'supergroup', title: 'flaky' }; // leonard and sheldon are registered here ([3] above)
    const finalsBefore = finals.length;
    const bbt1 = read(photoPath('bbt1.jpg'));
    const message = fake.buildMessage(chat, { id: 3003, is_bot: false, first_name: 'Raj' }, { photo: { original: bbt1 } });
    const fileId = (message.photo as Array<{ file_id: string }>).at(-1)!.file_id;
    fake.failDownload(fileId, 502, 1000);
    fake.pushUpdate({ message });
    await fake.waitFor(() => fake.downloads.filter((d) => d.status === 502).length >= 2, 'failing downloads');
    await bot.stop(); // the update is acknowledged, the photo not yet fetched: it waits in the bot's inbox
    expect(fake.sentTo(chat.id).filter((s) => s.replyTo === message.message_id)).toEqual([]);

    fake.clearFailures();
    bot = await startTelegramBot(botOptions);
    const reply = await fake.waitFor(replyTo(chat.id, message.message_id), 'the reply after the restart', 60_000);
    expect(reply.text).toMatch(/Leonard/);
    await bot.idle();
    expect(fake.sentTo(chat.id).filter((s) => s.replyTo === message.message_id)).toHaveLength(1);
    const delivered = finals.slice(finalsBefore);
    expect(delivered.map((f) => f.outcome.kind)).toEqual(['delivered', 'delivered']);
    for (const id of [3001, 3002]) expect(await albumShas((await albumToken(id))!)).toContain(sha256(bbt1));
  });

  it('[4] /album sends the link only in a private chat, never in the group; 403 makes the group reply say to open the bot', async () => {
    const raj = user('raj');
    const inGroup = fake.pushMessage(main, raj, { text: '/album' });
    const told = await fake.waitFor(replyTo(main.id, inGroup.message_id), 'the /album reply for a user who never opened the bot');
    expect(told.text).toContain(`https://t.me/${BOT_USERNAME}?start=album`);
    expect(fake.sentTo(raj.id)).toEqual([]); // every attempt got 403

    // Raj opens the bot (the link's /start album) and gets the link there.
    fake.openedBy.add(raj.id);
    const privateChat: TgChat = { id: raj.id, type: 'private' };
    const start = fake.pushMessage(privateChat, raj, { text: '/start album' });
    const link = await fake.waitFor(replyTo(raj.id, start.message_id), 'the private album link');
    const token = (await albumToken(raj.id))!;
    expect(link.text).toContain(`${album.url}/a/${token}`);
    expect(await albumShas(token)).toBeDefined();

    // /album in the group now: the link goes privately, the group hears only that it was sent.
    const again = fake.pushMessage(main, raj, { text: '/album' });
    expect((await fake.waitFor(replyTo(main.id, again.message_id), 'the second /album reply')).text).toMatch(/sent you your album link in a private message/);
    expect(fake.sentTo(raj.id).at(-1)?.text).toContain(`/a/${token}`);

    // No group message, ever, holds an album link or token.
    const tokens = await allTokens();
    expect(tokens.length).toBeGreaterThanOrEqual(10);
    const groupTexts = fake
      .ok('sendMessage')
      .concat(fake.ok('editMessageText'))
      .filter((c) => Number(c.params.chat_id) < 0)
      .map((c) => String(c.params.text));
    expect(groupTexts.length).toBeGreaterThan(20);
    for (const text of groupTexts) {
      expect(text).not.toContain('/a/');
      for (const t of tokens) expect(text).not.toContain(t);
    }
  });

  it('offers the profile photo to a member who sends /register without a selfie, and registers with it', async () => {
    const family: TgChat = { id: -100909, type: 'supergroup', title: 'Family' };
    const withPhoto: TgUser = { id: 3903, is_bot: false, first_name: 'Pia', username: 'pia' };
    const without: TgUser = { id: 3904, is_bot: false, first_name: 'Noor' };
    fake.setProfilePhoto(withPhoto.id, read(bbt.selfies.penny![1]!));
    fake.openedBy.add(withPhoto.id);

    const ask = await registerPrivately(family, withPhoto, '/register');
    expect(fake.sentTo(withPhoto.id).at(-1)!.text).toMatch(/\/register profile/);
    fake.openedBy.add(without.id);
    await registerPrivately(family, without, '/register').catch(() => undefined);
    fake.pushMessage({ id: without.id, type: 'private' }, without, { text: '/register profile' });
    await fake.waitFor(() => fake.sentTo(without.id).find((m) => /cannot see a profile photo/.test(m.text)), 'the no-profile-photo reply');

    fake.pushMessage({ id: withPhoto.id, type: 'private' }, withPhoto, { text: '/register profile' });
    expect((await fake.waitFor(() => fake.sentTo(family.id).find((m) => m.replyTo === ask.message_id && /joined/.test(m.text)), 'the registration reply')).text).toMatch(/Pia joined/);
    expect((await members.list(`tg:${family.id}`)).map((c) => c.id)).toEqual([`tg:${withPhoto.id}`]);
    // Penny's face, posted in this group, now reaches Pia's album (it is her profile photo's face).
    const photo = fake.pushMessage(family, without, { photo: { original: read(photoPath('bbt5.jpg')) } });
    await fake.waitFor(replyTo(family.id, photo.message_id), 'the delivery reply');
    const token = await albumToken(withPhoto.id);
    expect(await albumShas(token!)).toEqual([sha256(read(photoPath('bbt5.jpg')))]);
  });

  it('refuses an album address typed in the chat that leads to loopback, a private network or cloud metadata; the listener receives nothing', async () => {
    // A listener on a loopback port that is not the built-in album (PUBLIC_URL).
    const listener = await connectionCounter();
    const port = listener.port;
    try {
      const intruder: TgUser = { id: 4001, is_bot: false, first_name: 'Mallory', username: 'mallory' };
      const selfie = read(bbt.selfies.stuart![1]!);
      for (const url of [`http://127.0.0.1:${port}`, 'http://10.0.0.1', 'http://169.254.169.254', 'http://[::1]', `http://localhost:${port}`]) {
        const sent = fake.pushMessage(main, intruder, { caption: `/register ${url} mallory`, photo: { original: selfie } });
        const reply = await fake.waitFor(replyTo(main.id, sent.message_id), `the answer to /register ${url}`);
        expect(reply.text, url).toMatch(/is not allowed: it leads to (a loopback|a private network|a link-local)/);
      }
      expect(await members.link(`tg:${intruder.id}`)).toBeUndefined();
      expect((await members.list(`tg:${main.id}`)).some((c) => c.id === `tg:${intruder.id}`)).toBe(false);
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('answers a photo in a private chat with how it works and shares it with nobody; an over-20 MB file gets a clear reply', async () => {
    const amy = user('amy');
    const packetsBefore = finals.length;
    const privateChat: TgChat = { id: amy.id, type: 'private' };
    const privatePhoto = fake.pushMessage(privateChat, amy, { photo: { original: read(photoPath('bbt4.jpg')) } });
    expect((await fake.waitFor(replyTo(amy.id, privatePhoto.message_id), 'the private photo answer')).text).toMatch(/goes to nobody/);

    const huge = fake.pushMessage(main, amy, { document: { bytes: read(photoPath('bbt4.jpg')), fileName: 'huge.jpg', mimeType: 'image/jpeg', declaredSize: 25 * 1024 * 1024 } });
    expect((await fake.waitFor(replyTo(main.id, huge.message_id), 'the too-big reply')).text).toMatch(/over 20 MB/);
    await bot.idle();
    const fileIds = [privatePhoto, huge].flatMap((m) => ('photo' in m ? (m.photo as Array<{ file_id: string }>) : [m.document as { file_id: string }]).map((f) => f.file_id));
    expect(fake.calls.filter((c) => c.method === 'getFile' && fileIds.includes(String(c.params.file_id)))).toEqual([]);
    expect(finals.length).toBe(packetsBefore);
  });

  it('never logs the bot token or an album token', async () => {
    const tokens = await allTokens();
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(line).not.toContain(fake.token);
      expect(line).not.toContain(fake.token.split(':')[1]!);
      for (const t of tokens) expect(line).not.toContain(t);
    }
  });
});
