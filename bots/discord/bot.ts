// The Discord bot: a thin adapter from gateway events to core (members, sharer). Started by
// `facedrop serve` when DISCORD_BOT_TOKEN is set.
import { Client, Events, GatewayIntentBits, Partials, type RESTOptions } from 'discord.js';
import PQueue from 'p-queue';
import type { Config } from '../../config.ts';
import type { Members } from '../../core/members.ts';
import type { Terminal } from '../../core/terminal.ts';
import { commandDefinitions, onInteraction } from './commands.ts';
import { createContext } from './context.ts';
import { DurableInbox } from '../shared/inbox.ts';
import { onMessage, shareMessagePhotos, type MessageJob } from './photos.ts';
import { onMemberRemove, runDiscordRetention } from './membership.ts';
import { startRetention } from '../shared/retention.ts';
import { MembershipService } from '../../core/membership/index.ts';
import { InteractionInbox } from './interactions.ts';
import { describeError, redact, type BotLog } from './safe-log.ts';
import { NoticeSender } from '../shared/notices.ts';
import { discordNoticePlatform } from './notices.ts';
import { albumLink } from '../shared/album-link.ts';

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

// GuildMembers brings GUILD_MEMBER_REMOVE: a member who leaves is forgotten. MessageContent and GuildMembers
// are the privileged intents asked for; Discord closes the gateway with this code when one is not allowed.
const FULL_INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent];
const PRIVILEGED = [GatewayIntentBits.MessageContent, GatewayIntentBits.GuildMembers];
const DISALLOWED_INTENTS = 4014;
const INTENT_REFUSED =
  'Discord refused the MessageContent intent (gateway close 4014, disallowed intents): photos posted in channels are invisible to the bot. ' +
  'Enable "Message Content Intent" and "Server Members Intent" (members who leave are forgotten) under Bot > Privileged Gateway Intents in the Discord Developer Portal and restart; slash commands keep working meanwhile.';

