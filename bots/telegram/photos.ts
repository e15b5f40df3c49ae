// Photos in chat messages: which file is the picture, collecting media groups, and the one group reply.
import { ImageError } from '../../core/faces/index.ts';
import { en } from '../shared/i18n/en.ts';
import type { Delivery } from '../../core/share/index.ts';
import type { Message } from 'telegraf/types';
import { FileTooBigError } from './api.ts';
import { groupKey, sendText, type BotContext } from './context.ts';

export interface ImageRef {
  fileId: string;
  fileUniqueId: string;
  size: number | undefined;
  filename: string;
}

/**
 * The picture in a message: the largest PhotoSize (the others are Telegram's thumbnails), or a document
 * whose mime type is image/* (sent "as file": the original bytes). Undefined for anything else.
 */
export function pickImage(message: Message): ImageRef | undefined {
  if ('photo' in message && message.photo.length > 0) {
    // Telegram lists sizes smallest first, but pick by area so a reordering cannot hand us a thumbnail.
    const largest = message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    return { fileId: largest.file_id, fileUniqueId: largest.file_unique_id, size: largest.file_size, filename: `telegram-${largest.file_unique_id}.jpg` };
  }
  if ('document' in message && message.document.mime_type?.startsWith('image/')) {
    const d = message.document;
    return { fileId: d.file_id, fileUniqueId: d.file_unique_id, size: d.file_size, filename: d.file_name ?? `telegram-${d.file_unique_id}` };
  }
  return undefined;
}

/** What happened to the photos of one message (or one media group). */
export interface ShareSummary {
  deliveries: Delivery[];
  tooBig: number;
  /** Photos that could not be fetched from Telegram even after retries. */
  failedDownloads: number;
}

/**
 * The group reply: who received the photo(s), by display name. Undefined when there is nothing to say
 * (nobody matched), because a silent bot is better than one that answers every photo.
 */
export function shareReplyText(summary: ShareSummary): string | undefined {
  const byKind = (kinds: Delivery['outcome']['kind'][]) =>
    unique(summary.deliveries.filter((d) => kinds.includes(d.outcome.kind)).map((d) => d.name));
  const received = byKind(['delivered', 'duplicate']);
  const pending = byKind(['queued']).filter((n) => !received.includes(n));
  // A delivery no attempt has failed yet is on its way (in server mode, often sent by another replica right
  // now); only a failed attempt says the album is not answering.
  const failing = unique(summary.deliveries.filter((d) => d.outcome.kind === 'queued' && d.outcome.attempts > 0).map((d) => d.name)).filter((n) => pending.includes(n));
  const underWay = pending.filter((n) => !failing.includes(n));
  const refused = byKind(['refused']).filter((n) => !received.includes(n) && !pending.includes(n));
  const lines: string[] = [];
  if (received.length > 0) lines.push(`📸 Sent to ${joinNames(received)}.`);
  if (underWay.length > 0) lines.push(`⏳ On its way to ${joinNames(underWay)}.`);
  if (failing.length > 0) lines.push(`⏳ On its way to ${joinNames(failing)}: their album server is not answering right now, I keep trying.`);
  if (refused.length > 0) lines.push(`${joinNames(refused)}'s album did not accept it.`);
  if (summary.tooBig > 0) lines.push(tooBigText);
  if (summary.failedDownloads > 0) lines.push('I could not fetch that photo from Telegram. Please send it again.');
  return lines.length > 0 ? lines.join('\n') : undefined;
}

export const tooBigText =
  'That file is over 20 MB, the most Telegram lets a bot download. Send it as a photo (not as a file), or a smaller file.';

const unique = (names: string[]) => [...new Set(names)];

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

/**
 * Shares the photos of one message or media group with the group's members, then answers once:
 * a reply naming who received them (or a reaction when group replies are off), nothing when nobody matched.
 * `once(key)` is true the first time a key is asked, across runs of the job.
 */
