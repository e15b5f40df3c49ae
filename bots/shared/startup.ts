// The start-up both bots share: the durable inbox of chat events, the private notices' worker and the hourly
// retention job, started in that order (an earlier run's jobs first) and stopped in reverse with a grace time
// each. The chat-specific parts (the client, its events, leases on the connection) stay with each bot.
import type { Terminal } from '../../core/terminal.ts';
import { albumLink } from './album-link.ts';
import { DurableInbox, type InboxOptions } from './inbox.ts';
import { NoticeSender, type NoticePlatform } from './notices.ts';
import { startRetention, type RetentionSchedule } from './retention.ts';

export interface BotServices<P, Part = never> {
  inbox: DurableInbox<P, Part>;
  /** Starts the workers: the inbox (jobs left by an earlier run first), notices, then the retention schedule. */
  start(): Promise<void>;
  /** Lets each part finish for its grace time (ms), retention first, then the inbox, then notices. */
  stop(grace: { retention: number; inbox: number; notices: number }): Promise<void>;
}

export function botServices<P, Part = never>(options: {
  terminal: Terminal;
  inbox: Omit<InboxOptions<P, Part>, 'records'>;
  notices: { platform: NoticePlatform; onError: (error: unknown, final: boolean) => void };
  retention: { queue: string; intervalMs: number; pass: () => Promise<void>; onError: (error: unknown) => void };
}): BotServices<P, Part> {
  const { terminal } = options;
  const inbox = new DurableInbox<P, Part>({ ...options.inbox, records: terminal.records });
  const notices = new NoticeSender({ terminal, platform: options.notices.platform, albumLink, onError: options.notices.onError });
  let retention: RetentionSchedule | undefined;
  return {
    inbox,
    async start() {
      inbox.start();
      notices.start();
      retention = await startRetention({ records: terminal.records, ...options.retention });
    },
    async stop(grace) {
      await retention?.stop(grace.retention);
      await inbox.stop(grace.inbox);
      await notices.stop(grace.notices);
    },
  };
}
