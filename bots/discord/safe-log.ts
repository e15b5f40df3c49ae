// Logging without secrets: discord.js errors carry request URLs, and interaction/webhook URLs embed a
// token that answers for the bot; album URLs embed the album token. Only names, codes, statuses and
// redacted messages reach the log.
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { redact } from '../shared/redact.ts';

/** The pino-style logger `facedrop serve` passes in (fastify's app.log). */
export interface BotLog {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export { redact } from '../shared/redact.ts';

/** A loggable summary of an error: never its request URL, body or headers. */
export function describeError(error: unknown, secrets: readonly string[] = []): Record<string, unknown> {
  if (error instanceof DiscordAPIError) {
    return { name: 'DiscordAPIError', status: error.status, code: error.code, method: error.method, message: redact(error.message, secrets) };
  }
  if (error instanceof HTTPError) return { name: 'HTTPError', status: error.status, method: error.method };
  if (error instanceof RateLimitError) return { name: 'RateLimitError', route: error.route, retryAfter: error.retryAfter, global: error.global };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      message: redact(error.message, secrets),
      ...(error.cause instanceof Error ? { cause: redact(`${error.cause.name}: ${error.cause.message}`, secrets) } : {}),
    };
  }
  return { message: redact(String(error), secrets) };
}