export async function sharePhotos(ctx: BotContext, chatId: number, messages: Message[], once: (key: string) => Promise<boolean> = async () => true): Promise<void> {
  const summary: ShareSummary = { deliveries: [], tooBig: 0, failedDownloads: 0 };
  const group = groupKey(chatId);
  // The items of a media group in parallel: the face engine's worker pool bounds the real work.
  await Promise.all(
    messages.map(async (message) => {
      const image = pickImage(message);
      if (!image) return;
      let bytes: Uint8Array;
      try {
        const prefetched = ctx.prefetch?.take(image.fileId);
        // The prefetch's download is this job's download (same retries, same errors); only one dropped before it
        // started is made again here.
        ({ bytes } = await (prefetched ? prefetched.catch((e: unknown) => (e instanceof PrefetchDropped ? ctx.api.download(image.fileId, image.size) : Promise.reject(e))) : ctx.api.download(image.fileId, image.size)));
      } catch (error) {
        if (error instanceof FileTooBigError) summary.tooBig++;
        else if (error instanceof Error && error.name === 'AbortError') throw error; // shutting down: the job stays in the inbox
        else {
          summary.failedDownloads++;
          ctx.log.error({ chatId, messageId: message.message_id, err: ctx.api.describe(error) }, 'Telegram: photo download failed after retries');
        }
        return;
      }
      try {
        const report = await ctx.terminal.sharer.share(bytes, { group, filename: image.filename });
        summary.deliveries.push(...report.deliveries);
        ctx.log.info(
          { chatId, messageId: message.message_id, faces: report.faces, matched: report.deliveries.length, outcomes: report.deliveries.map((d) => d.outcome.kind) },
          'Telegram: photo shared',
        );
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        ctx.log.warn({ chatId, messageId: message.message_id, err: ctx.api.describe(error) }, 'Telegram: not a readable image');
      }
    }),
  );
  const first = messages[0];
  if (!first) return;
  // A job run again after a crash re-sends its packets (the album answers duplicate) but never answers twice.
  const answered = () => once(`answer:${chatId}:${first.message_id}`);
  if (ctx.config.TELEGRAM_GROUP_REPLIES === 'off') {
    if (summary.deliveries.length > 0 && (await answered())) {
      await ctx.api.call('setMessageReaction', (tg) => tg.setMessageReaction(chatId, first.message_id, [{ type: 'emoji', emoji: '👍' }]));
    }
    return;
  }
  // Members whose selfies predate the current face model are asked once, in this same reply.
  const stale = await ctx.members.takeStaleReminders(group);
  const text = [shareReplyText(summary), stale.length ? en.newSelfieNeeded(stale.map((c) => c.name).join(', ')) : undefined].filter(Boolean).join('\n\n');
  if (text && (await answered())) await sendText(ctx, chatId, text, { replyTo: first.message_id });
}

/**
 * Downloads and analyses a group photo ahead of its turn (issue 24): one chat's jobs run one after another, so 20
 * photos posted at once would be analysed one by one. This starts as soon as the photo is stored, up to the
 * engine's threads at a time; the ordered job then takes the downloaded bytes (`take`: Telegram is asked once) and
 * finds the analysis in the engine's cache, and only matches and delivers in order. Order and outcomes are
 * unchanged. The job awaits the prefetched download as its own: its retries, its errors.
 */
/** A prefetch dropped at stop before its download started. */
class PrefetchDropped extends Error {
  constructor() {
    super('prefetch dropped before it started');
    this.name = 'PrefetchDropped';
  }
}

export class AnalysisPrefetch {
  #running = 0;
  readonly #waiting: Array<{ run: () => Promise<void>; cancel: () => void }> = [];
  readonly #downloads = new Map<string, Promise<{ bytes: Uint8Array }>>();
  #stopped = false;

  constructor(
    private readonly ctx: Pick<BotContext, 'api' | 'terminal'>,
    /** Photos waiting or held at most (each up to Telegram's 20 MB). */
    private readonly maxHeld = 32,
  ) {}

  add(message: Message): void {
    const image = pickImage(message);
    if (!image || this.#stopped || this.#downloads.size >= this.maxHeld || this.#downloads.has(image.fileId)) return;
    let settle!: { resolve: (p: Promise<{ bytes: Uint8Array }>) => void; reject: (e: Error) => void };
    const download = new Promise<{ bytes: Uint8Array }>((resolve, reject) => (settle = { resolve, reject }));
    download.catch(() => {});
    this.#downloads.set(image.fileId, download);
    // Bytes nobody took (the job ran first, or never) are let go after a minute.
    const forget = () => setTimeout(() => this.#downloads.get(image.fileId) === download && this.#downloads.delete(image.fileId), 60_000).unref();
    this.#waiting.push({
      run: async () => {
        const fetching = this.ctx.api.download(image.fileId, image.size);
        settle.resolve(fetching);
        try {
          const { bytes } = await fetching;
          if (!this.#stopped) await this.ctx.terminal.engine.analyze(bytes, 'photo');
        } finally {
          forget();
        }
      },
      cancel: () => {
        settle.reject(new PrefetchDropped());
        this.#downloads.delete(image.fileId);
      },
    });
    this.#next();
  }

  /** The prefetched download of this file (once), or undefined when there is none. */
  take(fileId: string): Promise<{ bytes: Uint8Array }> | undefined {
    const download = this.#downloads.get(fileId);
    this.#downloads.delete(fileId);
    return download;
  }

  /** Drops what has not started; a job that took one of those downloads itself. */
  stop(): void {
    this.#stopped = true;
    for (const task of this.#waiting.splice(0)) task.cancel();
  }

  #next(): void {
    while (this.#running < Math.max(1, this.ctx.terminal.engine.threads) && this.#waiting.length > 0) {
      const task = this.#waiting.shift()!;
      this.#running++;
      void task
        .run()
        .catch(() => {})
        .finally(() => {
          this.#running--;
          this.#next();
        });
    }
  }
}
