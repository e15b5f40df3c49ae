import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, type Config } from '../../config.ts';
import { LeaseLock } from '../../core/jobs/lease-lock.ts';
import { Members } from '../../core/members.ts';
import { openTerminal } from '../../core/terminal.ts';
import { redact as redactSecrets } from '../../bots/shared/redact.ts';

/** Error texts from HTTP clients can quote request URLs, and Telegram's carry the token (one redactor: bots/shared/redact.ts). */
const redact = (text: string, config: Config) => redactSecrets(text, [config.TELEGRAM_BOT_TOKEN ?? '', config.DISCORD_BOT_TOKEN ?? '']);

/** Album links on these hosts open only on the server's own machine. */
function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || host === '0.0.0.0' || host === '::';
}

/** The listen errors a wrong HOST or PORT causes, as a one-line configuration error; else undefined. */
function listenProblem(error: unknown): ConfigError | undefined {
  const code = (error as { code?: unknown })?.code;
  const problems: Record<string, [string, string]> = {
    EADDRINUSE: ['PORT', 'that port is already in use (another facedrop serve, or another program)'],
    EACCES: ['PORT', 'this user may not listen on that port (below 1024 needs privileges)'],
    EADDRNOTAVAIL: ['HOST', 'that address is not one of this machine\'s'],
    ENOTFOUND: ['HOST', 'that host name is not known'],
    EAI_AGAIN: ['HOST', 'that host name could not be looked up'],
  };
  const problem = typeof code === 'string' ? problems[code] : undefined;
  return problem ? new ConfigError([problem[0]], `Invalid environment:\n  ${problem[0]}: ${problem[1]}`, { cause: error }) : undefined;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the album server, plus the Telegram and Discord bots whose tokens are set (configured by environment, see .env.example)')
    .action(async () => {
      const config = loadConfig();
      // Webhook mode: every replica takes Telegram's POSTs on its own port, at the webhook URL's path.
      let telegramWebhook: ((update: unknown, secret: string | undefined) => Promise<number>) | undefined;
      const routes = config.TELEGRAM_WEBHOOK_URL
        ? (app: FastifyInstance) =>
            app.post(new URL(config.TELEGRAM_WEBHOOK_URL!).pathname, { bodyLimit: 1024 * 1024 }, async (request, reply) => {
              const secret = request.headers['x-telegram-bot-api-secret-token'];
              // Until the bot is up, 503: Telegram retries.
              const status = telegramWebhook ? await telegramWebhook(request.body, typeof secret === 'string' ? secret : undefined) : 503;
              return reply.code(status).send(status === 200 ? { ok: true } : { error: status === 401 ? 'unauthorized' : 'unavailable' });
            })
        : undefined;
      // Loaded here, not at the top: fastify and the album's modules would slow every other command's start.
      const { startAlbumServer } = await import('../../album/server.ts');
      const album = await startAlbumServer(config, routes ? { routes } : {}).catch((error: unknown) => {
        throw listenProblem(error) ?? error;
      });
      const log = album.app.log;
      if ((config.TELEGRAM_BOT_TOKEN || config.DISCORD_BOT_TOKEN) && isLoopbackUrl(config.PUBLIC_URL)) {
        log.warn(
          `PUBLIC_URL ${process.env.PUBLIC_URL ? 'points at this machine itself' : 'is not set'}: the album links the bots send members (${new URL(config.PUBLIC_URL).origin}/a/...) will not open on their phones. Set PUBLIC_URL to an address they can reach (README, "Configuration").`,
        );
      }
      const terminal = await openTerminal(config, { records: album.records, engine: album.engine, terminalName: 'facedrop-serve' });
      terminal.outbox.start();
      const members = new Members(terminal, config.PUBLIC_URL);
      // Albums made before deletion keys get one now, so /forget survives a link renewed on the album page.
      void members.addMissingDeletionKeys().then(
        (added) => added > 0 && log.info({ added }, 'album deletion keys added to older member links'),
        (error: unknown) => log.warn({ err: error }, 'could not add album deletion keys to older member links'),
      );
      const stops: Array<() => Promise<void>> = [];
      // A bot that cannot start (token refused, platform unreachable) is logged; the album keeps serving.
      const bots = [
        { name: 'Telegram', token: config.TELEGRAM_BOT_TOKEN, start: async () => (await import('../../bots/telegram/bot.ts')).startTelegramBot },
        { name: 'Discord', token: config.DISCORD_BOT_TOKEN, start: async () => (await import('../../bots/discord/bot.ts')).startDiscordBot },
      ];
      const startBot = async (bot: (typeof bots)[number]): Promise<{ stop(): Promise<void> } | undefined> => {
        try {
          const running = await (await bot.start())({ config, terminal, members, log });
          if ('handleWebhook' in running) telegramWebhook = (update, secret) => running.handleWebhook(update, secret);
          return running;
        } catch (error) {
          log.error(`${bot.name} bot did not start: ${redact((error as Error).message, config)}`);
          return undefined;
        }
      };
      for (const bot of bots) {
        if (!bot.token) continue;
        if (bot.name !== 'Discord') {
          const running = await startBot(bot);
          if (running) stops.push(() => running.stop());
          continue;
        }
        // One gateway connection across replicas (one shard): the process holding the lease connects,
        // another takes over when it dies. Photos are shared through the jobs by whichever replica is free.
        const gateway = new LeaseLock(terminal.records.jobs, 'discord-gateway:0');
        let running: Promise<{ stop(): Promise<void> } | undefined> | undefined;
        gateway.hold({
          onAcquired: () => {
            running = startBot(bot);
          },
          onLost: () => {
            log.warn('Discord: another process took over the gateway connection');
            void running?.then((r) => r?.stop());
            running = undefined;
          },
        });
        stops.push(async () => {
          await (await running)?.stop();
          await gateway.release();
        });
      }
      if (stops.length === 0) log.info('No bot token set (TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN): album server only');
      const shutdown = async (signal: string) => {
        log.info(`${signal}: shutting down`);
        await Promise.allSettled(stops.map((s) => s()));
        await terminal.close();
        await album.close();
        // Exiting under a face worker that still loads its models aborts the process (Napi::Error).
        await album.engine.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
