// Photos in chat messages: which file is the picture, collecting media groups, and the one group reply.
import type { Delivery } from '../../core/share/index.ts';
import type { Message } from 'telegraf/types';

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

/** Collects the items of a media group (Telegram sends each as its own message) until none came for `quietMs`. */
export class MediaGroupCollector {
  readonly #open = new Map<string, { messages: Message[]; timer: NodeJS.Timeout }>();

  constructor(
    private readonly quietMs: number,
    private readonly onComplete: (key: string, messages: Message[]) => void,
  ) {}

  add(key: string, message: Message): void {
    const open = this.#open.get(key);
    if (open) clearTimeout(open.timer);
    const messages = [...(open?.messages ?? []), message];
    const timer = setTimeout(() => this.#complete(key), this.quietMs);
    this.#open.set(key, { messages, timer });
  }

  /** Completes every open group now (shutdown). */
  flush(): void {
    for (const key of [...this.#open.keys()]) this.#complete(key);
  }

  #complete(key: string): void {
    const open = this.#open.get(key);
    if (!open) return;
    clearTimeout(open.timer);
    this.#open.delete(key);
    this.onComplete(key, open.messages);
  }
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
  const refused = byKind(['refused']).filter((n) => !received.includes(n) && !pending.includes(n));
  const lines: string[] = [];
  if (received.length > 0) lines.push(`📸 Sent to ${joinNames(received)}.`);
  if (pending.length > 0) lines.push(`⏳ On its way to ${joinNames(pending)}: their album server is not answering right now, I keep trying.`);
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
