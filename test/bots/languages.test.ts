// Issue 22, must show 3: a Telegram member whose client says zh-hans, and a Discord member whose client says
// zh-CN, get every reply of the membership flow in Chinese; the same flow in English for the others.
import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TelegramBot } from '../../bots/telegram/bot.ts';
import { bothBots } from './harness.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { type FakeDiscord, type FakeFile } from '../fakes/discord-fake.ts';
import type { FakeUser } from '../fakes/discord-payloads.ts';
import { type FakeTelegramApi, type TgChat, type TgUser } from '../fakes/telegram-api.ts';
import { loadPlumbingFixture, waitFor } from '../helpers.ts';

const CJK = /[\u4e00-\u9fff]/;
/** An English sentence left over: common English words the catalogue's sentences all use. */
const ENGLISH = /\b(the|you|your|is|are|to)\b/i;
const read = (p: string) => new Uint8Array(fs.readFileSync(p));

describe('members are answered in their client language (zh: Simplified Chinese)', () => {
  const bbt: Fixture = loadPlumbingFixture();
  const bots = bothBots('facedrop-lang-', ['photos']);
  let tg: FakeTelegramApi;
  let dc: FakeDiscord;
  let telegram: TelegramBot;
  beforeAll(() => {
    ({ tg, dc, telegram } = bots);
  });

  it('Telegram, language_code zh-hans: the group answer, consent, prompts, welcome, /privacy, /help, /album, /notify, /forget, all in Chinese', async () => {
    const chat: TgChat = { id: -220001, type: 'supergroup', title: '家庭' };
    const li: TgUser = { id: 22001, is_bot: false, first_name: 'Li', username: 'li', language_code: 'zh-hans' };
    const me: TgChat = { id: li.id, type: 'private' };
    const buttons = (params: Record<string, unknown>) =>
      ((typeof params.reply_markup === 'string' ? JSON.parse(params.reply_markup) : params.reply_markup) as { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> }).inline_keyboard.flat();

    const command = tg.pushMessage(chat, li, { text: '/register' });
    const answer = await tg.waitFor(() => tg.sentTo(chat.id).find((m) => m.replyTo === command.message_id), 'the group answer');
    const link = buttons(answer.params).find((b) => b.url)!;
    tg.openedBy.add(li.id);
    tg.pushMessage(me, li, { text: `/start ${new URL(link.url!).searchParams.get('start')}` });
    const consent = await tg.waitFor(() => tg.sentTo(li.id).find((m) => buttons(m.params).some((b) => b.callback_data?.startsWith('consent:'))), 'the consent question');
    tg.pushCallback(li, { message_id: consent.messageId, date: 0, chat: me, text: consent.text }, buttons(consent.params).find((b) => b.callback_data?.startsWith('consent:'))!.callback_data!);
    await tg.waitFor(() => tg.sentTo(li.id).length >= 2, 'the selfie prompt');
    tg.pushMessage(me, li, { photo: { original: read(bbt.selfies.raj![0]!) } });
    const joined = await tg.waitFor(() => tg.sentTo(chat.id).find((m) => m.replyTo === command.message_id && m !== answer), 'the group "joined"', 60_000);
    for (const text of ['/privacy', '/help', '/album', '/notify off', '/forget']) {
      const seen = tg.sentTo(li.id).length;
      tg.pushMessage(me, li, { text });
      await tg.waitFor(() => tg.sentTo(li.id).length > seen, `the answer to ${text}`);
    }
    await telegram.idle();

    const said = [answer, joined, ...tg.sentTo(li.id)].map((m) => m.text);
    const labels = [...[answer, ...tg.sentTo(li.id)].flatMap((m) => (m.params.reply_markup ? buttons(m.params).map((b) => b.text) : []))];
    const toasts = tg.calls.filter((c) => c.method === 'answerCallbackQuery' && c.params.text).map((c) => String(c.params.text));
    expect(said.length).toBeGreaterThanOrEqual(9);
    expect(labels).toContain('我同意');
    for (const text of [...said, ...labels, ...toasts]) {
      expect(text, text).toMatch(CJK);
      expect(text, text).not.toMatch(ENGLISH);
    }
  });

  it('Discord, locale zh-CN: consent, the registration, /privacy, /help, /album, /members, /notify, /forget, all in Chinese; an en-US member still in English', async () => {
    const wei: FakeUser = dc.addUser('wei', 'Wei');
    dc.locales.set(wei.id, 'zh-CN');
    const run = async (by: FakeUser, name: string, options: Record<string, string | boolean | FakeFile | FakeUser> = {}) => {
      const interaction = dc.command('photos', by, name, options);
      const state = await waitFor(`/${name}`, () => {
        const s = dc.answer(interaction);
        return s.edits.length > 0 && !/^在我为|^Before I learn/.test(s.original?.content ?? '') && s;
      });
      return { state, content: state.original?.content ?? '' };
    };
    const answers: string[] = [];
    const registered = await run(wei, 'register', { selfie: { name: 'wei.jpg', bytes: read(bbt.selfies.amy![0]!), contentType: 'image/jpeg' } });
    const consent = registered.state.edits[0] as { content?: string; components?: Array<{ components: Array<{ label: string }> }> };
    expect(consent.components![0]!.components[0]!.label).toBe('我同意');
    answers.push(consent.content!, registered.content);
    for (const name of ['privacy', 'help', 'album', 'members', 'notify', 'forget']) answers.push((await run(wei, name)).content);
    for (const text of answers) {
      expect(text, text).toMatch(CJK);
      expect(text, text).not.toMatch(ENGLISH);
    }
    const bob = dc.addUser('bob', 'Bob');
    expect((await run(bob, 'album')).content).toMatch(/^You have no album yet/);
  });
});
