// The consent-first private registration a Telegram member goes through, on the fake Bot API.
import type { FakeTelegramApi, TgChat, TgUser } from '../fakes/telegram-api.ts';

export const privateChat = (u: TgUser): TgChat => ({ id: u.id, type: 'private' });

/** A message to `chatId` matching `pattern`, sent after the first `seen` ones. */
export const newTo = (fake: FakeTelegramApi, chatId: number, seen: number, pattern: RegExp) => () => fake.sentTo(chatId).slice(seen).find((m) => pattern.test(m.text));

const buttons = (params: Record<string, unknown>) =>
  ((typeof params.reply_markup === 'string' ? JSON.parse(params.reply_markup) : params.reply_markup) as { inline_keyboard: Array<Array<{ callback_data?: string; url?: string }>> }).inline_keyboard.flat();

/** `/register` in the group, the deep link, consent, the selfie; returns the album token the bot sent in private. */
export async function registerPrivately(fake: FakeTelegramApi, chat: TgChat, u: TgUser, selfie: Uint8Array): Promise<string> {
  const command = fake.pushMessage(chat, u, { text: '/register' });
  const answer = await fake.waitFor(() => fake.sentTo(chat.id).find((m) => m.replyTo === command.message_id), 'the /register answer');
  const payload = new URL(buttons(answer.params).find((b) => b.url)!.url!).searchParams.get('start')!;
  fake.openedBy.add(u.id);
  let seen = fake.sentTo(u.id).length;
  fake.pushMessage(privateChat(u), u, { text: `/start ${payload}` });
  const consent = await fake.waitFor(newTo(fake, u.id, seen, /^Before I learn/), 'the consent question');
  seen = fake.sentTo(u.id).length;
  fake.pushCallback(u, { message_id: consent.messageId, date: 0, chat: privateChat(u), text: consent.text }, buttons(consent.params).find((b) => b.callback_data?.startsWith('consent:'))!.callback_data!);
  await fake.waitFor(newTo(fake, u.id, seen, /Now send me/), 'the selfie prompt');
  seen = fake.sentTo(u.id).length;
  fake.pushMessage(privateChat(u), u, { photo: { original: selfie } });
  const withLink = await fake.waitFor(newTo(fake, u.id, seen, /\/a\/[A-Za-z0-9_-]{32}/), 'the album link in private', 60_000);
  return /\/a\/([A-Za-z0-9_-]{32})/.exec(withLink.text)![1]!;
}
