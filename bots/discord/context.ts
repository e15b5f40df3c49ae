// What the Discord handlers share: core services, the bounded face-work queue, the logger and the
// bookkeeping that keeps replayed events from being handled twice.
import type { Channel, Client } from 'discord.js';
import type PQueue from 'p-queue';
import type { Members } from '../../core/members.ts';
import type { MembershipService } from '../../core/membership/index.ts';
import type { Terminal } from '../../core/terminal.ts';
import type { Sharer } from '../../core/share/index.ts';
import type { DurableInbox } from '../shared/inbox.ts';
import type { InteractionInbox } from './interactions.ts';
import { en, type Catalogue } from '../shared/i18n/en.ts';
import type { MessageJob } from './photos.ts';
import { describeError, type BotLog } from './safe-log.ts';

export interface BotContext {
  members: Members;
  /** The terminal: notices, "not me", "is this you?" (bots/shared/notices.ts). */
  terminal?: Terminal;
  /** Registration, consent, forgetting, retention, group settings (core/membership). */
  service: MembershipService;
  /** Slash commands and buttons, claimed once and run as durable jobs. */
  interactions: InteractionInbox;
  /** The connected client (undefined before login). */
  client: () => Client | undefined;
  /** The words, in the language of the member this interaction answers (English by default). */
  t: Catalogue;
  sharer: Sharer;
  log: BotLog;
  /** Photos posted in channels, as durable jobs. */
  inbox: DurableInbox<MessageJob>;
  /** Face work for slash commands (selfies): bounded so a burst of posts waits its turn instead of piling up. */
  faceQueue: PQueue;
  /** Base of album links (PUBLIC_URL). */
  publicUrl: string;
  /** DISCORD_GROUP_SCOPE: one group per channel, or per server. */
  groupScope: GroupScope;
  /** Largest attachment fetched (MAX_UPLOAD_BYTES). */
  maxBytes: number;
  /** True the first time a key is seen (bounded memory). */
  firstTime(key: string): boolean;
  /** Keeps a handler's promise until it settles, so stop() can wait for it; rejections are logged. */
  track(work: Promise<unknown>): void;
  /** describeError with the bot token redacted. */
  describe(error: unknown): Record<string, unknown>;
}

export type GroupScope = 'channel' | 'guild';

/**
 * The contact-book group of a Discord channel: "dc:<channel id>". A thread belongs to its parent
 * channel's group, so photos posted in a thread reach the members registered in the channel. With
 * DISCORD_GROUP_SCOPE=guild, every channel of a server is one group: "dc:guild:<guild id>".
 */
export function groupOfChannel(channel: Channel | null | undefined, fallbackChannelId?: string, scope: GroupScope = 'channel'): string {
  if (scope === 'guild' && channel && 'guildId' in channel && channel.guildId) return `dc:guild:${channel.guildId}`;
  if (channel?.isThread() && channel.parentId) return `dc:${channel.parentId}`;
  const id = channel?.id ?? fallbackChannelId;
  if (!id) throw new Error('A Discord event without a channel');
  return `dc:${id}`;
}

export function createContext(options: {
  members: Members;
  terminal?: Terminal;
  service: MembershipService;
  interactions: InteractionInbox;
  client: () => Client | undefined;
  sharer: Sharer;
  log: BotLog;
  faceQueue: PQueue;
  inbox: DurableInbox<MessageJob>;
  publicUrl: string;
  groupScope?: GroupScope;
  maxBytes: number;
  secrets: string[];
  rememberKeys?: number;
}): BotContext & { idle(): Promise<void> } {
  const { log, secrets } = options;
  const seen = new Set<string>();
  const limit = options.rememberKeys ?? 10_000;
  const inflight = new Set<Promise<unknown>>();
  const describe = (error: unknown) => describeError(error, secrets);
  return {
    members: options.members,
    ...(options.terminal ? { terminal: options.terminal } : {}),
    service: options.service,
    interactions: options.interactions,
    client: options.client,
    t: en,
    sharer: options.sharer,
    log,
    faceQueue: options.faceQueue,
    inbox: options.inbox,
    publicUrl: options.publicUrl,
    groupScope: options.groupScope ?? 'channel',
    maxBytes: options.maxBytes,
    describe,
    firstTime(key) {
      if (seen.has(key)) return false;
      seen.add(key);
      // Sets iterate in insertion order: drop the oldest.
      if (seen.size > limit) for (const old of seen) { seen.delete(old); break; }
      return true;
    },
    track(work) {
      const settled = work.then(
        () => undefined,
        (error: unknown) => log.error({ err: describe(error) }, 'Discord handler failed'),
      );
      inflight.add(settled);
      void settled.finally(() => inflight.delete(settled));
    },
    async idle() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      await options.inbox.idle();
      await options.interactions.idle();
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      await options.interactions.idle();
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}
