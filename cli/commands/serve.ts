import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config.ts';
import { startAlbumServer } from '../../album/server.ts';
import { Members } from '../../core/members.ts';
import { openTerminal } from '../../core/terminal.ts';

/** Error texts from HTTP clients can quote request URLs, and Telegram's carry the token. */
function redact(text: string, config: Config): string {
  let out = text;
  for (const secret of [config.TELEGRAM_BOT_TOKEN, config.DISCORD_BOT_TOKEN]) if (secret) out = out.split(secret).join('<token>');
  return out;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the album server, plus the Telegram and Discord bots whose tokens are set (configured by environment, see .env.example)')
    .action(async () => {
      const config = loadConfig();
      const album = await startAlbumServer(config);
      const log = album.app.log;
      const terminal = await openTerminal(config, { records: album.records, engine: album.engine, terminalName: 'facedrop-serve' });
      terminal.outbox.start();
      const members = new Members(terminal, config.PUBLIC_URL);
      const stops: Array<() => Promise<void>> = [];
      // A bot that cannot start (token refused, platform unreachable) is logged; the album keeps serving.
      const bots = [
        { name: 'Telegram', token: config.TELEGRAM_BOT_TOKEN, start: async () => (await import('../../bots/telegram/bot.ts')).startTelegramBot },
        { name: 'Discord', token: config.DISCORD_BOT_TOKEN, start: async () => (await import('../../bots/discord/bot.ts')).startDiscordBot },
      ];
      for (const bot of bots) {
        if (!bot.token) continue;
        try {
          const running = await (await bot.start())({ config, terminal, members, log });
          stops.push(() => running.stop());
        } catch (error) {
          log.error(`${bot.name} bot did not start: ${redact((error as Error).message, config)}`);
        }
      }
      if (stops.length === 0) log.info('No bot token set (TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN): album server only');
      const shutdown = async (signal: string) => {
        log.info(`${signal}: shutting down`);
        await Promise.allSettled(stops.map((s) => s()));
        await terminal.close();
        await album.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
