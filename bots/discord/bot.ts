// The Discord bot: a thin adapter from gateway events to core (members, sharer). Started by
// `facedrop serve` when DISCORD_BOT_TOKEN is set.
import { Events, type Client } from 'discord.js';
import PQueue from 'p-queue';
import type { Config } from '../../config.ts';
import type { Members } from '../../core/members.ts';
import type { Terminal } from '../../core/terminal.ts';
import { commandDefinitions, onInteraction } from './commands.ts';
import { createContext } from './context.ts';
import { onMessage, shareMessagePhotos, type MessageJob } from './photos.ts';
import { onMemberRemove, runDiscordRetention } from './membership.ts';
import { botServices, type BotServices } from '../shared/startup.ts';
import { connectGateway } from './gateway.ts';
import { MembershipService } from '../../core/membership/index.ts';
import { InteractionInbox } from './interactions.ts';
import { describeError, type BotLog } from './safe-log.ts';
import { discordNoticePlatform } from './notices.ts';

export type DiscordBotConfig = Pick<Config, 'DISCORD_BOT_TOKEN' | 'DISCORD_API_ROOT' | 'DISCORD_GUILD_ID' | 'PUBLIC_URL' | 'MAX_UPLOAD_BYTES'> &
  Partial<Pick<Config, 'DISCORD_GROUP_SCOPE' | 'MEMBER_RETENTION_DAYS'>>;

export interface DiscordBot {
  client: Client<true>;
  /** Whether Discord granted the MessageContent intent (without it, channel photos are invisible). */
  messageContent: boolean;
  /** Resolves when every event received so far is fully handled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface DiscordBotOptions {
  config: DiscordBotConfig;
  terminal: Terminal;
  members: Members;
  log: BotLog;
  /** The membership clock (tests set it). */
  now?: () => number;
  /** How often the retention job runs (ms, default one hour). */
  retentionIntervalMs?: number;
}

export async function startDiscordBot(deps: DiscordBotOptions): Promise<DiscordBot> {
  const { config, terminal, members, log } = deps;
  const token = config.DISCORD_BOT_TOKEN;
  if (!token) throw new Error('DISCORD_BOT_TOKEN is not set');
  const secrets = [token];
  const describe = (error: unknown) => describeError(error, secrets);
  // Jobs wait until the client is ready: they answer through it.
  let current: Client<true> | undefined;
  const services: BotServices<MessageJob> = botServices<MessageJob>({
    terminal,
    inbox: {
      queue: 'discord',
      concurrency: Math.max(2, terminal.engine.threads),
      run: (job) => shareMessagePhotos(job.payload, ctx, current!),
      onError: (job, error, final) => log.error({ messageId: job.payload.messageId, final, err: describe(error) }, 'Discord photo job failed'),
    },
    notices: { platform: discordNoticePlatform(() => current!), onError: (error, final) => log.error({ final, err: describe(error) }, 'Discord notice failed') },
    retention: {
      queue: 'discord-retention',
      intervalMs: deps.retentionIntervalMs ?? 60 * 60_000,
      pass: async () => {
        const result = await runDiscordRetention(service, current!);
        if (result.warned || result.forgotten) log.info(result, 'Discord: retention pass');
      },
      onError: (error) => log.error({ err: describe(error) }, 'Discord: retention pass failed'),
    },
  });
  const service = new MembershipService(terminal, members, { builtInAlbum: config.PUBLIC_URL, retentionDays: config.MEMBER_RETENTION_DAYS ?? 365, ...(deps.now ? { now: deps.now } : {}) });
  const interactions = new InteractionInbox({ records: terminal.records, client: () => current, log, describe });
  const faceQueue = new PQueue({ concurrency: Math.max(2, terminal.engine.threads) });
  const ctx = createContext({ members, terminal, service, interactions, client: () => current, sharer: terminal.sharer, log, faceQueue, inbox: services.inbox, publicUrl: config.PUBLIC_URL, groupScope: config.DISCORD_GROUP_SCOPE ?? 'channel', maxBytes: config.MAX_UPLOAD_BYTES, secrets });
  const { client: ready, messageContent } = await connectGateway({
    token,
    rest: config.DISCORD_API_ROOT ? { api: config.DISCORD_API_ROOT } : {},
    log,
    secrets,
    handlers: (client) => {
      client.on(Events.MessageCreate, (message) => onMessage(message, ctx));
      client.on(Events.InteractionCreate, (interaction) => onInteraction(interaction, ctx));
      client.on(Events.GuildMemberRemove, (member) => ctx.track(onMemberRemove(member, service, client, log)));
    },
  });
  current = ready;
  // Photos and commands stored by an earlier run (stopped or crashed before they were done) go first.
  interactions.start();
  await services.start();
  try {
    // With DISCORD_GUILD_ID the commands appear at once in that server; global ones can take a while.
    if (config.DISCORD_GUILD_ID) await ready.application.commands.set(commandDefinitions, config.DISCORD_GUILD_ID);
    else await ready.application.commands.set(commandDefinitions);
  } catch (error) {
    log.error({ err: describe(error) }, 'Discord slash commands could not be registered');
  }
  log.info({ bot: ready.user.tag, guilds: ready.guilds.cache.size, messageContent }, 'Discord bot ready');

  let stopping: Promise<void> | undefined;
  return {
    client: ready,
    messageContent,
    idle: () => ctx.idle(),
    stop() {
      stopping ??= (async () => {
        // Finish what was received (replies need the REST token, which destroy() clears), then disconnect;
        // jobs still running after the grace time are interrupted and run at the next start.
        await Promise.race([ctx.idle(), new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
        await interactions.stop(0);
        await services.stop({ retention: 0, inbox: 0, notices: 5000 });
        await ready.destroy();
      })();
      return stopping;
    },
  };
}
