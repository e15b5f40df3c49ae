// Photos posted in a channel: each message with images becomes a durable job (bots/shared/inbox.ts); the
// job fetches every image attachment (original bytes) and shares it through core with the channel's
// group; one quiet reply names who received it, none when nobody matched.
import { escapeMarkdown, MessageFlags, type Attachment, type Client, type Message } from 'discord.js';
import { ImageError } from '../../core/faces/index.ts';
import { en } from '../shared/i18n/en.ts';
import { groupOfChannel, type BotContext } from './context.ts';
import { downloadAttachment } from './download.ts';
import { rememberChannelName } from './notices.ts';

// The formats the face engine decodes (core/faces/decode.ts).
const IMAGE_NAME = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

export function isImageAttachment(attachment: Pick<Attachment, 'contentType' | 'name'>): boolean {
  return (attachment.contentType?.toLowerCase().startsWith('image/') ?? false) || IMAGE_NAME.test(attachment.name);
}

/** What a message's job keeps: enough to fetch its images and answer it after a restart. */
export interface MessageJob {
  messageId: string;
  channelId: string;
  group: string;
  attachments: Array<{ id: string; url: string; name: string; size: number }>;
}

/** Called for every MESSAGE_CREATE: stores the message's job and returns at once. */
export function onMessage(message: Message, ctx: BotContext): void {
  if (!message.inGuild() || message.author.id === message.client.user.id) return;
  const images = [...message.attachments.values()].filter(isImageAttachment);
  if (images.length === 0) return;
  // A resumed gateway session may replay a dispatch: one message is shared and answered once.
  if (!ctx.firstTime(`message:${message.id}`)) return;
  const job: MessageJob = {
    messageId: message.id,
    channelId: message.channelId,
    group: groupOfChannel(message.channel, message.channelId, ctx.groupScope),
    attachments: images.map((a) => ({ id: a.id, url: a.url, name: a.name, size: a.size })),
  };
  ctx.track(ctx.inbox.put(`message:${message.id}`, 'share', job));
}

/** Shares each image of one message, then acknowledges the message once. One bad image never stops the rest. */
export async function shareMessagePhotos(job: MessageJob, ctx: BotContext, client: Client): Promise<void> {
  const { group } = job;
  await rememberChannelName(ctx.terminal, client, group, job.channelId);
  const recipients = new Map<string, string>();
  for (const image of job.attachments) {
    const where = { messageId: job.messageId, channelId: job.channelId, attachmentId: image.id };
    if (image.size > ctx.maxBytes) {
      ctx.log.info({ ...where, size: image.size }, 'Discord photo skipped: larger than MAX_UPLOAD_BYTES');
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await downloadAttachment(image.url, { maxBytes: ctx.maxBytes });
    } catch (error) {
      ctx.log.warn({ ...where, err: ctx.describe(error) }, 'Discord photo could not be fetched');
      continue;
    }
    try {
      const report = await ctx.sharer.share(bytes, { group, filename: image.name });
      for (const d of report.deliveries) if (d.outcome.kind !== 'refused') recipients.set(d.memberId, d.name);
      ctx.log.info(
        { ...where, faces: report.faces, delivered: report.deliveries.map((d) => d.outcome.kind) },
        'Discord photo shared',
      );
    } catch (error) {
      if (error instanceof ImageError) ctx.log.info({ ...where, code: error.code }, 'Discord attachment is not a readable image');
      else ctx.log.error({ ...where, err: ctx.describe(error) }, 'Discord photo could not be shared');
    }
  }
  // Members whose selfies predate the current face model are asked once, in this same reply.
  const stale = await ctx.members.takeStaleReminders(group);
  if (recipients.size === 0 && stale.length === 0) return;
  const names = [...recipients.values()].map((n) => escapeMarkdown(n));
  const lines = [recipients.size ? `📬 Sent to ${joinNames(names)}.` : '', stale.length ? en.newSelfieNeeded(stale.map((c) => escapeMarkdown(c.name)).join(', ')) : ''];
  // A job run again after a crash re-sends its packets (the album answers duplicate) but never answers twice.
  if (!(await ctx.inbox.once(`answer:${job.messageId}`))) return;
  try {
    const channel = client.channels.cache.get(job.channelId) ?? (await client.channels.fetch(job.channelId));
    if (!channel?.isSendable()) throw new Error('the channel cannot be written to');
    await channel.send({
      content: lines.filter(Boolean).join('\n'),
      reply: { messageReference: job.messageId, failIfNotExists: false },
      // Quiet: no ping for the poster, no mention parsed from a display name, no notification.
      allowedMentions: { parse: [], repliedUser: false },
      flags: MessageFlags.SuppressNotifications,
    });
  } catch (error) {
    // The photos are already queued for delivery; a lost acknowledgement must not resend them.
    ctx.log.warn({ messageId: job.messageId, err: ctx.describe(error) }, 'Discord reply could not be posted');
  }
}

export function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
