// Issue 22, must show 2: one membership scenario (register, consent, pick a face, add a dependent, forget)
// driven through the fake Telegram Bot API and the fake Discord gateway and REST, on one terminal, leaves the
// same records on both sides (core/membership is the one flow; the bots only word it).
import fs from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlbumServer } from '../../album/server.ts';
import type { DiscordBot } from '../../bots/discord/bot.ts';
import type { TelegramBot } from '../../bots/telegram/bot.ts';
import type { Members } from '../../core/members.ts';
import type { Terminal } from '../../core/terminal.ts';
import { bothBots } from './harness.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { type FakeDiscord, type FakeFile } from '../fakes/discord-fake.ts';
import type { FakeUser } from '../fakes/discord-payloads.ts';
import { type FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture, waitFor } from '../helpers.ts';

const read = (p: string) => new Uint8Array(fs.readFileSync(p));

describe('the same membership scenario through both bots gives the same records', () => {
  const bbt: Fixture = loadPlumbingFixture();
  const bots = bothBots('facedrop-crossbot-', ['family']);
  let album: AlbumServer;
  let terminal: Terminal;
  let members: Members;
  let tg: FakeTelegramApi;
  let dc: FakeDiscord;
  let telegram: TelegramBot;
  let discord: DiscordBot;
  let pair: Uint8Array;
  const child = () => read(bbt.selfies.howard![0]!);

  beforeAll(async () => {
    ({ album, terminal, members, tg, dc, telegram, discord } = bots);
    // Raj's selfie with Amy beside him: the face picker's case.
    const [left, right] = await Promise.all(['raj', 'amy'].map((m) => sharp(read(bbt.selfies[m]![0]!)).resize({ width: 400, height: 400, fit: 'cover' }).jpeg().toBuffer()));
    pair = new Uint8Array(
      await sharp({ create: { width: 800, height: 400, channels: 3, background: '#777777' } })
        .composite([
          { input: left!, left: 0, top: 0 },
          { input: right!, left: 400, top: 0 },
        ])
        .jpeg()
        .toBuffer(),
    );
  });

  /** What the records hold of one member in one group, without the platform's ids. */
  async function records(group: string, userKey: string) {
    const contacts = (await terminal.contacts.list(group)).map((c) => ({
      who: c.id === userKey ? 'member' : c.id.includes(':dep:') ? 'dependent' : 'other',
      name: c.name,
      descriptors: c.descriptors,
      minor: c.minor ?? false,
      approved: c.approved !== false,
      guardians: c.guardians?.length ?? 0,
    }));
    const consents = (await terminal.records.consents.history(userKey))
      .filter((c) => c.group === group)
      .map((c) => ({ subject: c.subjectKey === userKey ? 'member' : 'dependent', textVersion: c.textVersion, withdrawn: c.withdrawnReason ?? null }))
      .sort((a, b) => a.subject.localeCompare(b.subject));
    const pending = await terminal.records.consents.latestRegistration(userKey, ['link', 'consent', 'selfie', 'pick'], Date.now());
    const link = await members.link(userKey);
    const references = link?.token ? ((await (await fetch(`${album.url}/api/albums/${link.token}/faces`)).json()) as { references: unknown[] }).references.length : -1;
    return { contacts, consents, pending: pending?.state ?? null, dependents: (await terminal.records.consents.guardianOf(userKey)).length, albumReferences: references };
  }

  async function throughTelegram(): Promise<{ group: string; userKey: string; afterJoin: unknown }> {
    const chat: TgChat = { id: -229001, type: 'supergroup', title: 'family' };
    const raj: TgUser = { id: 229001, is_bot: false, first_name: 'Raj', username: 'raj' };
    const me: TgChat = { id: raj.id, type: 'private' };
    tg.openedBy.add(raj.id);
    const buttons = (params: Record<string, unknown>) =>
      ((typeof params.reply_markup === 'string' ? JSON.parse(params.reply_markup) : params.reply_markup) as { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> }).inline_keyboard.flat();
    const register = async (args: string, picture: Uint8Array, pick?: number) => {
      const seenGroup = tg.sentTo(chat.id).length;
      const command = tg.pushMessage(chat, raj, { text: `/register${args ? ` ${args}` : ''}` });
      const answer = await tg.waitFor(() => tg.sentTo(chat.id).find((m) => m.replyTo === command.message_id), 'the deep link');
      const seen = tg.sentTo(raj.id).length;
      tg.pushMessage(me, raj, { text: `/start ${new URL(buttons(answer.params).find((b) => b.url)!.url!).searchParams.get('start')}` });
      const consent = await tg.waitFor(() => tg.sentTo(raj.id).slice(seen).find((m) => m.params.reply_markup && buttons(m.params).some((b) => b.callback_data?.startsWith('consent:'))), 'consent');
      tg.pushCallback(raj, { message_id: consent.messageId, date: 0, chat: me }, buttons(consent.params).find((b) => b.callback_data?.startsWith('consent:'))!.callback_data!);
      await tg.waitFor(() => tg.sentTo(raj.id).slice(seen).some((m) => /send me/.test(m.text)), 'the photo prompt');
      const photos = tg.sentPhotos.length;
      tg.pushMessage(me, raj, { photo: { original: picture } });
      if (pick !== undefined) {
        const preview = await tg.waitFor(() => tg.sentPhotos.slice(photos).find((p) => p.chatId === raj.id), 'the numbered faces', 60_000);
        const numbers = (preview.keyboard as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard.flat();
        tg.pushCallback(raj, { message_id: preview.messageId, date: 0, chat: me }, numbers[pick - 1]!.callback_data);
      }
      await tg.waitFor(() => tg.sentTo(chat.id).slice(seenGroup).find((m) => /joined/.test(m.text)), 'joined', 60_000);
    };
    await register('', pair, 1);
    await register('child Howie', child());
    const group = `tg:${chat.id}`;
    const userKey = `tg:${raj.id}`;
    await telegram.idle();
    const afterJoin = await records(group, userKey);
    const seen = tg.sentTo(chat.id).length;
    tg.pushMessage(chat, raj, { text: '/forget' });
    await tg.waitFor(() => tg.sentTo(chat.id).slice(seen).find((m) => /face data is deleted/.test(m.text)), 'forgotten');
    await telegram.idle();
    return { group, userKey, afterJoin };
  }

  async function throughDiscord(): Promise<{ group: string; userKey: string; afterJoin: unknown }> {
    const raj: FakeUser = dc.addUser('raj', 'Raj');
    const run = async (name: string, options: Record<string, string | boolean | FakeFile | FakeUser> = {}) => {
      const interaction = dc.command('family', raj, name, options);
      return waitFor(`/${name}`, () => {
        const s = dc.answer(interaction);
        return s.edits.length > 0 && !/^Before I learn/.test(s.original?.content ?? '') && s;
      });
    };
    const picker = await run('register', { selfie: { name: 'pair.jpg', bytes: pair, contentType: 'image/jpeg' } });
    const numbers = (picker.edits.at(-1) as { components: Array<{ components: Array<{ custom_id: string }> }> }).components.flatMap((r) => r.components);
    dc.press(raj, picker, numbers[0]!.custom_id);
    await waitFor('registered', () => /registered here/.test(picker.original?.content ?? ''));
    expect((await run('register', { selfie: { name: 'howie.jpg', bytes: child(), contentType: 'image/jpeg' }, child: 'Howie' })).original?.content).toMatch(/Howie is registered/);
    const group = `dc:${dc.channels.family!.id}`;
    const userKey = `dc:${raj.id}`;
    await discord.idle();
    const afterJoin = await records(group, userKey);
    expect((await run('forget')).original?.content).toMatch(/face data is removed/);
    await discord.idle();
    return { group, userKey, afterJoin };
  }

  it('register with a two-face selfie (pick 1), add a dependent, forget: the records match, face for face', async () => {
    const t = await throughTelegram();
    const d = await throughDiscord();
    const joined = t.afterJoin as Awaited<ReturnType<typeof records>>;
    // The scenario did what it says, on each side.
    expect(joined.contacts.map((c) => [c.who, c.name, c.descriptors.length, c.minor])).toEqual([
      ['member', 'Raj', 1, false],
      ['dependent', 'Howie', 1, true],
    ]);
    expect(joined.consents.map((c) => [c.subject, c.withdrawn])).toEqual([
      ['dependent', null],
      ['member', null],
    ]);
    expect(joined.pending).toBeNull();
    expect(joined.dependents).toBe(1);
    expect(joined.albumReferences).toBe(2);
    // The same records through Discord, the same faces (the same picked face of the same picture).
    expect(d.afterJoin).toEqual(t.afterJoin);

    const tAfter = await records(t.group, t.userKey);
    const dAfter = await records(d.group, d.userKey);
    expect(tAfter.contacts.map((c) => c.who)).toEqual(['dependent']);
    expect(tAfter.consents.map((c) => [c.subject, c.withdrawn])).toEqual([
      ['dependent', null],
      ['member', 'forget'],
    ]);
    expect(dAfter).toEqual(tAfter);
  });
});
