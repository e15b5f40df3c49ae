import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { startAlbumServer } from '../../album/server.ts';
import { Members } from '../../core/members.ts';
import { openTerminal } from '../../core/terminal.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the album server, plus the Telegram and Discord bots whose tokens are set (configured by environment, see .env.example)')
    .action(async () => {
      const config = loadConfig();
      const album = await startAlbumServer(config);
      const log = album.app.log;
      const terminal = await openTerminal(config, { store: album.store, engine: album.engine, terminalName: 'facedrop-serve' });
      terminal.outbox.start();
      const members = new Members(terminal, config.PUBLIC_URL);
      const stops: Array<() => Promise<void>> = [];
      if (config.TELEGRAM_BOT_TOKEN) {
        const { startTelegramBot } = await import('../../bots/telegram/bot.ts');
        const bot = await startTelegramBot({ config, terminal, members, log });
        stops.push(() => bot.stop());
      }
      if (config.DISCORD_BOT_TOKEN) {
        const { startDiscordBot } = await import('../../bots/discord/bot.ts');
        const bot = await startDiscordBot({ config, terminal, members, log });
        stops.push(() => bot.stop());
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