export async function startDiscordBot(deps: {
  config: DiscordBotConfig;
  terminal: Terminal;
  members: Members;
  log: BotLog;
  /** The membership clock (tests set it). */
  now?: () => number;
  /** How often the retention job runs (ms, default one hour). */
  retentionIntervalMs?: number;
}): Promise<DiscordBot> {
  const { config, terminal, members, log } = deps;
  const token = config.DISCORD_BOT_TOKEN;
  if (!token) throw new Error('DISCORD_BOT_TOKEN is not set');
  const secrets = [token];
  const faceQueue = new PQueue({ concurrency: Math.max(2, terminal.engine.threads) });
  // Jobs wait until the client is ready: they answer through it.
  let current: Client | undefined;
  const inbox: DurableInbox<MessageJob> = new DurableInbox<MessageJob>({
    records: terminal.records,
    queue: 'discord',
    concurrency: Math.max(2, terminal.engine.threads),
    run: (job) => shareMessagePhotos(job.payload, ctx, current!),
    onError: (job, error, final) => log.error({ messageId: job.payload.messageId, final, err: describeError(error, secrets) }, 'Discord photo job failed'),
  });
  const service = new MembershipService(terminal, members, { builtInAlbum: config.PUBLIC_URL, retentionDays: config.MEMBER_RETENTION_DAYS ?? 365, ...(deps.now ? { now: deps.now } : {}) });
  const interactions = new InteractionInbox({ records: terminal.records, client: () => current, log, describe: (error) => describeError(error, secrets) });
  const ctx = createContext({ members, terminal, service, interactions, client: () => current, sharer: terminal.sharer, log, faceQueue, inbox, publicUrl: config.PUBLIC_URL, groupScope: config.DISCORD_GROUP_SCOPE ?? 'channel', maxBytes: config.MAX_UPLOAD_BYTES, secrets });
  const rest: Partial<RESTOptions> = config.DISCORD_API_ROOT ? { api: config.DISCORD_API_ROOT } : {};

  function wire(client: Client): void {
    client.on(Events.MessageCreate, (message) => onMessage(message, ctx));
    client.on(Events.InteractionCreate, (interaction) => onInteraction(interaction, ctx));
    client.on(Events.GuildMemberRemove, (member) => ctx.track(onMemberRemove(member, service, client, log)));
    client.on(Events.Error, (error) => log.error({ err: describeError(error, secrets) }, 'Discord client error'));
    client.on(Events.ShardError, (error, shardId) => log.warn({ shardId, err: describeError(error, secrets) }, 'Discord gateway connection error'));
    client.on(Events.Warn, (message) => log.warn(redact(message, secrets)));
    client.on(Events.ShardDisconnect, (event, shardId) => {
      if (event.code === DISALLOWED_INTENTS) {
        // At start connect() handles it (one line, then a fallback); later it means the intent was revoked.
        if (client.isReady()) log.error(INTENT_REFUSED);
        return;
      }
      log.error({ shardId, code: event.code }, 'Discord gateway closed and will not reconnect');
    });
    // discord.js waits out 429s itself (Retry-After) and resends: only note them.
    client.rest.on('rateLimited', (info) =>
      log.info({ method: info.method, route: redact(info.route, secrets), retryAfterMs: info.retryAfter, global: info.global }, 'Discord rate limit: waiting'),
    );
  }

  /** Logs in; 'refused' when Discord closes the gateway with 4014 before the client is ready. */
  async function connect(intents: GatewayIntentBits[]): Promise<Client<true> | 'refused'> {
    // A member not in the cache still arrives (partial) when they leave.
    const client = new Client({ intents, rest, failIfNotExists: false, allowedMentions: { parse: [] }, partials: [Partials.GuildMember] });
    wire(client);
    const ready = new Promise<Client<true>>((resolve) => client.once(Events.ClientReady, resolve));
    const refused = new Promise<'refused'>((resolve) =>
      client.on(Events.ShardDisconnect, (event) => {
        if (event.code === DISALLOWED_INTENTS) resolve('refused');
      }),
    );
    // login() resolves on READY but never settles after a 4014: race it, and keep its rejection handled.
    const login = client.login(token).then(() => ready);
    login.catch(() => {});
    try {
      const outcome = await Promise.race([login, refused]);
      if (outcome === 'refused') await client.destroy();
      return outcome;
    } catch (error) {
      await client.destroy();
      throw new Error(`Discord login failed: ${describeError(error, secrets).message ?? 'unknown error'}`, { cause: error });
    }
  }

  let messageContent = true;
  let client = await connect(FULL_INTENTS);
  if (client === 'refused') {
    log.error(INTENT_REFUSED);
    messageContent = false;
    // Slash commands need no privileged intent: keep them working without it.
    client = await connect(FULL_INTENTS.filter((i) => !PRIVILEGED.includes(i)));
    if (client === 'refused') throw new Error('Discord refused the gateway intents even without MessageContent');
  }
  const ready = client;
  current = ready;
  // Photos stored by an earlier run (stopped or crashed before they were shared) go first.
  inbox.start();
  interactions.start();
  const notices = new NoticeSender({
    terminal,
    platform: discordNoticePlatform(() => ready),
    albumLink,
    onError: (error, final) => log.error({ final, err: describeError(error, secrets) }, 'Discord notice failed'),
  });
  notices.start();

  try {
    // With DISCORD_GUILD_ID the commands appear at once in that server; global ones can take a while.
    if (config.DISCORD_GUILD_ID) await ready.application.commands.set(commandDefinitions, config.DISCORD_GUILD_ID);
    else await ready.application.commands.set(commandDefinitions);
  } catch (error) {
    log.error({ err: describeError(error, secrets) }, 'Discord slash commands could not be registered');
  }
  const retention = await startRetention({
    records: terminal.records,
    queue: 'discord-retention',
    intervalMs: deps.retentionIntervalMs ?? 60 * 60_000,
    pass: async () => {
      const result = await runDiscordRetention(service, ready);
      if (result.warned || result.forgotten) log.info(result, 'Discord: retention pass');
    },
    onError: (error) => log.error({ err: describeError(error, secrets) }, 'Discord: retention pass failed'),
  });
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
        await inbox.stop(0);
        await interactions.stop(0);
        await notices.stop(5000);
        await retention.stop(0);
        await ready.destroy();
      })();
      return stopping;
    },
  };
}
